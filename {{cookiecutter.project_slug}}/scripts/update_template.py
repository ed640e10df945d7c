"""Pull template improvements into this project with cruft, and refuse to leave a mess.

Run it as `make update-template`. Steps:
1. refuse a dirty working tree (cruft's patch must apply to committed work only);
2. render the project exactly as the template produced it at the recorded commit and write
   those files into git's object store, so `git apply -3` has the merge base it needs;
3. run `cruft update` (with `--variables-to-update` when `make update-template VARIABLES=...`
   sets UPDATE_TEMPLATE_VARIABLES to a JSON object of answers to change);
4. fail when anything is left unmerged, as a `.rej` file or with conflict markers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def fail(message: str) -> None:
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


def variables_to_update(text: str) -> list[str]:
    """cruft arguments for the answers to change, given as a JSON object (or nothing)."""
    if not text.strip():
        return []
    try:
        answers = json.loads(text)
    except json.JSONDecodeError:
        answers = None
    if not isinstance(answers, dict):
        fail(f"VARIABLES must be a JSON object of answers to change, got: {text}")
    return ["--variables-to-update", json.dumps(answers)]


def main(argv: list[str]) -> int:
    variables = variables_to_update(os.environ.get("UPDATE_TEMPLATE_VARIABLES", ""))
    root = Path(git("rev-parse", "--show-toplevel", cwd=Path.cwd()).strip())
    if git("status", "--porcelain", cwd=root).strip():
        fail("the working tree is not clean; commit or stash your changes first")
    cruft_file = root / ".cruft.json"
    if not cruft_file.is_file():
        fail("no .cruft.json: this project is not linked to its template (see `cruft link`)")
    seed_pristine_render(root, json.loads(cruft_file.read_text(encoding="utf-8")))
    update = subprocess.run(
        ["cruft", "update", "--skip-apply-ask", "--project-dir", str(root), *variables, *argv]
    )
    if update.returncode != 0:
        fail("cruft update failed")
    problems = leftovers(root)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        fail("the update left conflicts; resolve them, then commit")
    print("update-template: done; review `git diff` and commit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
