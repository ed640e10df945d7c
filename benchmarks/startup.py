"""startup: time to the first 200 on /health and idle memory, generated service vs bare FastAPI.

The generated service starts the way its users start it, `<venv>/bin/<script> serve --port P`,
with the default settings (no config file, no `<PREFIX>_*` variables, so S3 is off and the
objects API uses a local directory below a temporary working directory). The baseline is a
bare FastAPI app with one /health route on uvicorn with the same server settings, started by
the same interpreter (_bare_server.py). A round starts each once, in turn (who goes first
rotates):

- startup: from just before the process is spawned to the first 200 answer on /health, which
  this process asks for every 5 ms (interpreter start, imports, app factory, lifespan);
  the server's CPU time up to then is read too (/proc/<pid>/stat);
- idle RSS: after a few warm requests (/health and /ready; the baseline has /health only),
  one second of idleness, then the resident size from /proc/<pid>/status (Linux only).

The figures are the medians of the per-round ratios, generated ÷ bare; the medians of the
absolute values are printed as context. A first, unrecorded round writes the bytecode caches.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/startup.py <package>
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _harness import (
    MIB,
    emit,
    free_port,
    interleaved,
    median_ratio,
    migrate_database,
    note,
    stop_process,
)

HERE = Path(__file__).resolve().parent
BARE_SERVER = HERE / "_bare_server.py"
ROUNDS = 7
POLL_SECONDS = 0.005
STARTUP_TIMEOUT_SECONDS = 60
WARM_REQUESTS = 5
IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class Start:
    seconds: float
    cpu_seconds: float
    rss_bytes: int


def console_script(package: str) -> Path:
    """The project's console script (`[project.scripts]` entry for `<package>.cli:main`)."""
    scripts = tomllib.loads(Path("pyproject.toml").read_text())["project"]["scripts"]
    (name,) = [name for name, target in scripts.items() if target == f"{package}.cli:main"]
    return Path(sys.executable).parent / name


def get_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` so far (/proc/<pid>/stat, in clock ticks)."""
    # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def resident_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
    if match is None:
        raise SystemExit("startup: no VmRSS in /proc/<pid>/status (Linux only)")
    return int(match[1]) * 1024


def start_once(
    command: Sequence[str],
    env: dict[str, str],
    warm_paths: Sequence[str],
    label: str,
    prepare: Callable[[str], None] | None = None,
) -> Start:
    """Spawn `command`, time its first 200 on /health, warm it, read its idle RSS, stop it.

    `prepare` runs first, untimed, in the same fresh directory (the database's migration: a
    service whose schema is behind head is not ready, as after a deploy without it).
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as workdir:
        log = Path(workdir) / "server.log"
        if prepare is not None:
            prepare(workdir)
        with log.open("wb") as sink:
            began = time.perf_counter()
            process = subprocess.Popen(
                [*command, str(port)], cwd=workdir, env=env, stdout=sink, stderr=sink
            )
        deadline = began + STARTUP_TIMEOUT_SECONDS
        try:
            while True:
                try:
                    if get_status(port, "/health") == 200:
                        seconds = time.perf_counter() - began
                        cpu = cpu_seconds(process.pid)
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.perf_counter() > deadline:
                    raise SystemExit(f"startup: {label} did not start:\n{log.read_text()}")
                time.sleep(POLL_SECONDS)
            for _ in range(WARM_REQUESTS):
                for path in warm_paths:
                    if (status := get_status(port, path)) != 200:
                        raise SystemExit(f"startup: {label} answered {status} on {path}")
            time.sleep(IDLE_SECONDS)
            rss = resident_bytes(process.pid)
        finally:
            stop_process(process, signal_number=signal.SIGTERM, timeout=20)
    return Start(seconds, cpu, rss)


def main() -> int:
    package = sys.argv[1]
    prefix = package.upper() + "_"
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    # `serve --port P`: everything else (host 127.0.0.1, logging, storage) stays default.
    generated_command = [str(console_script(package)), "serve", "--port"]

    def migrate(workdir: str) -> None:
        migrate_database(package, workdir, env)

    bare_command = [sys.executable, str(BARE_SERVER)]
    variants: dict[str, Callable[[], Start]] = {
        "generated": lambda: start_once(
            generated_command, env, ("/health", "/ready"), "the generated service", migrate
        ),
        # Same request count as the generated service gets; the bare app has only /health.
        "bare_fastapi": lambda: start_once(
            bare_command, env, ("/health", "/health"), "the bare FastAPI app"
        ),
    }
    for make in variants.values():
        make()  # unrecorded: writes __pycache__ and warms the page cache
    starts = interleaved(ROUNDS, variants)
    seconds = {app: [s.seconds for s in values] for app, values in starts.items()}
    cpu = {app: [s.cpu_seconds for s in values] for app, values in starts.items()}
    rss = {app: [s.rss_bytes / MIB for s in values] for app, values in starts.items()}
    for app in starts:
        note(
            f"startup {app}: {', '.join(f'{v * 1000:.0f}' for v in seconds[app])} ms; "
            f"CPU {', '.join(f'{v * 1000:.0f}' for v in cpu[app])} ms; "
            f"idle RSS {', '.join(f'{v:.1f}' for v in rss[app])} MiB"
        )
    emit(
        {
            "startup_vs_bare_fastapi": median_ratio(seconds["generated"], seconds["bare_fastapi"]),
            "idle_rss_vs_bare_fastapi": median_ratio(rss["generated"], rss["bare_fastapi"]),
        }
    )
    # Context only (no goal). The server's own CPU time up to the first 200 hardly depends on
    # what else the machine runs, while the wall-clock ratio shrinks on a busy machine.
    emit({"startup_cpu_vs_bare_fastapi": median_ratio(cpu["generated"], cpu["bare_fastapi"])})
    emit(
        {
            "startup_generated_ms": statistics.median(seconds["generated"]) * 1000,
            "startup_bare_fastapi_ms": statistics.median(seconds["bare_fastapi"]) * 1000,
            "idle_rss_generated_mib": statistics.median(rss["generated"]),
            "idle_rss_bare_fastapi_mib": statistics.median(rss["bare_fastapi"]),
        },
        digits=1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
