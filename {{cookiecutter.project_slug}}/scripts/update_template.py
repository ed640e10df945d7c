"""Pull template improvements into this project with cruft, and refuse to leave a mess.

Run it as `make update-template`. Steps:
1. refuse a dirty working tree (cruft's patch must apply to committed work only);
2. render the project exactly as the template produced it at the recorded commit and write
   those files into git's object store, so `git apply -3` has the merge base it needs;
3. run `cruft update` (with `--variables-to-update` when `make update-template VARIABLES=...`
   sets UPDATE_TEMPLATE_VARIABLES to a JSON object of answers to change; names that are not
   answers of this project are refused);
4. fail when anything is left unmerged, as a `.rej` file or with conflict markers;
5. when pyproject.toml changed, refresh uv.lock with the project's uv (UPDATE_TEMPLATE_UV, set
   by the Makefile), so `uv sync --locked` keeps working.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def fail(message: str) -> NoReturn:
    print(f"update-template: {message}", file=sys.stderr)
    raise SystemExit(1)


def seed_pristine_render(root: Path, state: dict[str, object]) -> None:
    """Store the blobs of the previous pristine render, the base of the 3-way merge."""
    context = state["context"]
    assert isinstance(context, dict)
    answers = {
        key: value for key, value in context["cookiecutter"].items() if not key.startswith("_")
    }
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "template"
        subprocess.run(["git", "clone", "--quiet", str(state["template"]), str(clone)], check=True)
        git("checkout", "--quiet", str(state["commit"]), cwd=clone)
        template_dir = clone / str(state.get("directory") or "")
        render_dir = Path(tmp) / "render"
        arguments = [f"{key}={value}" for key, value in answers.items()]
        subprocess.run(
            [
                "cookiecutter",
                "--no-input",
                "--default-config",
                "--output-dir",
                str(render_dir),
                str(template_dir),
                *arguments,
            ],
            check=True,
            capture_output=True,
        )
        files = sorted(str(p) for p in render_dir.rglob("*") if p.is_file())
        subprocess.run(
            ["git", "hash-object", "-w", "--no-filters", "--stdin-paths"],
            input="\n".join(files),
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )


def leftovers(root: Path) -> list[str]:
    """Unmerged paths, .rej files and files with conflict markers."""
    problems = [
        f"unmerged: {p}" for p in git("diff", "--name-only", "--diff-filter=U", cwd=root).split()
    ]
    problems += [f"rejected hunk: {p.relative_to(root)}" for p in root.rglob("*.rej")]
    changed = git("diff", "--name-only", "HEAD", cwd=root).split()
    changed += git("ls-files", "--others", "--exclude-standard", cwd=root).split()
    for name in changed:
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(line.startswith(CONFLICT_MARKERS) for line in text.splitlines()):
                problems.append(f"conflict markers: {name}")
    return problems


def answer_names(state: dict[str, object]) -> list[str]:
    """The answers this project was generated with (the names VARIABLES may change)."""
    context = state["context"]
    assert isinstance(context, dict)
    return sorted(key for key in context["cookiecutter"] if not key.startswith("_"))


def variables_to_update(text: str, known: list[str]) -> list[str]:
    """cruft arguments for the answers to change, given as a JSON object (or nothing)."""
    if not text.strip():
        return []
    try:
        answers = json.loads(text)
    except json.JSONDecodeError:
        answers = None
    if not isinstance(answers, dict):
        fail(f"VARIABLES must be a JSON object of answers to change, got: {text}")
    # cruft ignores a name the template does not know, so a typo would pass as a success.
    unknown = sorted(set(answers) - set(known))
    if unknown:
        fail(
            f"VARIABLES names no answer of this project: {', '.join(unknown)}; "
            f"valid names: {', '.join(known)}"
        )
    return ["--variables-to-update", json.dumps(answers)]


def refresh_lock(root: Path) -> None:
    """Re-lock after the update changed pyproject.toml, or fail saying to run `uv lock`."""
    changed = git("diff", "--name-only", "HEAD", "--", "pyproject.toml", cwd=root).split()
    if not changed or not (root / "uv.lock").is_file():
        return
    uv = os.environ.get("UPDATE_TEMPLATE_UV") or shutil.which("uv")
    if not uv:
        fail("pyproject.toml changed but no uv was found: run `uv lock`, then commit uv.lock")
    print("update-template: pyproject.toml changed; refreshing uv.lock with `uv lock`")
    if subprocess.run([uv, "lock"], cwd=root).returncode != 0:
        fail("`uv lock` failed after the update: fix pyproject.toml, run `uv lock`, then commit")
    # Staged like the rest of the update, so `git diff HEAD` shows it with the other changes.
    git("add", "uv.lock", cwd=root)


def main(argv: list[str]) -> int:
    root = Path(git("rev-parse", "--show-toplevel", cwd=Path.cwd()).strip())
    if git("status", "--porcelain", cwd=root).strip():
        fail("the working tree is not clean; commit or stash your changes first")
    cruft_file = root / ".cruft.json"
    if not cruft_file.is_file():
        fail("no .cruft.json: this project is not linked to its template (see `cruft link`)")
    state = json.loads(cruft_file.read_text(encoding="utf-8"))
    variables = variables_to_update(
        os.environ.get("UPDATE_TEMPLATE_VARIABLES", ""), answer_names(state)
    )
    seed_pristine_render(root, state)
    update = subprocess.run(
        ["cruft", "update", "--skip-apply-ask", "--project-dir", str(root), *variables, *argv]
    )
    if update.returncode != 0:
        fail("cruft update failed")
    if not git("status", "--porcelain", cwd=root).strip():
        print("update-template: nothing changed; the project is up to date with its template")
        return 0
    problems = leftovers(root)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        fail("the update left conflicts; resolve them (and run `uv lock`), then commit")
    refresh_lock(root)
    print("update-template: done; review the staged changes with `git diff HEAD`, then commit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
