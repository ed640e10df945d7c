"""Rendered projects install with uv and pass their own `make lint` and `make test`."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import TEMPLATE_ROOT, Render, project_env, run_make

pytestmark = pytest.mark.slow

FULL_CHECK_COMBINATIONS = {
    "defaults": {},
    "cli-only": {"with_server": False},
    "no-s3": {"with_s3": False},
    "bare-cli": {"with_server": False, "with_s3": False},
}


@pytest.mark.parametrize("answers", FULL_CHECK_COMBINATIONS.values(), ids=FULL_CHECK_COMBINATIONS)
def test_project_passes_its_own_lint_and_tests(render: Render, answers: dict[str, object]) -> None:
    project = render(**answers)
    result = run_make(project, "lint", "test")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "Success: no issues found" in result.stdout, "mypy --strict ran"
    assert " passed" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_make_demo_serves_health(tmp_path: Path) -> None:
    """`make demo` renders the defaults into build/demo/ and serves them."""
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        ["make", "-C", str(TEMPLATE_ROOT), "demo", f"DEMO_PORT={port}"],
        env=project_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole make → uv → python tree can be stopped
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("demo did not start:\n" + (tmp_path / "demo.log").read_text())
                time.sleep(0.5)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert (TEMPLATE_ROOT / "build" / "demo" / "my-service" / "pyproject.toml").is_file()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
