"""`make demo` renders the defaults and serves them (the full checks live in test_matrix.py)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import TEMPLATE_ROOT, project_env
from .service import free_port

pytestmark = pytest.mark.slow


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
