"""http_stack_otel: GET /health req/s of the generated app with tracing on ÷ with tracing off.

One default render, three servers of it side by side (see _server.py, same uvicorn settings as
http_stack), measured by wrk (one thread, 32 connections) in interleaved rounds:

  off        the `telemetry` section left unset: tracing is inert, as it ships
  unsampled  an endpoint and sample ratio 0: the tracing middleware runs, spans are not recorded
  traced     an endpoint and sample ratio 1: every request's span is recorded, batched by the
             SDK's BatchSpanProcessor and exported over OTLP/HTTP to a receiver in this process

`http_stack_otel_vs_off` is the median of the per-round ratios traced ÷ off; unsampled ÷ off
separates the middleware from recording and export. `http_stack_otel_spans_per_request` is the
spans the traced server exported ÷ the requests wrk counted: below 1 the SDK dropped spans (its
queue was full); a little above 1 is normal, as wrk does not count the requests still in flight
when it stops, which are answered and traced anyway. Where the time goes: each round also reads
the server's CPU time per thread (the event loop's thread vs the others, i.e. the exporter's),
and a fourth, traced server is profiled with cProfile under the same load.

The receiver counts the spans each server sent; the run fails unless the traced servers sent
spans (named `GET /health`) and the others sent none.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/http_stack_otel.py <package>
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import importlib.util
import os
import pstats
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _harness import app_process, emit, interleaved, median_ratio, note, wrk_run

ROUNDS = 12
ROUND_SECONDS = 2
WARM_UP_SECONDS = 2
PROFILE_SECONDS = 4
# Sample ratio per variant; None leaves the telemetry section unset.
VARIANTS: dict[str, float | None] = {"off": None, "unsampled": 0.0, "traced": 1.0}
SERVER_SPAN = "GET /health"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class OtlpReceiver:
    """A stand-in OTLP/HTTP collector on a free loopback port, served by a thread of this process.

    Each server exports to a base URL of its own (`<receiver>/<source>`), so the counts tell
    which server sent what; anything but POST <base>/v1/traces is answered 404.
    """

    def __init__(self) -> None:
        # Imported here: only the rendered project's venv has the OTLP messages.
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        self._messages = trace_service_pb2
        self._lock = threading.Lock()
        self.spans: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self.batches: Counter[str] = Counter()
        self.names: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, source: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{source}"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, path: str, body: bytes) -> bytes | None:
        """Count one export request's spans; the response body, or None for a wrong path."""
        source, _, rest = path.strip("/").partition("/")
        if rest != "v1/traces":
            return None
        request = self._messages.ExportTraceServiceRequest.FromString(body)
        spans = [
            span.name
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]
        with self._lock:
            self.spans[source] += len(spans)
            self.bytes[source] += len(body)
            self.batches[source] += 1
            self.names.update(spans)
        return bytes(self._messages.ExportTraceServiceResponse().SerializeToString())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as a real collector: the exporter reuses its connection.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                answer = receiver.record(self.path, body)
                self.send_response(404 if answer is None else 200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer or b"")))
                self.end_headers()
                self.wfile.write(answer or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per batch would drown the benchmark's own notes

        return Handler


@dataclass(frozen=True)
class Round:
    rate: float
    requests: int
    loop_cpu: float  # seconds on the server's main thread (its event loop)
    other_cpu: float  # seconds on its other threads (the span exporter's)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(whole process, main thread) CPU seconds so far; the process's count keeps the time of
    threads that have ended."""

    def read(stat: Path) -> float:
        # Fields after the command name: state is the first, utime the 12th, stime the 13th.
        fields = stat.read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    return read(Path(f"/proc/{pid}/stat")), read(Path(f"/proc/{pid}/task/{pid}/stat"))


def measure(url: str, pid: int) -> Round:
    total_before, loop_before = cpu_seconds(pid)
    rate, requests = wrk_run(url, ROUND_SECONDS)
    total_after, loop_after = cpu_seconds(pid)
    loop = loop_after - loop_before
    # The two files are read a moment apart, in clock ticks: an idle remainder can come out < 0.
    return Round(rate, requests, loop, max(0.0, total_after - total_before - loop))


def server_arguments(receiver: OtlpReceiver, source: str, ratio: float | None) -> list[str]:
    if ratio is None:
        return []
    return ["--telemetry-endpoint", receiver.url(source), "--sample-ratio", str(ratio)]


def scrub_otel_environment() -> None:
    """The servers inherit this environment: an OTEL_* variable from the shell (a collector,
    a sampler, excluded URLs, batch sizes) would trace `off` or change what `traced` does."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]


def run_rounds(package: str, receiver: OtlpReceiver) -> tuple[dict[str, list[Round]], int]:
    """The interleaved rounds; the rounds per variant, and the requests `traced` answered."""
    with contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                app_process(
                    sys.executable, "generated", package, *server_arguments(receiver, name, ratio)
                )
            )
            for name, ratio in VARIANTS.items()
        }
        warm_up = {
            name: wrk_run(url + "/health", WARM_UP_SECONDS) for name, (url, _) in servers.items()
        }
        rounds = interleaved(
            ROUNDS,
            {
                name: functools.partial(measure, url + "/health", process.pid)
                for name, (url, process) in servers.items()
            },
        )
    # Leaving the block stopped the servers; their lifespans flushed the spans still queued.
    answered = warm_up["traced"][1] + sum(r.requests for r in rounds["traced"])
    return rounds, answered


