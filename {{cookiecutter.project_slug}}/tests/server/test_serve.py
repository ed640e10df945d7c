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


def test_serve_reads_the_config_file_given_after_the_command(tmp_path: Path) -> None:
    """`serve --config` works, and wins over a `--config` given before the command."""
    given_before = tmp_path / "before.yaml"
    given_before.write_text("server:\n  auth:\n    token: token-before\n", encoding="utf-8")
    given_after = tmp_path / "after.yaml"
    given_after.write_text("server:\n  auth:\n    token: token-after\n", encoding="utf-8")
    before = ["--config", str(given_before)]
    after = ["--config", str(given_after)]
    with serve_in_child(tmp_path / "server.log", {}, before=before, after=after) as served:
        headers = {"Authorization": "Bearer token-after"}
        assert httpx.get(f"{served.url}/version", headers=headers).status_code == 200
        headers = {"Authorization": "Bearer token-before"}
        assert httpx.get(f"{served.url}/version", headers=headers).status_code == 401
