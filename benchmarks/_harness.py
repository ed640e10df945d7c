"""Shared pieces of the benchmark scripts: child servers, wrk, interleaved rounds, medians.

Not a benchmark itself (the leading underscore keeps it out of the registry). The scripts run
from the rendered project's directory with its interpreter; this directory is on sys.path
because Python puts the running script's folder there.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")
MIB = 1024 * 1024
HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "_server.py"
WRK_RATE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
WRK_COUNT = re.compile(r"^\s*([0-9]+) requests in ", re.MULTILINE)

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

# Fake credentials only; never read the developer's ~/.aws or reach instance metadata.
FAKE_AWS_ENVIRONMENT = {
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-config",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


async def generated(total: int, digest: Digest, chunk_bytes: int = MIB) -> AsyncIterator[bytes]:
    """`total` bytes in `chunk_bytes` chunks, made on the fly (never all in memory), hashed as sent.

    Each chunk starts with its index, so a reordered or repeated chunk changes the digest.
    """
    block = os.urandom(chunk_bytes)
    for index in range(total // chunk_bytes):
        chunk = index.to_bytes(8, "big") + block[8:]
        digest.update(chunk)
        yield chunk


class PeakMemory:
    """Peak resident memory of a process since `reset()`, in bytes.

    Linux resets the high-water mark through /proc/<pid>/clear_refs. For this process (no pid)
    freed memory is first given back to the OS (gc, glibc's malloc_trim), or an earlier phase's
    freed buffers would hide this phase's growth; without /proc the lifetime peak (ru_maxrss)
    is the best there is, which can understate the growth.
    """

    def __init__(self, pid: int | None = None) -> None:
        proc = Path(f"/proc/{'self' if pid is None else pid}")
        self._status = proc / "status"
        self._clear_refs = proc / "clear_refs"
        self._own = pid is None
        self._libc: ctypes.CDLL | None = None
        if self._own:
            with contextlib.suppress(OSError):
                self._libc = ctypes.CDLL(ctypes.util.find_library("c"))

    def reset(self) -> int:
        """Start a new measurement; return the current resident size."""
        if self._own:
            gc.collect()
            if self._libc is not None and hasattr(self._libc, "malloc_trim"):
                self._libc.malloc_trim(0)
        if self._status.exists():
            self._clear_refs.write_text("5")  # 5: reset the peak RSS (VmHWM) to the current RSS
            return self._field("VmRSS")
        return self._max_rss()

    def peak(self) -> int:
        return self._field("VmHWM") if self._status.exists() else self._max_rss()

    def _field(self, name: str) -> int:
        match = re.search(rf"^{name}:\s+(\d+) kB$", self._status.read_text(), re.MULTILINE)
        assert match is not None, name
        return int(match[1]) * 1024

    def _max_rss(self) -> int:
        if not self._own:
            raise SystemExit("measuring another process's memory needs /proc (Linux)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def stop_process(
    process: subprocess.Popen[str] | subprocess.Popen[bytes],
    *,
    signal_number: int | None = signal.SIGINT,
    timeout: float = 10,
) -> None:
    """Send `signal_number` (None: the child was told some other way), then wait; kill late."""
    if signal_number is not None and process.poll() is None:
        process.send_signal(signal_number)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def migrate_database(package: str, cwd: str | Path, env: Mapping[str, str]) -> None:
    """`<package> db upgrade` in `cwd`, when the project has the database feature.

    As every deployment does before the service starts (`make run` too): a service whose schema
    is behind head is not ready, and the objects API needs its index table.
    """
    import importlib.util

    if importlib.util.find_spec(f"{package}.db") is None:
        return
    command = [sys.executable, "-m", package, "db", "upgrade"]
    subprocess.run(command, cwd=cwd, env=dict(env), check=True, capture_output=True, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def served_package(
    package: str,
    workdir: str | Path,
    env: Mapping[str, str],
    *,
    ready_path: str = "/health",
    startup_seconds: float = 60,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m <package> serve` in `workdir`, as its users run it: yield (base URL, process).

    The database (if any) is migrated first; the service counts as up once `ready_path`
    answers 200. Its log is printed when the block fails; SIGTERM stops it either way.
    """
    port = free_port()
    log = Path(workdir) / "service.log"
    migrate_database(package, workdir, env)
    command = [sys.executable, "-m", package, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=workdir, env=dict(env), stdout=sink, stderr=sink)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while not _answers_200(base_url + ready_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{package} serve did not start")
            time.sleep(0.2)
        yield base_url, process
    except BaseException:
        note("the service's log:\n" + log.read_text()[-5000:])
        raise
    finally:
        stop_process(process, signal_number=signal.SIGTERM, timeout=20)


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def note(message: str) -> None:
    """A progress line on stderr (stdout carries only `name: value` lines)."""
    print(f"# {message}", file=sys.stderr, flush=True)


def emit(metrics: Mapping[str, float], digits: int = 2) -> None:
    for name, value in metrics.items():
        print(f"{name}: {value:.{digits}f}", flush=True)


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the per-round ratios: each round pairs measurements taken back to back."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def lag_figures(
    prefix: str, samples: Sequence[Sequence[float]], started: float, ended: float
) -> dict[str, float]:
    """p99 and max event-loop lag in ms over [started, ended], from _server.py's samples.

    `{prefix}_p99_ms`/`_max_ms` are the loop's own lag: each tick's lag less the time the
    kernel kept the loop's thread waiting for a CPU. `{prefix}_wall_*` are the raw figures.
    """
    window = [(lag, delay) for at, lag, delay in samples if started <= at <= ended]
    if not window:
        raise SystemExit(f"{prefix}: no lag samples between {started:.1f} and {ended:.1f}")
    own = [max(0.0, lag - delay) * 1000 for lag, delay in window]
    wall = [lag * 1000 for lag, _ in window]
    note(f"{prefix}: {len(window)} samples over {ended - started:.1f} s")
    return {
        f"{prefix}_p99_ms": percentile(own, 0.99),
        f"{prefix}_max_ms": max(own),
        f"{prefix}_wall_p99_ms": percentile(wall, 0.99),
        f"{prefix}_wall_max_ms": max(wall),
    }


def cpu_and_wall(
    label: str, unit: str, rounds: Mapping[str, Sequence[tuple[float, float]]]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Split per-round (per-CPU-second, per-second) rates by variant and note each series."""
    cpu = {name: [rate for rate, _ in values] for name, values in rounds.items()}
    wall = {name: [rate for _, rate in values] for name, values in rounds.items()}
    for name in rounds:
        note(
            f"{label} {name}: {', '.join(f'{v:.0f}' for v in cpu[name])} {unit}/CPU-s; "
            f"{', '.join(f'{v:.0f}' for v in wall[name])} {unit}/s"
        )
    return cpu, wall


def interleaved(rounds: int, variants: Mapping[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Run every variant once per round, rotating who goes first; one list of values each.

    Rotation spreads slow drifts (another job starting, CPU frequency) over all variants
    instead of always charging them to whoever runs last.
    """
    names = list(variants)
    results: dict[str, list[T]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(variants[name]())
    return results


def ensure_wrk() -> str:
    """The wrk executable; installed with apt-get (Debian package) when missing and root."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit("wrk is required: install the `wrk` package (apt-get install -y wrk)")
    note("installing wrk with apt-get")
    subprocess.run([apt, "update", "-qq"], stdout=subprocess.DEVNULL, check=True)
    subprocess.run([apt, "install", "-y", "-qq", "wrk"], stdout=subprocess.DEVNULL, check=True)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("apt-get installed wrk but it is not on PATH")
    return found


def wrk_rate(
    url: str, seconds: float, *, connections: int = 32, script: Path | None = None
) -> float:
    """Requests per second that one wrk thread gets from `url` over `seconds`.

    `script`: a wrk Lua script (e.g. one that varies the path of each request).
    """
    return wrk_run(url, seconds, connections=connections, script=script)[0]


def wrk_run(
    url: str, seconds: float, *, connections: int = 32, script: Path | None = None
) -> tuple[float, int]:
    """(requests/s, requests answered) of one wrk thread on `url` over `seconds`."""
    result = subprocess.run(
        [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds:g}s", *wrk_script(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = WRK_RATE.search(result.stdout)
    if match is None or "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise RuntimeError(f"wrk run against {url} failed:\n{result.stdout}{result.stderr}")
    answered = WRK_COUNT.search(result.stdout)
    return float(match[1]), int(answered[1]) if answered else 0


def wrk_script(script: Path | None) -> list[str]:
    return [] if script is None else ["-s", str(script)]


@contextlib.contextmanager
def wrk_background(
    url: str,
    *,
    connections: int = 32,
    seconds: int = 600,
    niceness: int = 0,
    script: Path | None = None,
) -> Iterator[None]:
    """wrk load on `url` for as long as the block runs (it is interrupted on exit)."""
    process = subprocess.Popen(
        [
            "nice",
            "-n",
            str(niceness),
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            *wrk_script(script),
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        stop_process(process)


@contextlib.contextmanager
def app_server(python: str | Path, app: str, *arguments: str) -> Iterator[str]:
    """Serve `app` (see _server.py) in a child process; yield its base URL."""
    with app_process(python, app, *arguments) as (url, _):
        yield url


@contextlib.contextmanager
def app_process(
    python: str | Path, app: str, *arguments: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Serve `app` (see _server.py) in a child process; yield its base URL and the process.

    The child prints its port once uvicorn listens. On exit it gets SIGINT, which uvicorn
    turns into a graceful shutdown (lifespan shutdown included).
    """
    process = subprocess.Popen(
        [str(python), str(SERVER_SCRIPT), app, *arguments],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"server {app} did not start (exit code {process.poll()})")
        url = f"http://127.0.0.1:{int(line)}"
        wait_ready(f"{url}/health")
        yield url, process
    finally:
        stop_process(process, timeout=30)


def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server in a child process; yield its endpoint URL."""
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    process = subprocess.Popen(
        [sys.executable, "-c", MOTO_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{int(process.stdout.readline())}"
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the child stops when its stdin closes
        stop_process(process, signal_number=None)
