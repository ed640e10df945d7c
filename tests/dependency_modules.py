"""Print, as JSON, the import names a rendered project depends on (run with ITS python).

Usage: PROJECT/.venv/bin/python dependency_modules.py PROJECT

The names are the top-level modules of the project's runtime dependency closure (extras
followed, markers evaluated) and of the distributions in its `dev` dependency group, so a
package name that would shadow any of them can be rejected by the pre-gen hook.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as canonical


def runtime_closure(root: str) -> set[str]:
    """`root` and every distribution it needs at run time, following requested extras."""
    seen: set[tuple[str, str]] = set()
    todo = [(canonical(root), "")]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                wanted = canonical(requirement.name)
                todo.append((wanted, ""))
                todo.extend((wanted, canonical(extra)) for extra in requirement.extras)
    return {name for name, _ in seen}


def main(project: Path) -> None:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    name = pyproject["project"]["name"]
    dev = {canonical(Requirement(text).name) for text in pyproject["dependency-groups"]["dev"]}
    wanted = (runtime_closure(name) | dev) - {canonical(name)}
    modules = sorted(
        module
        for module, owners in metadata.packages_distributions().items()
        if not module.startswith("_") and any(canonical(owner) in wanted for owner in owners)
    )
    json.dump(modules, sys.stdout)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
