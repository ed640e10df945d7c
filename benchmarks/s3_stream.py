"""s3_stream: stream a 64 MiB object up and down through S3Client against a local moto server.

Prints how much the peak resident memory of THIS process grows during each transfer. moto runs
in a child process, so the object it stores does not count. A client that held the whole object
would grow by 64 MiB or more; a streaming one stays near its part size (8 MiB by default).

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/s3_stream.py <package>
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import hashlib
import importlib
import os
import re
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

MIB = 1024 * 1024
OBJECT_BYTES = 64 * MIB
CHUNK_BYTES = MIB
KEY = "bench/object.bin"

# moto in a child process on a free port; it prints the port and stops when stdin closes.
MOTO_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


class PeakMemory:
    """Peak resident set size of this process since the last `reset()`, in bytes.

    Linux resets the high-water mark through /proc/self/clear_refs (and glibc's malloc_trim
    returns freed memory first); elsewhere the lifetime peak (ru_maxrss) is the best there is,
    which can understate the growth.
    """

    STATUS = Path("/proc/self/status")
    CLEAR_REFS = Path("/proc/self/clear_refs")

    def __init__(self) -> None:
        try:
            self._libc: ctypes.CDLL | None = ctypes.CDLL(ctypes.util.find_library("c"))
        except OSError:
            self._libc = None

    def reset(self) -> int:
        """Start a new measurement; return the current resident size."""
        # Give freed memory back to the OS first, or an earlier phase's freed buffers would
        # hide this phase's growth.
        gc.collect()
        if self._libc is not None and hasattr(self._libc, "malloc_trim"):
            self._libc.malloc_trim(0)
        if self.STATUS.exists():
            self.CLEAR_REFS.write_text("5")  # 5: reset the peak RSS to the current RSS
            return self._status("VmRSS")
        return self._max_rss()

    def peak(self) -> int:
        return self._status("VmHWM") if self.STATUS.exists() else self._max_rss()

    def _status(self, field: str) -> int:
        match = re.search(rf"^{field}:\s+(\d+) kB$", self.STATUS.read_text(), re.MULTILINE)
        assert match is not None, field
        return int(match[1]) * 1024

    @staticmethod
    def _max_rss() -> int:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


async def generated(total: int, digest: Digest) -> AsyncIterator[bytes]:
    """`total` bytes in 1 MiB chunks, made on the fly (never all in memory), hashed as sent."""
    block = os.urandom(CHUNK_BYTES)
    for index in range(total // CHUNK_BYTES):
        chunk = index.to_bytes(8, "big") + block[8:]
        digest.update(chunk)
        yield chunk


async def measure(package: str, endpoint: str) -> dict[str, float]:
    config = importlib.import_module(f"{package}.config")
    storage = importlib.import_module(f"{package}.storage")
    settings = config.S3Settings(
        enabled=True,
        bucket="bench",
        endpoint_url=endpoint,
        region="us-east-1",
        addressing_style="path",
        access_key_id="bench",
        secret_access_key="bench",
    )
    session = await asyncio.to_thread(storage.create_session)
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
        async for chunk in s3.get_stream(KEY):
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
    # Fake credentials only; never read the developer's ~/.aws or reach instance metadata.
    os.environ.update(
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-config",
        AWS_EC2_METADATA_DISABLED="true",
    )
    moto = subprocess.Popen(
        [sys.executable, "-c", MOTO_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert moto.stdout is not None
        port = int(moto.stdout.readline())
        metrics = asyncio.run(measure(package, f"http://127.0.0.1:{port}"))
    finally:
        assert moto.stdin is not None
        moto.stdin.close()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()
    for name, value in metrics.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
