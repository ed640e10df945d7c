"""http_stack: GET /health through the generated app vs a bare FastAPI app vs ant31box 0.2.8.

All three apps run under one Python >= 3.12 interpreter (ant31box needs 3.12), in a venv that
holds the rendered project with the exact versions of its uv.lock plus `ant31box==0.2.8`, on
the same uvicorn settings (see _server.py). wrk (one thread, 32 connections) measures
requests/s in interleaved rounds; each figure is the median of the per-round ratios.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/http_stack.py <package>
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from _harness import app_server, emit, interleaved, median_ratio, note, wrk_rate

ANT31BOX = "ant31box[fastapi,sentry]==0.2.8"
APPS = ("generated", "bare_fastapi", "ant31box")
ROUNDS = 16
ROUND_SECONDS = 2
WARM_UP_SECONDS = 2
# Versions that must be the same as the project's lock for the comparison to be fair.
SHARED = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic")


def find_python312() -> str:
    """A Python >= 3.12 interpreter: $BENCH_PYTHON, pyenv's, or python3.1x on PATH."""
    candidates = [os.environ.get("BENCH_PYTHON", "")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(glob.glob(str(pyenv / "3.1[2-4].*" / "bin" / "python3")))
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in (12, 13, 14)]
    probe = "import sys; print(sys.version_info >= (3, 12) and sys.executable or '')"
    for candidate in filter(None, candidates):
        result = subprocess.run([candidate, "-c", probe], capture_output=True, text=True)
        # A pyenv shim for a version that is not selected exits non-zero: try the next.
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    raise SystemExit("http_stack needs Python >= 3.12 (ant31box does): set BENCH_PYTHON")


def uv() -> str:
    return os.environ.get("BENCH_UV") or shutil.which("uv") or "uv"


def run_uv(project: Path, *arguments: str) -> str:
    result = subprocess.run([uv(), *arguments], cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"uv {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def prepare_venv(project: Path) -> Path:
    """.bench-py312/ in the project: the locked project dependencies, the project, ant31box."""
    venv = project / ".bench-py312"
    python = venv / "bin" / "python"
    requirements = project / ".bench-py312.txt"
    run_uv(project, "venv", "--quiet", "--clear", "--python", find_python312(), str(venv))
    run_uv(
        project,
        "export",
        "--quiet",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-hashes",
        "--output-file",
        str(requirements),
    )
    run_uv(
        project,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "-r",
        str(requirements),
        str(project),
        ANT31BOX,
    )
    check_versions(project, python)
    return python


def check_versions(project: Path, python: Path) -> None:
    """Refuse to compare when resolving ant31box moved a shared dependency off the lock."""
    frozen = run_uv(project, "pip", "freeze", "--python", str(python))
    # Lines look like `uvloop==0.23.0 ; sys_platform != 'win32'`; the pin is before the marker.
    locked = [
        line.partition(";")[0].strip()
        for line in project.joinpath(".bench-py312.txt").read_text().splitlines()
    ]
    for name in SHARED:
        pin = next((line for line in frozen.splitlines() if line.startswith(f"{name}==")), None)
        if pin is None or pin not in locked:
            raise SystemExit(f"http_stack: {name} is {pin} here, not the project's locked version")
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    note(f"http_stack: Python {version}; {', '.join(SHARED)} as in uv.lock; {ANT31BOX}")


def main() -> int:
    package = sys.argv[1]
    python = prepare_venv(Path.cwd())
    with contextlib.ExitStack() as stack:
        urls = {
            app: stack.enter_context(app_server(python, app, package)) + "/health" for app in APPS
        }
        for url in urls.values():
            wrk_rate(url, WARM_UP_SECONDS)
        rates = interleaved(
            ROUNDS, {app: lambda url=url: wrk_rate(url, ROUND_SECONDS) for app, url in urls.items()}
        )
    for app, values in rates.items():
        note(f"http_stack {app}: {', '.join(f'{v:.0f}' for v in values)} requests/s")
    emit(
        {
            "http_stack_vs_bare_fastapi": median_ratio(rates["generated"], rates["bare_fastapi"]),
            "http_stack_vs_ant31box": median_ratio(rates["generated"], rates["ant31box"]),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
