"""Run a rendered, installed project as a real service (uvicorn in a child process)."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cookiecutter.main import cookiecutter

from .conftest import TEMPLATE_ROOT, run_make

TOKEN = "reliability-token-0123456789"
ALLOWED_ORIGIN = "https://app.example"
ENV_PREFIX = "MY_SERVICE_"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def render_and_install(output: Path, cookiecutter_config: Path) -> Path:
    """The default project rendered into `output`, after its README's first step."""
    project = Path(
        cookiecutter(
            str(TEMPLATE_ROOT),
            no_input=True,
            output_dir=str(output),
            config_file=str(cookiecutter_config),
        )
    )
    result = run_make(project, "install")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return project


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, then wait: uvicorn finishes in-flight requests and runs the lifespan exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@contextmanager
def running_service(
    project: Path, workdir: Path, settings: Mapping[str, str] | None = None
) -> Iterator[Service]:
    """Start `python -m my_service serve` with JSON logs, a token and CORS for one origin."""
    port = free_port()
    log = workdir / f"service-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        {
            # Unclosed sessions, sockets or files at shutdown are printed, so tests can see them.
            "PYTHONWARNINGS": "default::ResourceWarning",
            f"{ENV_PREFIX}LOGGING__FORMAT": "json",
            f"{ENV_PREFIX}LOGGING__ACCESS_LOG": "false",
            f"{ENV_PREFIX}SERVER__AUTH__TOKEN": TOKEN,
            f"{ENV_PREFIX}SERVER__CORS__ALLOW_ORIGINS": f'["{ALLOWED_ORIGIN}"]',
            **(settings or {}),
        }
    )
    python = project / ".venv" / "bin" / "python"
    command = [str(python), "-m", "my_service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    service = Service(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{service.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("service did not start:\n" + service.log_text())
            time.sleep(0.2)
        yield service
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
