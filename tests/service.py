"""Run a rendered, installed project as a real service (uvicorn in a child process)."""

import contextlib
import os
import signal
import socket
import struct
import subprocess
import threading
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


def is_envelope(response: httpx.Response) -> bool:
    """Whether an error response carries the service's JSON error envelope."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and set(body) == {"error"} and "request_id" in body["error"]


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
    if (project / "src" / "my_service" / "db").is_dir():
        # A deployment migrates before the service starts (`serve` never does): the objects
        # API's index table must exist.
        subprocess.run(
            [str(python), "-m", "my_service", "db", "upgrade"],
            cwd=workdir, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
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


class Relay:
    """A TCP relay to a server, in threads: stopping it is that server going down.

    `stop()` closes the port and resets every open connection; `start()` listens again on the
    same port. The server behind keeps its state, like a restarted MinIO with its disk.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        assert self._listener is not None
        # shutdown() wakes the threads blocked in accept() and recv(); close() alone would not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._listener = None
        with self._lock:
            doomed = set(self._sockets)
        for sock in doomed:
            with contextlib.suppress(OSError):
                # Linger 0: the close that follows sends a reset, as a crashed server would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            threading.Thread(target=self._serve, args=(client, upstream), daemon=True).start()

    def _serve(self, client: socket.socket, upstream: socket.socket) -> None:
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        with self._lock:
            self._sockets -= {client, upstream}
        client.close()
        upstream.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)  # pass the end of stream on
