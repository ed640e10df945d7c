"""The schema describes the objects API as it behaves: envelopes for errors, binary bodies."""

import json
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.storage.keys import KEY_PATTERN, MAX_KEY_BYTES

ENVELOPE = "#/components/schemas/ErrorEnvelope"


@pytest.fixture(scope="module")
def operations() -> dict[str, dict[str, Any]]:
    """`METHOD path` -> operation, for every route below /api/v1/objects."""
    schema = create_app(Settings()).openapi()
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/objects")
        for method, operation in item.items()
    }


def test_every_object_operation_is_documented(operations: dict[str, dict[str, Any]]) -> None:
    expected = {
        "GET /api/v1/objects",
        "PUT /api/v1/objects/{key}",
        "GET /api/v1/objects/{key}",
        "HEAD /api/v1/objects/{key}",
        "DELETE /api/v1/objects/{key}",
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
        "POST /api/v1/objects/import",
{%- endif %}
    }
    assert set(operations) == expected


def test_every_error_response_is_the_envelope(operations: dict[str, dict[str, Any]]) -> None:
    for name, operation in operations.items():
        errors = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
        assert "422" in errors, name
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": ENVELOPE}, (name, status)
        assert "HTTPValidationError" not in json.dumps(operation), name


def test_uploads_and_downloads_are_binary(operations: dict[str, dict[str, Any]]) -> None:
    binary = {"type": "string", "format": "binary"}
    upload = operations["PUT /api/v1/objects/{key}"]["requestBody"]
    assert upload["content"]["application/octet-stream"]["schema"] == binary
    download = operations["GET /api/v1/objects/{key}"]["responses"]["200"]
    assert download["content"]["application/octet-stream"]["schema"] == binary


def test_keys_are_documented_with_the_rules_storage_enforces(
    operations: dict[str, dict[str, Any]],
) -> None:
    keyed = [name for name in operations if name.endswith("{key}")]
    assert len(keyed) == 4
    for name in keyed:
        (parameter,) = [p for p in operations[name]["parameters"] if p["name"] == "key"]
        assert parameter["schema"]["pattern"] == KEY_PATTERN, name
        assert parameter["schema"]["maxLength"] == MAX_KEY_BYTES, name
