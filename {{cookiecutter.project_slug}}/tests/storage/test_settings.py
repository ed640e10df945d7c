"""S3 settings: validation, key prefix normalisation, secrets redacted, environment names."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.config import ENV_PREFIX, redacted, to_yaml
from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.service import Settings


def test_s3_is_off_by_default_so_the_service_needs_no_cloud_account() -> None:
    assert not Settings().s3.enabled


@pytest.mark.parametrize(
    ("given", "expected"),
    [("", ""), ("uploads", "uploads/"), ("/a/b/", "a/b/"), ("t/", "t/")],
)
def test_key_prefix_always_ends_in_a_slash(given: str, expected: str) -> None:
    """Without the slash, prefix "tenant" would also see the keys of "tenant-2"."""
    assert S3Settings(key_prefix=given).key_prefix == expected


def test_enabled_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="bucket is required"):
        S3Settings(enabled=True)


def test_access_key_needs_its_secret() -> None:
    with pytest.raises(ValidationError, match="go together"):
        S3Settings(access_key_id="AKIA")


def test_parts_smaller_than_s3_allows_are_refused() -> None:
    with pytest.raises(ValidationError, match="multipart_part_size"):
        S3Settings(multipart_part_size=1024 * 1024)


def test_s3_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}S3__ENABLED", "true")
    monkeypatch.setenv(f"{ENV_PREFIX}S3__BUCKET", "media")
    monkeypatch.setenv(f"{ENV_PREFIX}S3__ENDPOINT_URL", "http://127.0.0.1:9000")
    s3 = Settings.load().s3
    assert (s3.enabled, s3.bucket, s3.endpoint_url) == (True, "media", "http://127.0.0.1:9000")


def test_s3_credentials_are_redacted_in_every_dump() -> None:
    secrets = {
        "access_key_id": "AKIA-EXAMPLE",
        "secret_access_key": "s3cr3t",
        "session_token": "t0k3n",
    }
    settings = Settings(s3=secrets)
    for dump in (to_yaml(settings), str(redacted(settings)), repr(settings)):
        for secret in secrets.values():
            assert secret not in dump
    assert redacted(settings)["s3"]["secret_access_key"] == "**********"
