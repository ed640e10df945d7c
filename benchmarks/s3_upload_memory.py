"""s3_upload_memory: peak RSS growth of the service under many concurrent S3 uploads.

The service runs as `python -m <package> serve` in a child process with the objects API on the
S3 backend, against moto's S3 server (another child). This process sends N concurrent PUTs of
8 MB (the size below the default multipart threshold, so each is held whole before its single
PutObject) and reads the SERVER's peak resident memory from /proc. An upload answered 503 is
retried after its Retry-After, as a client should; every object must be stored in the end.

Printed: the RSS growth, the configured buffer budget (`s3.upload_buffer_bytes`, read from the
service's own defaults unless --budget-mib sets it), how many 503s were answered, and N.
Without a budget the growth is about N x 9 MiB (64 uploads: some 570 MiB); with it, the
budget plus a small constant. Linux only.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/s3_upload_memory.py <package> [--uploads N] [--budget-mib M]
        [--object-bytes B]  (above 8 MiB: multipart uploads)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _harness import MIB, PeakMemory, moto_server, note, served_package

OBJECT_BYTES = 8_000_000
UPLOADS = 64
BUCKET = "bench"
MAX_TRIES = 20


async def measure(
    base_url: str, memory: PeakMemory, uploads: int, object_bytes: int
) -> dict[str, float]:
    body = os.urandom(object_bytes)
    # A connection per request: a kept-alive one may be closed by the server's keep-alive
    # timeout just as a request goes out on it, which no server can answer.
    limits = httpx.Limits(max_connections=uploads, max_keepalive_connections=0)
    busy = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=300, limits=limits) as client:
        # Warm up imports, the route and the S3 connection pool with a small object.
        (await client.put("/api/v1/objects/bench/warm-up", content=b"x" * MIB)).raise_for_status()

        async def upload(index: int) -> int:
            nonlocal busy
            for _ in range(MAX_TRIES):
                response = await client.put(f"/api/v1/objects/bench/{index}", content=body)
                if response.status_code != 503:
                    response.raise_for_status()
                    size: int = response.json()["size"]
                    return size
                busy += 1
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            raise SystemExit(f"s3_upload_memory: upload {index} was refused {MAX_TRIES} times")

        before = memory.reset()
        started = time.perf_counter()
        sizes = await asyncio.gather(*(upload(i) for i in range(uploads)))
        seconds = time.perf_counter() - started
        growth = memory.peak() - before
        listing = await client.get("/api/v1/objects", params={"prefix": "bench/", "limit": 1000})
        stored = [item for item in listing.json()["items"] if item["key"] != "bench/warm-up"]
    if sizes != [object_bytes] * uploads or len(stored) != uploads:
        raise SystemExit(f"s3_upload_memory: {len(stored)} of {uploads} objects stored")
    return {
        "s3_upload_memory_uploads": uploads,
        "s3_upload_memory_busy_responses": busy,
        "s3_upload_memory_seconds": seconds,
        "s3_upload_memory_rss_growth_mib": growth / MIB,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("package")
    parser.add_argument("--uploads", type=int, default=UPLOADS)
    parser.add_argument("--budget-mib", type=int, default=None)
    parser.add_argument("--object-bytes", type=int, default=OBJECT_BYTES)
    arguments = parser.parse_args()
    package: str = arguments.package
    prefix = package.upper() + "_"
    budget = arguments.budget_mib
    if budget is None:
        settings = importlib.import_module(f"{package}.features.s3").S3Settings()
        budget = getattr(settings, "upload_buffer_bytes", 0) // MIB
    with (
        moto_server() as endpoint,
        tempfile.TemporaryDirectory(prefix="s3-upload-memory-", dir=Path.cwd()) as workdir,
    ):
        httpx.put(f"{endpoint}/{BUCKET}", timeout=10).raise_for_status()
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        env.update(
            {
                f"{prefix}S3__ENABLED": "true",
                f"{prefix}S3__BUCKET": BUCKET,
                f"{prefix}S3__ENDPOINT_URL": endpoint,
                f"{prefix}S3__REGION": "us-east-1",
                f"{prefix}S3__ADDRESSING_STYLE": "path",
                f"{prefix}S3__ACCESS_KEY_ID": "bench",
                f"{prefix}S3__SECRET_ACCESS_KEY": "bench",
                f"{prefix}STORAGE__BACKEND": "s3",
                f"{prefix}STORAGE__ROOT": str(Path(workdir) / "data"),
                f"{prefix}LOGGING__ACCESS_LOG": "false",
            }
        )
        if arguments.budget_mib is not None:
            env[f"{prefix}S3__UPLOAD_BUFFER_BYTES"] = str(budget * MIB)
        with served_package(package, workdir, env, ready_path="/ready") as (base_url, process):
            uploads, size = arguments.uploads, arguments.object_bytes
            note(f"{uploads} PUTs of {size} bytes at once, budget {budget} MiB")
            metrics = asyncio.run(measure(base_url, PeakMemory(process.pid), uploads, size))
    metrics["s3_upload_memory_budget_mib"] = budget
    metrics["s3_upload_memory_over_budget_mib"] = (
        metrics["s3_upload_memory_rss_growth_mib"] - budget
    )
    for name, value in metrics.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
