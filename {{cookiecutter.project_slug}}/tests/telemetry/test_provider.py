"""When tracing is on, what the provider exports, and that off costs nothing."""

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.context import correlation_source
from {{ cookiecutter.package_name }}.features.telemetry import (
    TRACER_PROVIDER,
    TelemetrySettings,
)
from {{ cookiecutter.package_name }}.logging import JsonFormatter, RequestIdFilter
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.telemetry.provider import (
    DEFAULT_SERVICE_NAME,
    trace_ids,
)

from .receiver import OtlpReceiver


@pytest.mark.parametrize(
    ("endpoint", "environ", "enabled"),
    [
        (None, {}, False),
        ("http://collector:4318", {}, True),
        (None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        (None, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
        ("http://collector:4318", {"OTEL_SDK_DISABLED": "true"}, False),
        ("http://collector:4318", {"OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_tracing_is_on_only_with_an_endpoint(
    endpoint: str | None, environ: dict[str, str], enabled: bool
) -> None:
    assert TelemetrySettings(endpoint=endpoint).enabled(environ) is enabled


def test_endpoint_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http:// or https://"):
        TelemetrySettings(endpoint="collector:4318")


def exporter_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "Otel" in t.name or "Batch" in t.name]


async def test_unconfigured_tracing_opens_nothing() -> None:
    async with open_resources(Settings.defaults()) as resources:
        assert resources.find(TRACER_PROVIDER) is None
        assert exporter_threads() == []
        assert trace_ids() == {}


def test_unconfigured_service_never_imports_the_sdk(tmp_path: Path) -> None:
    """In a fresh interpreter the whole service opens without our tracing code, an exporter or
    an instrumentation. (Libraries may load OpenTelemetry's API and SDK on their own when
    installed; neither records anything without a provider.)"""
    script = (
        "import asyncio, sys\n"
        "PARTS = ('opentelemetry.exporter', 'opentelemetry.instrumentation',\n"
        "         '{{ cookiecutter.package_name }}.telemetry')\n"
        "from {{ cookiecutter.package_name }}.resources import open_resources\n"
        "from {{ cookiecutter.package_name }}.service import Settings\n"
        "async def main():\n"
        "    async with open_resources(Settings.defaults()):\n"
        "        pass\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith(PARTS)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


async def test_spans_reach_the_collector_with_the_service_name(receiver: OtlpReceiver) -> None:
    settings = Settings(telemetry=TelemetrySettings(endpoint=receiver.endpoint))
    async with open_resources(settings) as resources:
        provider = resources.get(TRACER_PROVIDER)
        with provider.get_tracer("test").start_as_current_span("work"):
            ids = trace_ids()
        assert exporter_threads(), "the batch exporter runs while tracing is open"
    # Closing flushed the batch: the span is at the receiver, and the thread is gone.
    assert exporter_threads() == []
    [span] = receiver.named(lambda name: name == "work")
    assert (span.trace_id, span.span_id) == (ids["trace_id"], ids["span_id"])
    assert span.service_name == DEFAULT_SERVICE_NAME


async def test_a_zero_sample_ratio_records_no_new_trace(receiver: OtlpReceiver) -> None:
    telemetry = TelemetrySettings(endpoint=receiver.endpoint, sample_ratio=0.0)
    async with open_resources(Settings(telemetry=telemetry)) as resources:
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("work"):
            assert trace_ids() == {}, "an unsampled span names no trace"
    assert receiver.spans == []


async def test_service_name_setting_wins(receiver: OtlpReceiver) -> None:
    telemetry = TelemetrySettings(endpoint=receiver.endpoint, service_name="orders")
    async with open_resources(Settings(telemetry=telemetry)) as resources:
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("work"):
            pass
    assert {span.service_name for span in receiver.spans} == {"orders"}


async def test_json_log_lines_inside_a_span_carry_its_ids(receiver: OtlpReceiver) -> None:
    settings = Settings(telemetry=TelemetrySettings(endpoint=receiver.endpoint))
    record_filter, formatter = RequestIdFilter(), JsonFormatter()

    def line() -> dict[str, object]:
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", (), None)
        record_filter.filter(record)
        entry: dict[str, object] = json.loads(formatter.format(record))
        return entry

    async with open_resources(settings) as resources:
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("work"):
            inside = line()
            ids = trace_ids()
        outside = line()
    assert (inside["trace_id"], inside["span_id"]) == (ids["trace_id"], ids["span_id"])
    assert "trace_id" not in outside
    assert "span_id" not in outside


def test_correlation_sources_are_removed_on_exit() -> None:
    def source() -> dict[str, str]:
        return {"trace_id": "t"}

    record_filter = RequestIdFilter()
    with correlation_source(source):
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "x", (), None)
        record_filter.filter(record)
        assert getattr(record, "trace_id", None) == "t"
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "x", (), None)
    record_filter.filter(record)
    assert not hasattr(record, "trace_id")
