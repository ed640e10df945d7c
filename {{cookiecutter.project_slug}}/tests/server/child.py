"""`python -m <package> serve` in a child process, for tests that need a real uvicorn."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ..ports import unused_port

STARTUP_SECONDS = 20.0
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Served:
    port: int
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextmanager
def serve_in_child(
    log_path: Path,
    env: Mapping[str, str],
    *,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
) -> Iterator[Served]:
    """Start `serve` on a free port with `env` added; yield once /health answers.

    `before` and `after` are more command-line arguments, before and after `serve`.
    Output goes to `log_path`. A process still running at the end is stopped with SIGTERM
    (killed if it does not stop).
    """
    port = unused_port()
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", *before, "serve"]
    command += ["--host", HOST, "--port", str(port), *after]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    served = Served(port, process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(f"{served.url}/health", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start:\n" + log_path.read_text(encoding="utf-8"))
                time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
