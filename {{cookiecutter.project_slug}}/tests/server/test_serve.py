"""`python -m <package> serve` runs a real uvicorn that answers, logs and stops cleanly."""

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from {{ cookiecutter.package_name }}.config import ENV_PREFIX

from .child import serve_in_child


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """Start the CLI's `serve` in a child process with JSON logs written to a file."""
    log_path = tmp_path / "server.log"
    env = {
        f"{ENV_PREFIX}LOGGING__FORMAT": "json",
        f"{ENV_PREFIX}SERVER__AUTH__TOKEN": "serve-test-token",
    }
    with serve_in_child(log_path, env) as served:
        yield served.url, served.process, log_path


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