def profile_traced(package: str, receiver: OtlpReceiver) -> pstats.Stats:
    """cProfile of a traced server's event-loop thread over PROFILE_SECONDS of the same load."""
    stats_file = Path(tempfile.mkdtemp(prefix="bench-otel-")) / "traced.prof"
    arguments = [*server_arguments(receiver, "profiled", 1.0), "--profile", str(stats_file)]
    with app_process(sys.executable, "generated", package, *arguments) as (url, process):
        wrk_run(url + "/health", WARM_UP_SECONDS)
        process.send_signal(signal.SIGUSR1)
        wrk_run(url + "/health", PROFILE_SECONDS)
        process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while not stats_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
    if not stats_file.is_file():
        raise SystemExit("http_stack_otel: the profiled server wrote no stats")
    return pstats.Stats(str(stats_file))


def package_of(filename: str, function: str, package: str) -> str:
    """Who owns a profiled function: a distribution, the project, the stdlib or C built-ins."""
    if filename == "~":  # a C function; its text names the type it belongs to
        return "uvloop (C, idle wait included)" if "uvloop" in function else "C built-ins"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if f"/{package}/" in filename:
        return package
    return "stdlib"


def profile_shares(stats: pstats.Stats, package: str) -> tuple[dict[str, float], list[str]]:
    """Share of the profiled time by owner, and the costliest OpenTelemetry functions."""
    table: Mapping[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    owners: Counter[str] = Counter()
    otel: Counter[str] = Counter()
    for (filename, line, function), (_, _, own_time, _, _) in table.items():
        owner = package_of(filename, function, package)
        owners[owner] += own_time
        if owner == "opentelemetry":
            short = filename.split("site-packages/opentelemetry/", 1)[1]
            otel[f"{short}:{line}({function})"] += own_time
    total = sum(owners.values()) or 1.0
    shares = {owner: time / total for owner, time in owners.most_common()}
    top = [f"{name} {time / total:.1%}" for name, time in otel.most_common(6)]
    return shares, top


def check_spans(receiver: OtlpReceiver) -> None:
    """Fail loudly unless the traced servers exported their server spans and no other did."""
    note(
        "http_stack_otel receiver: "
        + ", ".join(
            f"{source} {receiver.spans[source]} spans in {receiver.batches[source]} batches "
            f"({receiver.bytes[source] / 1e6:.1f} MB)"
            for source in receiver.batches
        )
    )
    if receiver.spans["traced"] == 0 or receiver.names[SERVER_SPAN] == 0:
        raise SystemExit(
            "http_stack_otel: the traced server exported no spans: it measured nothing"
        )
    stray = {source: n for source, n in receiver.spans.items() if source in ("off", "unsampled")}
    if any(stray.values()):
        raise SystemExit(f"http_stack_otel: servers meant to record nothing exported {stray}")


def per_request_us(rounds: Sequence[Round]) -> tuple[float, float]:
    """Median CPU microseconds per request on the loop's thread and on the other threads."""
    loop = statistics.median(r.loop_cpu / r.requests * 1e6 for r in rounds)
    other = statistics.median(r.other_cpu / r.requests * 1e6 for r in rounds)
    return loop, other


def report(
    rounds: Mapping[str, Sequence[Round]],
    spans_per_request: float,
    shares: Mapping[str, float],
    top_otel: Sequence[str],
) -> None:
    rates = {name: [r.rate for r in values] for name, values in rounds.items()}
    for name, values in rates.items():
        note(f"http_stack_otel {name}: {', '.join(f'{v:.0f}' for v in values)} requests/s")
    ratios = [t / o for t, o in zip(rates["traced"], rates["off"], strict=True)]
    note(
        f"http_stack_otel traced/off per round: min {min(ratios):.2f}, max {max(ratios):.2f}, "
        f"stdev {statistics.stdev(ratios):.3f}"
    )
    cpu = {name: per_request_us(values) for name, values in rounds.items()}
    for name, (loop, other) in cpu.items():
        note(
            f"http_stack_otel {name} CPU/request: "
            f"event loop {loop:.0f} µs, other threads {other:.0f} µs"
        )
    (off, _), (unsampled, _), (traced, export) = cpu["off"], cpu["unsampled"], cpu["traced"]
    note(
        f"http_stack_otel where the time goes, CPU per request over {off:.0f} µs untraced: "
        f"+{unsampled - off:.0f} µs for the tracing middleware without recording, "
        f"+{traced - unsampled:.0f} µs more on the loop to record the span, "
        f"+{export:.0f} µs in the exporter's thread (OTLP encoding and POST, under the GIL)"
    )
    note(
        "http_stack_otel traced profile (event-loop thread, cProfile own time): "
        + ", ".join(f"{owner} {share:.0%}" for owner, share in shares.items() if share >= 0.01)
    )
    note(f"http_stack_otel costliest OpenTelemetry functions: {'; '.join(top_otel)}")
    traced_vs_off = median_ratio(rates["traced"], rates["off"])
    unsampled_vs_off = median_ratio(rates["unsampled"], rates["off"])
    note(
        f"http_stack_otel: the middleware alone keeps {unsampled_vs_off:.2f} of the throughput; "
        f"recording and export take it to {traced_vs_off:.2f} "
        f"({median_ratio(rates['traced'], rates['unsampled']):.2f} of unsampled)"
    )
    emit(
        {
            "http_stack_otel_vs_off": traced_vs_off,
            "http_stack_otel_unsampled_vs_off": unsampled_vs_off,
            "http_stack_otel_spans_per_request": spans_per_request,
        }
    )


def main() -> int:
    package = sys.argv[1]
    if importlib.util.find_spec(f"{package}.telemetry") is None:
        raise SystemExit("http_stack_otel: the rendered project has no tracing (with_otel=no)")
    scrub_otel_environment()
    with OtlpReceiver() as receiver:
        rounds, answered = run_rounds(package, receiver)
        stats = profile_traced(package, receiver)
    check_spans(receiver)
    shares, top_otel = profile_shares(stats, package)
    report(rounds, receiver.spans["traced"] / answered, shares, top_otel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
