"""example_stream: PUT then GET a 256 MiB object through /api/v1/objects on a real uvicorn.

The service runs as `python -m <package> serve` in a child process with the local storage
backend in a temporary directory; this process is only the client. Printed: how much the
SERVER's peak resident memory grows during the upload and during the download. A service that
buffered bodies would grow by the object size (256 MiB); a streaming one stays near a few
chunks. Linux only (the peak is read from /proc/<pid>/status and reset through clear_refs).

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/example_stream.py <package>
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import httpx
from _harness import MIB, PeakMemory, generated, served_package

OBJECT_BYTES = 256 * MIB
KEY = "bench/stream.bin"


async def measure(base_url: str, memory: PeakMemory) -> dict[str, float]:
    url = f"{base_url}/api/v1/objects/{KEY}"
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(timeout=timeout) as client:
        # Warm up imports, the thread pool and the route with a small object.
        warm = await client.put(f"{base_url}/api/v1/objects/bench/warm-up", content=b"x" * MIB)
        warm.raise_for_status()
        (await client.get(f"{base_url}/api/v1/objects/bench/warm-up")).raise_for_status()

        sent = hashlib.sha256()
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(OBJECT_BYTES)}
        before = memory.reset()
        put = await client.put(url, content=generated(OBJECT_BYTES, sent), headers=headers)
        upload = memory.peak() - before
        put.raise_for_status()

        received = hashlib.sha256()
        size = 0
        before = memory.reset()
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            async for chunk in response.aiter_raw():
                received.update(chunk)
                size += len(chunk)
        download = memory.peak() - before

    if put.json()["size"] != OBJECT_BYTES or size != OBJECT_BYTES:
        raise SystemExit(f"example_stream: sizes differ ({put.json()['size']}, {size})")
    if sent.digest() != received.digest():
        raise SystemExit("example_stream: the downloaded object differs from the uploaded one")
    return {
        "example_stream_object_mib": OBJECT_BYTES / MIB,
        "example_stream_put_rss_growth_mib": upload / MIB,
        "example_stream_get_rss_growth_mib": download / MIB,
        "example_stream_rss_growth_mib": max(upload, download) / MIB,
    }


def main() -> int:
    package = sys.argv[1]
    prefix = package.upper() + "_"
    with tempfile.TemporaryDirectory(prefix="example-stream-", dir=Path.cwd()) as workdir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        env.update(
            {
                f"{prefix}STORAGE__ROOT": str(Path(workdir) / "data"),
                f"{prefix}LOGGING__ACCESS_LOG": "false",
            }
        )
        with served_package(package, workdir, env) as (base_url, process):
            metrics = asyncio.run(measure(base_url, PeakMemory(process.pid)))
    for name, value in metrics.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
