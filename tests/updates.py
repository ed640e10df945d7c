"""Helpers for the update tests (`test_cruft_update.py`, `test_release_update.py`).

Git and cruft run as subprocesses in the environment of a rendered project; a template is copied
into a scratch git repository so the tests can commit new template versions of their own.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import TEMPLATE_ROOT, project_env

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
# Never scanned for leftovers: git's own data and what `make install`/`make lint` create.
NOT_PROJECT_FILES = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def run(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**project_env(), **GIT_ENV}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def cruft(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "cruft", *args, cwd=cwd, check=check)


def commit_all(repo: Path, message: str, *, allow_empty: bool = False) -> str:
    run("git", "add", "-A", cwd=repo)
    empty = ["--allow-empty"] if allow_empty else []
    run("git", "commit", "--quiet", "--no-verify", *empty, "-m", message, cwd=repo)
    return run("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


def template_files() -> list[str]:
    """The template's files as they are in the working tree, uncommitted changes included."""
    listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=TEMPLATE_ROOT)
    return [name for name in listed.stdout.splitlines() if (TEMPLATE_ROOT / name).is_file()]


def copy_working_tree(target: Path) -> None:
    for name in template_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE_ROOT / name, destination)


def files_of(project: Path) -> set[str]:
    return {
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and not NOT_PROJECT_FILES & set(p.relative_to(project).parts)
    }


def leftovers(root: Path) -> dict[str, str]:
    """Files an update did not merge: `path -> reason` (a `.rej` file counts for its file)."""
    found = {}
    for name in sorted(files_of(root)):
        if name.endswith(".rej"):
            found[name.removesuffix(".rej")] = f"rejected hunk ({name})"
            continue
        text = (root / name).read_text(errors="replace")
        if any(line.startswith(CONFLICT_MARKERS) for line in text.splitlines()):
            found.setdefault(name, "conflict markers")
    return found
