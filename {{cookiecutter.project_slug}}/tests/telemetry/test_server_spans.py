"""Server spans: named by route template, joined to the caller's trace, named in errors."""

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.features.telemetry import TelemetrySettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..server.conftest import serve
from .receiver import OtlpReceiver

SERVER = 2  # the OTLP span kind of a server span
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


def traced_app(receiver: OtlpReceiver) -> FastAPI:
    app = create_app(Settings(telemetry=TelemetrySettings(endpoint=receiver.endpoint)))

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "broken":
            raise RuntimeError("boom")
        return {"id": thing_id}

    return app


async def test_the_server_span_is_named_by_route_template(receiver: OtlpReceiver) -> None:
    async with serve(traced_app(receiver)) as client:
        assert (await client.get("/things/42")).status_code == 200
        assert (await client.get("/things/43")).status_code == 200
    spans = [span for span in receiver.spans if span.kind == SERVER]
    assert [span.name for span in spans] == ["GET /things/{thing_id}"] * 2
    assert all(span.attributes["http.route"] == "/things/{thing_id}" for span in spans)
    assert spans[0].trace_id != spans[1].trace_id, "each request is a trace of its own"
    assert all(span.parent_span_id is None for span in spans)


async def test_an_unknown_path_is_named_by_method_only(receiver: OtlpReceiver) -> None:
    async with serve(traced_app(receiver)) as client:
        assert (await client.get("/no/such/42")).status_code == 404
    assert [span.name for span in receiver.spans if span.kind == SERVER] == ["GET"]


async def test_a_caller_traceparent_makes_the_request_part_of_its_trace(
    receiver: OtlpReceiver,
) -> None:
    traceparent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    async with serve(traced_app(receiver)) as client:
        await client.get("/things/1", headers={"traceparent": traceparent})
    [span] = [span for span in receiver.spans if span.kind == SERVER]
    assert (span.trace_id, span.parent_span_id) == (CALLER_TRACE, CALLER_SPAN)


async def test_the_error_envelope_names_the_trace(receiver: OtlpReceiver) -> None:
    async with serve(traced_app(receiver)) as client:
        response = await client.get("/things/broken")
        missing = await client.get("/things/none/at/all")
    assert response.status_code == 500
    error = response.json()["error"]
    [span] = receiver.named(lambda name: name == "GET /things/{thing_id}")
    assert error["trace_id"] == span.trace_id
    assert error["request_id"] == response.headers["x-request-id"]
    assert missing.json()["error"]["trace_id"] in {s.trace_id for s in receiver.spans}


async def test_without_an_endpoint_no_span_and_no_trace_id() -> None:
    app = create_app(Settings())
    async with serve(app) as client:
        response = await client.get("/no/such/path")
    assert response.json()["error"]["trace_id"] is None
