"""s3_overhead: S3Client vs raw aioboto3 vs boto3 in threads, against one local moto server.

Each round stores 200 objects of 256 KiB and reads them back, 16 at a time, once per client:
  S3Client        put_bytes / get_bytes of the rendered project
  raw aioboto3    put_object / get_object + read on a client from the same session and config
  boto3 threads   the same calls with sync boto3 in a 16-thread pool (one shared client)
All three use a pool of 16 connections and the same timeouts, retries and addressing style.

The figures compare the clients' own cost: operations per second of this process's CPU time
(all its threads), median of the per-round ratios, rounds in rotating order. Wall-clock rates
are printed too (`*_wall`), but on 2 shared cores they mostly measure moto, which runs on the
same machine, and the kernel's sharing of the CPUs: 16 runnable threads get a larger share of
a busy machine than one event loop does, which says nothing about either client.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/s3_overhead.py <package>
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from _harness import cpu_and_wall, emit, interleaved, median_ratio, moto_server
from botocore.config import Config

try:
    from uvloop import new_event_loop
except ImportError:  # the server's loop when the project has one
    from asyncio import new_event_loop

OBJECTS = 200
OBJECT_BYTES = 256 * 1024
CONCURRENCY = 16
ROUNDS = 7
BUCKET = "bench"


async def run_async(operation: Callable[[int], Awaitable[None]]) -> None:
    queue = iter(range(OBJECTS))

    async def worker() -> None:
        for index in queue:
            await operation(index)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


class Clients:
    """The three clients, open for the whole run; each `*_round` returns operations/s."""

    def __init__(self, package: str, endpoint: str, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.storage = importlib.import_module(f"{package}.storage.s3_client")
        config = importlib.import_module(f"{package}.features.s3")
        self.settings = config.S3Settings(
            enabled=True,
            bucket=BUCKET,
            endpoint_url=endpoint,
            region="us-east-1",
            addressing_style="path",
            access_key_id="bench",
            secret_access_key="bench",
            max_pool_connections=CONCURRENCY,
        )
        self.payload = os.urandom(OBJECT_BYTES)
        self.endpoint = endpoint
        self.threads = ThreadPoolExecutor(CONCURRENCY)

    def client_arguments(self, config_class: type[Config]) -> dict[str, Any]:
        """What S3Client passes to botocore, from the same settings."""
        settings = self.settings
        return {
            "endpoint_url": self.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "bench",
            "aws_secret_access_key": "bench",
            "config": config_class(
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                max_pool_connections=settings.max_pool_connections,
                retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
                s3={"addressing_style": settings.addressing_style},
            ),
        }

    async def open(self) -> None:
        from aiobotocore.config import AioConfig

        self.session = await asyncio.to_thread(self.storage.create_boto_session)
        self.s3 = await self.storage.S3Client(self.settings, session=self.session).__aenter__()
        self.raw_context = self.session.client("s3", **self.client_arguments(AioConfig))
        self.raw = await self.raw_context.__aenter__()
        await self.raw.create_bucket(Bucket=BUCKET)
        self.sync = boto3.session.Session().client("s3", **self.client_arguments(Config))

    async def close(self) -> None:
        await self.s3.aclose()
        await self.raw_context.__aexit__(None, None, None)
        self.sync.close()
        self.threads.shutdown()

    def timed(self, work: Callable[[], None]) -> tuple[float, float]:
        """Operations per CPU second of this process, and per wall-clock second."""
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        operations = 2 * OBJECTS
        return operations / (time.process_time() - cpu), operations / (time.perf_counter() - wall)

    def s3client_round(self) -> tuple[float, float]:
        async def put(index: int) -> None:
            await self.s3.put_bytes(f"s3client/{index}", self.payload)

        async def get(index: int) -> None:
            assert len(await self.s3.get_bytes(f"s3client/{index}")) == OBJECT_BYTES

        return self.timed(lambda: self.run_phases(put, get))

    def raw_round(self) -> tuple[float, float]:
        async def put(index: int) -> None:
            await self.raw.put_object(Bucket=BUCKET, Key=f"raw/{index}", Body=self.payload)

        async def get(index: int) -> None:
            response = await self.raw.get_object(Bucket=BUCKET, Key=f"raw/{index}")
            async with response["Body"] as body:
                assert len(await body.read()) == OBJECT_BYTES

        return self.timed(lambda: self.run_phases(put, get))

    def threads_round(self) -> tuple[float, float]:
        def put(index: int) -> None:
            self.sync.put_object(Bucket=BUCKET, Key=f"threads/{index}", Body=self.payload)

        def get(index: int) -> None:
            response = self.sync.get_object(Bucket=BUCKET, Key=f"threads/{index}")
            assert len(response["Body"].read()) == OBJECT_BYTES

        def work() -> None:
            list(self.threads.map(put, range(OBJECTS)))
            list(self.threads.map(get, range(OBJECTS)))

        return self.timed(work)

    def run_phases(
        self, put: Callable[[int], Awaitable[None]], get: Callable[[int], Awaitable[None]]
    ) -> None:
        async def phases() -> None:
            await run_async(put)
            await run_async(get)

        self.loop.run_until_complete(phases())


def main() -> int:
    package = sys.argv[1]
    loop = new_event_loop()
    with moto_server() as endpoint:
        clients = Clients(package, endpoint, loop)
        loop.run_until_complete(clients.open())
        try:
            # Warm up: connection pools, botocore's lazily loaded parts, moto's bucket.
            clients.s3client_round()
            clients.raw_round()
            clients.threads_round()
            rounds = interleaved(
                ROUNDS,
                {
                    "s3client": clients.s3client_round,
                    "raw_aioboto3": clients.raw_round,
                    "boto3_threads": clients.threads_round,
                },
            )
        finally:
            loop.run_until_complete(clients.close())
            loop.close()
    cpu, wall = cpu_and_wall("s3_overhead", "operations", rounds)
    emit(
        {
            "s3client_vs_raw_aioboto3": median_ratio(cpu["s3client"], cpu["raw_aioboto3"]),
            "s3client_vs_boto3_threads": median_ratio(cpu["s3client"], cpu["boto3_threads"]),
            "s3client_vs_raw_aioboto3_wall": median_ratio(wall["s3client"], wall["raw_aioboto3"]),
            "s3client_vs_boto3_threads_wall": median_ratio(wall["s3client"], wall["boto3_threads"]),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
