"""Trim the features the user declined, driven by ONE declarative manifest.

The hook only deletes files and directories inside the generated project. It runs no
commands, uses no network, clock, randomness or environment, so `cruft update` can re-run it
on two temporary renders and get byte-identical trees.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Feature:
    """A feature is kept when its answer equals `value` and every requirement group holds.

    `requires` is a tuple of groups; a group holds when at least one of its answers is on.
    `paths` are relative to the project root; `{package}` is the import package name.
    """

    answer: str
    paths: tuple[str, ...]
    value: object = True
    requires: tuple[tuple[str, ...], ...] = ()


# Order matters: a feature's requirements come before it.
MANIFEST: tuple[Feature, ...] = (
    Feature(
        answer="with_server",
        paths=(
            "src/{package}/server",
            "tests/server",
        ),
    ),
    Feature(
        answer="with_metrics",
        requires=(("with_server",),),
        paths=(
            "src/{package}/server/metrics.py",
            "tests/server/test_metrics.py",
        ),
    ),
    Feature(
        answer="with_s3",
        paths=(
            "src/{package}/storage",
            "tests/storage",
            "tests/server/test_ready_s3.py",
        ),
    ),
)


@dataclass(frozen=True)
class Plan:
    remove: tuple[str, ...]
    notes: tuple[str, ...]


def unmet(feature: Feature, kept: Mapping[str, bool], answers: Mapping[str, Any]) -> list[str]:
    """Requirement groups of `feature` that no kept feature (or plain yes answer) satisfies."""

    def is_on(name: str) -> bool:
        return kept.get(name, answers.get(name) is True)

    return [" or ".join(group) for group in feature.requires if not any(map(is_on, group))]


def resolve(answers: Mapping[str, Any]) -> dict[str, bool]:
    """Return which features are kept, after applying their requirements."""
    kept: dict[str, bool] = {}
    for feature in MANIFEST:
        wanted = answers.get(feature.answer) == feature.value
        kept[feature.answer] = wanted and not unmet(feature, kept, answers)
    return kept


def make_plan(answers: Mapping[str, Any]) -> Plan:
    """Pure: list the paths to delete and one note per feature trimmed for a missing requirement."""
    kept = resolve(answers)
    package = str(answers["package_name"])
    remove: list[str] = []
    notes: list[str] = []
    for feature in MANIFEST:
        if kept[feature.answer]:
            continue
        if answers.get(feature.answer) == feature.value:
            missing = " and ".join(unmet(feature, kept, answers))
            notes.append(f"{feature.answer}: trimmed because it needs {missing}")
        for pattern in feature.paths:
            path = pattern.format(package=package)
            # Skip paths inside a directory that is already going away.
            if not any(path == done or path.startswith(done + "/") for done in remove):
                remove.append(path)
    return Plan(remove=tuple(remove), notes=tuple(notes))


def delete(root: Path, relative_paths: Sequence[str]) -> None:
    """Delete each path (file or directory); a missing path means the manifest is stale."""
    for relative in relative_paths:
        target = root / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        else:
            raise FileNotFoundError(f"manifest path not in the rendered project: {relative}")
        prune_empty_parents(root, target.parent)


def prune_empty_parents(root: Path, directory: Path) -> None:
    """Remove directories left empty by a deletion, up to (not including) the project root."""
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def main(answers: Mapping[str, Any], root: Path) -> int:
    plan = make_plan(answers)
    for note in plan.notes:
        print(note)
    delete(root, plan.remove)
    return 0


if __name__ == "__main__":
    # Cookiecutter runs post-gen hooks with the generated project as the working directory.
    # tojson escapes ' as \u0027, so no answer can close this raw string.
    sys.exit(main(json.loads(r'''{{ cookiecutter | tojson }}'''), Path.cwd()))  # fmt: skip
