"""The same import run as a job (`Prefer: respond-async`): the request, the queued job and
its run, and the run's download, S3 and database work are still one trace."""

import hashlib

import pytest

from {{ cookiecutter.package_name }}.features.s3 import S3Settings

from ..api.conftest import migrated_index, serve
from ..api.source_server import Source, pattern
from ..api.test_import_job import finished
from .receiver import OtlpReceiver, ReceivedSpan
from .test_one_trace import source, traced_import_settings

# Fixtures used here by name: the session one index_database copies from, the import source.
__all__ = ["migrated_index", "source"]

SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


async def test_an_import_job_is_one_trace_from_the_request_to_its_run(
    receiver: OtlpReceiver,
    source: Source,
    s3_settings: S3Settings,
    request: pytest.FixtureRequest,
) -> None:
    settings = traced_import_settings(receiver, s3_settings, request)
    data = pattern(50_000)
    async with serve(settings) as api:
        response = await api.post(
            "/api/v1/objects/import",
            json={
                "url": f"{source.url}files/data.bin?size=50000",
                "key": "traced-job.bin",
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            headers={"Prefer": "respond-async"},
        )
        assert response.status_code == 202, response.text
        assert (await finished(api, response.headers["location"]))["status"] == "succeeded"
    [root] = receiver.named(lambda name: name == "POST /api/v1/objects/import")
    spans = receiver.trace(root.trace_id)
    by_id = {span.span_id: span for span in spans}

    def chain(span: ReceivedSpan) -> list[str]:
        names = [span.name]
        while span.parent_span_id is not None and span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            names.append(span.name)
        return names

    [queued] = [span for span in spans if span.kind == PRODUCER]
    [run] = [span for span in spans if span.kind == CONSUMER]
    assert chain(run)[-1] == root.name, "the run hangs off the request"
    assert run.links == ((queued.trace_id, queued.span_id),)
    under_run = [span for span in spans if run.name in chain(span)[1:]]
    names = [span.name for span in under_run]
    assert any(span.kind == CLIENT and span.name == "GET" for span in under_run), names
    assert any(name.startswith("S3.") for name in names), names
    assert any(name.startswith(("INSERT", "SELECT", "UPDATE")) for name in names), names
