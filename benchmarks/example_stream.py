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
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _harness import MIB, PeakMemory, generated, migrate_database, stop_process

OBJECT_BYTES = 256 * MIB
KEY = "bench/stream.bin"
STARTUP_SECONDS = 60


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("example_stream: the service did not start:\n" + log.read_text())
        time.sleep(0.2)


def main() -> int:
    package = sys.argv[1]
    prefix = package.upper() + "_"
    with tempfile.TemporaryDirectory(prefix="example-stream-", dir=Path.cwd()) as workdir:
        port = free_port()
        log = Path(workdir) / "service.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        env.update(
            {
                f"{prefix}STORAGE__ROOT": str(Path(workdir) / "data"),
                f"{prefix}LOGGING__ACCESS_LOG": "false",
            }
        )
        command = [
            sys.executable,
            "-m",
            package,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        migrate_database(package, workdir, env)
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=workdir, env=env, stdout=sink, stderr=sink)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url, process, log)
            metrics = asyncio.run(measure(base_url, PeakMemory(process.pid)))
        finally:
            stop_process(process, signal_number=signal.SIGTERM, timeout=20)
    for name, value in metrics.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
