"""One request followed through every hop: an import downloads a file over HTTP, stores it
in S3 and records it in the database index, and all of it is one trace."""

import hashlib
from collections.abc import AsyncIterator

import pytest

from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.features.telemetry import TelemetrySettings
from {{ cookiecutter.package_name }}.service import Settings

from ..api.conftest import index_database, migrated_index, serve
from ..api.source_server import Source, pattern, source_server
from .receiver import OtlpReceiver, ReceivedSpan

SERVER, CLIENT = 2, 3
# The session fixture index_database copies from, used here outside tests/api.
__all__ = ["migrated_index"]


@pytest.fixture
async def source() -> AsyncIterator[Source]:
    async with source_server() as state:
        yield state


def traced_import_settings(
    receiver: OtlpReceiver, s3_settings: S3Settings, request: pytest.FixtureRequest
) -> Settings:
    """Imports from 127.0.0.1 into S3, indexed in the database, traced to `receiver`."""
    return Settings.model_validate(
        {
            "download": {"allowed_networks": ["127.0.0.1/32"], "max_attempts": 1},
            "database": index_database(request),
            "s3": s3_settings,
            "storage": {"backend": "s3"},
            "telemetry": TelemetrySettings(endpoint=receiver.endpoint),
        }
    )


async def test_an_import_is_one_trace_across_http_s3_and_the_database(
    receiver: OtlpReceiver,
    source: Source,
    s3_settings: S3Settings,
    request: pytest.FixtureRequest,
) -> None:
    settings = traced_import_settings(receiver, s3_settings, request)
    data = pattern(100_000)
    async with serve(settings) as api:
        response = await api.post(
            "/api/v1/objects/import",
            json={
                "url": f"{source.url}files/data.bin?size=100000",
                "key": "traced.bin",
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
        assert response.status_code == 201, response.text
    [root] = receiver.named(lambda name: name == "POST /api/v1/objects/import")
    assert root.kind == SERVER
    assert root.parent_span_id is None
    spans = receiver.trace(root.trace_id)
    by_id = {span.span_id: span for span in spans}

    def descends_from_root(span: ReceivedSpan) -> bool:
        while span.parent_span_id is not None:
            if span.parent_span_id not in by_id:
                return False
            span = by_id[span.parent_span_id]
        return span is root

    assert all(descends_from_root(span) for span in spans), "every span hangs off the request"
    names = [span.name for span in spans]
    assert any(span.kind == CLIENT and span.name == "GET" for span in spans), names
    assert any(name.startswith("S3.") for name in names), names
    assert any(name.startswith(("INSERT", "SELECT", "UPDATE")) for name in names), names
