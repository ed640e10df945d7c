"""`python -m <package> serve` runs a real uvicorn that answers, logs and stops cleanly."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from {{ cookiecutter.package_name }}.config import ENV_PREFIX

STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """Start the CLI's `serve` in a child process with JSON logs written to a file."""
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        f"{ENV_PREFIX}LOGGING__FORMAT": "json",
        f"{ENV_PREFIX}SERVER__AUTH__TOKEN": "serve-test-token",
    }
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "{{ cookiecutter.package_name }}",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(f"{base_url}/health", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start:\n" + log_path.read_text(encoding="utf-8"))
                time.sleep(0.1)
        yield base_url, process, log_path
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_and_stops_cleanly_on_sigterm(
    server: tuple[str, subprocess.Popen[str], Path],
) -> None:
    base_url, process, log_path = server
    health = httpx.get(f"{base_url}/health", headers={"X-Request-ID": "probe-1"})
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    denied = httpx.get(f"{base_url}/version")
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "unauthorized"

    process.send_signal(signal.SIGTERM)
    # uvicorn re-raises the signal after a graceful shutdown, so -SIGTERM is a clean exit too.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)

    lines = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    messages = [line["message"] for line in lines]
    assert "application stopping" in messages, "the lifespan ran its shutdown"
    assert "Application shutdown complete." in messages
    assert not any("color_message" in line for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line["request_id"] == "probe-1" for line in access), access
    assert all(line["request_id"] for line in access), "every request line carries its id"
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
