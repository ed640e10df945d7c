"""The Python interpreters on this machine for the versions the template offers (`python_version`).

The full-check matrix renders projects for each offered version it finds an interpreter for and
points the project's uv at it (`UV_PYTHON`), so `mypy --strict`, ruff's target and the tests run
on that version. Where an interpreter comes from, first match wins:

1. `TEMPLATE_PYTHON_3_12=/path/to/python3.12` (one variable per version) in the environment;
2. `python3.12` on `PATH` (a pyenv shim for a version pyenv does not select fails, and is skipped);
3. pyenv's versions directory, `$PYENV_ROOT/versions/3.12.*/bin/python3.12` (`~/.pyenv` when
   `PYENV_ROOT` is unset), the newest patch release first.

A candidate counts only when it runs and reports the version asked for; the path kept is the
interpreter's own `sys.executable`, so a shim never reaches uv.
"""

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

OVERRIDE_PREFIX = "TEMPLATE_PYTHON_"
PROBE = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"


def override_name(version: str) -> str:
    """`TEMPLATE_PYTHON_3_12` for `3.12`."""
    return OVERRIDE_PREFIX + version.replace(".", "_")


def probe(candidate: str | Path, version: str) -> Path | None:
    """The interpreter's real path when `candidate` runs and is Python `version`, else None."""
    try:
        result = subprocess.run(
            [str(candidate), "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.split()
    if result.returncode != 0 or len(lines) != 2 or lines[0] != version:
        return None
    return Path(lines[1])


def pyenv_candidates(version: str, pyenv_root: Path) -> list[Path]:
    """`<root>/versions/<version>.N/bin/python<version>`, newest patch release first.

    Only plain CPython releases count (`3.13.0`, not `3.13.0t` or `3.13-dev`).
    """
    release = re.compile(rf"^{re.escape(version)}\.(\d+)$")
    found = []
    versions_dir = pyenv_root / "versions"
    if versions_dir.is_dir():
        for directory in versions_dir.iterdir():
            match = release.match(directory.name)
            binary = directory / "bin" / f"python{version}"
            if match and binary.is_file():
                found.append((int(match.group(1)), binary))
    return [binary for _, binary in sorted(found, reverse=True)]


def find_interpreter(version: str, environ: Mapping[str, str]) -> Path | None:
    """The interpreter for `version`, or None (see the module docstring for the order)."""
    candidates: list[str | Path] = []
    if override := environ.get(override_name(version)):
        candidates.append(override)
    on_path = shutil.which(f"python{version}", path=environ.get("PATH", ""))
    if on_path:
        candidates.append(on_path)
    pyenv_root = Path(environ.get("PYENV_ROOT") or Path(environ.get("HOME", "~")) / ".pyenv")
    candidates += pyenv_candidates(version, pyenv_root.expanduser())
    for candidate in candidates:
        if (found := probe(candidate, version)) is not None:
            return found
    return None


def find_interpreters(
    versions: Iterable[str], environ: Mapping[str, str] | None = None
) -> dict[str, Path | None]:
    """Each version → its interpreter, or None when this machine has none."""
    env = os.environ if environ is None else environ
    return {version: find_interpreter(version, env) for version in versions}


@functools.cache
def machine_interpreters(versions: tuple[str, ...]) -> dict[str, Path | None]:
    """find_interpreters for this process's environment, once (collection asks for it)."""
    return find_interpreters(versions)
