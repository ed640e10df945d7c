"""Job spans: queued where submitted, run where a worker runs it, one trace across both."""

import asyncio
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.features.jobs import JOBS
from {{ cookiecutter.package_name }}.features.telemetry import (
    TRACER_PROVIDER,
    TelemetrySettings,
)
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.telemetry.provider import trace_ids

from ..telemetry.conftest import receiver
from ..telemetry.receiver import OtlpReceiver, ReceivedSpan
from .conftest import TEST_KINDS, redis_jobs, start_worker, worker_environment
from .helpers import wait_finished

# The receiver fixture, shared with tests/telemetry.
__all__ = ["receiver"]

PRODUCER, CONSUMER = 4, 5  # OTLP span kinds
Sections = Mapping[str, Mapping[str, Any]]


def assert_queued_then_run(receiver: OtlpReceiver, caller: dict[str, str], kind: str) -> None:
    [queued] = receiver.named(lambda name: name == f"queue {kind}")
    [run] = receiver.named(lambda name: name == f"run {kind}")
    assert (queued.kind, run.kind) == (PRODUCER, CONSUMER)
    assert (queued.trace_id, queued.parent_span_id) == (caller["trace_id"], caller["span_id"])
    assert (run.trace_id, run.parent_span_id) == (queued.trace_id, queued.span_id)
    assert run.links == ((queued.trace_id, queued.span_id),)


def traced(receiver: OtlpReceiver, sections: Sections, jobs: Mapping[str, Any]) -> Settings:
    """The service's `sections` with `jobs`, tracing to `receiver`."""
    telemetry = TelemetrySettings(endpoint=receiver.endpoint)
    return Settings.model_validate({**sections, "jobs": jobs, "telemetry": telemetry})


def span_of(receiver: OtlpReceiver, name: str) -> ReceivedSpan:
    [span] = receiver.named(lambda found: found == name)
    return span


async def test_an_in_process_job_is_queued_and_run_in_the_callers_trace(
    receiver: OtlpReceiver, service_sections: Sections
) -> None:
    settings = traced(receiver, service_sections, {"modules": [TEST_KINDS]})
    async with open_resources(settings) as resources:
        queue = resources.get(JOBS)
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("caller"):
            caller = trace_ids()
            record = await queue.submit("test-echo", {"text": "hi"})
        await wait_finished(queue.store, record.id)
    assert_queued_then_run(receiver, caller, "test-echo")
    assert span_of(receiver, "run test-echo").attributes["job.id"] == record.id


async def test_a_failed_job_run_is_an_error_span(
    receiver: OtlpReceiver, service_sections: Sections
) -> None:
    settings = traced(receiver, service_sections, {"modules": [TEST_KINDS]})
    async with open_resources(settings) as resources:
        queue = resources.get(JOBS)
        record = await queue.submit("test-fail", {"code": "bad_input", "message": "no"})
        await wait_finished(queue.store, record.id)
    run = span_of(receiver, "run test-fail")
    assert run.status_code == 2, "STATUS_CODE_ERROR"


async def test_a_worker_process_runs_the_job_in_the_submitters_trace(
    receiver: OtlpReceiver,
    redis_server: str,
    key_prefix: str,
    service_sections: Sections,
    tmp_path: Path,
) -> None:
    env = worker_environment(redis_server, key_prefix, service_sections)
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        jobs = redis_jobs(redis_server, key_prefix).model_dump(mode="python")
        jobs["redis_url"] = redis_server
        settings = traced(receiver, service_sections, jobs)
        async with open_resources(settings) as resources:
            queue = resources.get(JOBS)
            tracer = resources.get(TRACER_PROVIDER).get_tracer("test")
            with tracer.start_as_current_span("caller"):
                caller = trace_ids()
                record = await queue.submit("test-echo", {"text": "far"})
            await wait_finished(queue.store, record.id)
    finally:
        # SIGTERM: the worker drains, and its tracer provider sends what it holds.
        worker.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait, 20)
    logs = (tmp_path / "worker.log").read_text()
    assert_queued_then_run(receiver, caller, "test-echo")
    assert span_of(receiver, "run test-echo").attributes["job.id"] == record.id, logs
