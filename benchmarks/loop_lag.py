"""loop_lag: event-loop lag inside the server while it is under load and streaming 256 MiB.

The generated app runs on uvicorn in a child process (see _server.py) with a task that sleeps
10 ms at a time and records how late it wakes up. While wrk puts the http_stack load on
GET /health, this process streams a 256 MiB object up with PUT and back down with GET, in
1 MiB chunks, through the full middleware stack: to `/api/v1/objects/{key}` when the app's
OpenAPI has it, otherwise to a stand-in route the server mounts for the benchmark.

The figures are the 99th percentile and the maximum lag while both ran, of the loop's own
making: each tick's lag less the time the kernel kept the loop's thread waiting for a CPU
(Linux schedstat). On 2 shared cores the server competes with wrk, this client and whatever
else runs; that wait says nothing about the service's code. The raw wall-clock figures are
printed too (`loop_lag_wall_*`).

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/loop_lag.py <package>
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from _harness import (
    MIB,
    app_server,
    emit,
    generated,
    get_json,
    lag_figures,
    note,
    wrk_background,
    wrk_rate,
)

OBJECT_BYTES = 256 * MIB
WARM_UP_BYTES = 8 * MIB
CHUNK_BYTES = MIB
# The load generators (wrk and this process) run below the server's priority: the figure is
# about what the service holds its loop for, not about how the kernel shares two cores
# between the server and the programs that load it.
GENERATOR_NICENESS = 10
OBJECTS_PATH = "/api/v1/objects/{key}"
STAND_IN_PATH = "/_bench/objects/{key}"
KEY = "loop-lag.bin"


def objects_url(base: str) -> str:
    paths = get_json(f"{base}/openapi.json")["paths"]  # type: ignore[index]
    methods = paths.get(OBJECTS_PATH, {})
    template = OBJECTS_PATH if "put" in methods and "get" in methods else STAND_IN_PATH
    note(f"loop_lag: streaming through {template}")
    return base + template.format(key=KEY)


async def stream(url: str, total: int) -> None:
    """PUT `total` bytes, GET them back, and check that the same bytes came back."""
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        sent = hashlib.sha256()
        headers = {"Content-Type": "application/octet-stream"}
        async with session.put(url, data=generated(total, sent), headers=headers) as put:
            if put.status >= 300:
                raise SystemExit(f"loop_lag: PUT answered {put.status}: {await put.text()}")
        received = hashlib.sha256()
        size = 0
        async with session.get(url) as get:
            get.raise_for_status()
            async for chunk in get.content.iter_chunked(CHUNK_BYTES):
                received.update(chunk)
                size += len(chunk)
    if size != total or sent.digest() != received.digest():
        raise SystemExit("loop_lag: the object read back differs from the one sent")


def main() -> int:
    package = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="loop-lag-") as scratch:
        lag_file = Path(scratch) / "lag.json"
        arguments = ("--lag-file", str(lag_file), "--max-body-bytes", str(2 * OBJECT_BYTES))
        with app_server(sys.executable, "generated", package, *arguments) as base:
            os.nice(GENERATOR_NICENESS)
            url = objects_url(base)
            # Warm up both paths: first-use imports and thread pools are not steady state.
            wrk_rate(f"{base}/health", 1)
            asyncio.run(stream(url, WARM_UP_BYTES))
            with wrk_background(f"{base}/health", niceness=GENERATOR_NICENESS):
                time.sleep(0.5)  # let the load settle before the window opens
                started = time.monotonic()
                asyncio.run(stream(url, OBJECT_BYTES))
                ended = time.monotonic()
        # The server wrote its samples at shutdown (when the block above ended).
        samples = json.loads(lag_file.read_text())
    emit(lag_figures("loop_lag", samples, started, ended))
    return 0


if __name__ == "__main__":
    sys.exit(main())
