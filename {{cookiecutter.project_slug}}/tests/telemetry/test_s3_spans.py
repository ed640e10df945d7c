"""S3 calls through aioboto3: a client span per API call (written by telemetry/s3.py)."""

import pytest

from {{ cookiecutter.package_name }}.features.s3 import S3_CLIENT, S3Settings
from {{ cookiecutter.package_name }}.features.telemetry import (
    TRACER_PROVIDER,
    TelemetrySettings,
)
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.storage.errors import ObjectNotFound
from {{ cookiecutter.package_name }}.telemetry.provider import trace_ids

from .receiver import OtlpReceiver

CLIENT = 3


async def test_each_s3_call_is_a_child_span(
    receiver: OtlpReceiver, s3_settings: S3Settings
) -> None:
    settings = Settings(s3=s3_settings, telemetry=TelemetrySettings(endpoint=receiver.endpoint))
    async with open_resources(settings) as resources:
        s3 = resources.get(S3_CLIENT)
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("caller"):
            caller = trace_ids()
            await s3.put_bytes("a.txt", b"hello")
            with pytest.raises(ObjectNotFound):
                await s3.get_bytes("missing.txt")
    calls = [span for span in receiver.spans if span.name.startswith("S3.")]
    assert [span.name for span in calls][-2:] == ["S3.PutObject", "S3.GetObject"]
    for span in calls:
        assert (span.trace_id, span.parent_span_id) == (caller["trace_id"], caller["span_id"])
        assert (span.kind, span.attributes["rpc.service"]) == (CLIENT, "S3")
    assert calls[-1].attributes["http.response.status_code"] == 404
