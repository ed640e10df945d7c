"""s3_stream: stream a 64 MiB object up and down through S3Client against a local moto server.

Prints how much the peak resident memory of THIS process grows during each transfer. moto runs
in a child process, so the object it stores does not count. A client that held the whole object
would grow by 64 MiB or more; a streaming one stays near its part size (8 MiB by default).

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/s3_stream.py <package>
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import sys

from _harness import MIB, PeakMemory, generated, moto_server

OBJECT_BYTES = 64 * MIB
KEY = "bench/object.bin"


async def measure(package: str, endpoint: str) -> dict[str, float]:
    config = importlib.import_module(f"{package}.features.s3")
    storage = importlib.import_module(f"{package}.storage.s3_client")
    settings = config.S3Settings(
        enabled=True,
        bucket="bench",
        endpoint_url=endpoint,
        region="us-east-1",
        addressing_style="path",
        access_key_id="bench",
        secret_access_key="bench",
    )
    session = await asyncio.to_thread(storage.create_boto_session)
    async with session.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ) as raw:
        await raw.create_bucket(Bucket="bench")

    memory = PeakMemory()
    async with storage.S3Client(settings, session=session) as s3:
        # Warm up imports and the connection pool with a tiny object (not a large one, whose
        # freed buffers would flatter the measurement).
        await s3.put_bytes("bench/warm-up", b"x")
        await s3.get_bytes("bench/warm-up")

        sent = hashlib.sha256()
        before = memory.reset()
        info = await s3.put_stream(KEY, generated(OBJECT_BYTES, sent))
        upload = memory.peak() - before

        received = hashlib.sha256()
        size = 0
        before = memory.reset()
        async for chunk in s3.iter_object(KEY):
            received.update(chunk)
            size += len(chunk)
        download = memory.peak() - before

    if info.size != OBJECT_BYTES or size != OBJECT_BYTES or sent.digest() != received.digest():
        raise SystemExit("s3_stream: the downloaded object differs from the uploaded one")
    return {
        "s3_stream_object_mib": OBJECT_BYTES / MIB,
        "s3_stream_upload_rss_growth_mib": upload / MIB,
        "s3_stream_download_rss_growth_mib": download / MIB,
        "s3_stream_rss_growth_mib": max(upload, download) / MIB,
    }


def main() -> int:
    package = sys.argv[1]
    with moto_server() as endpoint:
        metrics = asyncio.run(measure(package, endpoint))
    for name, value in metrics.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
