"""files_copy: `files.copy` against `shutil.copyfile` on a 256 MiB file, in the same run.

Both copy the same source (read from the page cache after the first pass) into the same
directory, in interleaved rounds whose order alternates, so a disk or a neighbour that slows
down hurts both alike; each side's best round counts. `files_copy_ratio` is the throughput of
`files.copy` over that of `shutil.copyfile`: what running the copy in a worker thread (so the
event loop stays free) costs.

The `files_stream_<size>_ratio` lines do the same for a streamed copy (`iter_file` into
`stream_to_file`, with its sha256 and fsync) at several chunk sizes: the figures behind
`CHUNK_SIZE`.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/files_copy.py <package>
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

MIB = 1024 * 1024
FILE_BYTES = 256 * MIB
ROUNDS = 5
STREAM_ROUNDS = 3
STREAM_CHUNKS = {"64k": 64 * 1024, "256k": 256 * 1024, "1m": MIB, "4m": 4 * MIB}


def write_source(path: Path) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as file:
        for index in range(FILE_BYTES // MIB):
            file.write(index.to_bytes(8, "big") + block[8:])


async def best_of(
    rounds: int,
    ours: Callable[[Path], Awaitable[object]],
    theirs: Callable[[Path], object],
    dst: Path,
) -> tuple[float, float]:
    """Best seconds of `ours` and of `theirs` over interleaved rounds (order alternates)."""
    best_ours = best_theirs = float("inf")
    for index in range(rounds):
        for side in ("ours", "theirs") if index % 2 == 0 else ("theirs", "ours"):
            started = time.perf_counter()
            if side == "ours":
                await ours(dst)
            else:
                theirs(dst)
            elapsed = time.perf_counter() - started
            dst.unlink()
            if side == "ours":
                best_ours = min(best_ours, elapsed)
            else:
                best_theirs = min(best_theirs, elapsed)
    return best_ours, best_theirs


async def measure(package: str, directory: Path) -> dict[str, float]:
    files = importlib.import_module(f"{package}.files")
    source = directory / "source.bin"
    await asyncio.to_thread(write_source, source)
    target = directory / "copy.bin"

    def copyfile(dst: Path) -> None:
        shutil.copyfile(source, dst)

    async def copy(dst: Path) -> None:
        await files.copy(source, dst)

    ours, theirs = await best_of(ROUNDS, copy, copyfile, target)
    metrics = {"files_copy_mib": FILE_BYTES / MIB, "files_copy_ratio": theirs / ours}

    for label, chunk_size in STREAM_CHUNKS.items():

        async def stream(dst: Path, chunk_size: int = chunk_size) -> None:
            await files.stream_to_file(files.iter_file(source, chunk_size=chunk_size), dst)

        ours, theirs = await best_of(STREAM_ROUNDS, stream, copyfile, target)
        metrics[f"files_stream_{label}_ratio"] = theirs / ours
    return metrics


def main() -> int:
    package = sys.argv[1]
    # On the project's disk, not /tmp (often a tmpfs in RAM, which would flatter both sides).
    with tempfile.TemporaryDirectory(prefix="files-copy-", dir=Path.cwd()) as directory:
        metrics = asyncio.run(measure(package, Path(directory)))
    for name, value in metrics.items():
        print(f"{name}: {value:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
