"""The answer combinations the matrix tests use: the full product and an all-pairs covering set."""

import itertools
from typing import Any

from .conftest import DEFAULTS

TOGGLES = tuple(name for name, value in DEFAULTS.items() if isinstance(value, bool))
CI_CHOICES = tuple(DEFAULTS["ci"])
PYTHONS = tuple(DEFAULTS["python_version"])
LICENSES = tuple(DEFAULTS["license"])

Answers = dict[str, Any]


def label(answers: Answers) -> str:
    """A short test id: the toggles that are off, plus any non-default choice."""
    off = [name.removeprefix("with_") for name in TOGGLES if answers.get(name) is False]
    extra = [f"{k}={v}" for k, v in answers.items() if k not in TOGGLES]
    return "+".join(["off:" + ",".join(off)] if off else ["all-on"]) + "".join(
        f"+{item}" for item in extra
    )


def full_product() -> list[Answers]:
    """Every toggle x every ci choice; python_version and license are sampled in turn."""
    combos = []
    for index, values in enumerate(itertools.product((True, False), repeat=len(TOGGLES))):
        for ci in CI_CHOICES:
            combos.append(
                {
                    **dict(zip(TOGGLES, values, strict=True)),
                    "ci": ci,
                    "python_version": PYTHONS[index % len(PYTHONS)],
                    "license": LICENSES[(index // len(PYTHONS)) % len(LICENSES)],
                }
            )
    return combos


def all_pairs(factors: dict[str, tuple[Any, ...]]) -> list[Answers]:
    """A small set of rows in which every pair of factor values occurs at least once (greedy)."""
    names = list(factors)

    def pairs_of(row: Answers) -> set[tuple[str, Any, str, Any]]:
        return {
            (a, row[a], b, row[b])
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if a in row and b in row
        }

    uncovered = {
        (a, va, b, vb)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        for va in factors[a]
        for vb in factors[b]
    }
    rows: list[Answers] = []
    while uncovered:
        a, va, b, vb = min(uncovered, key=repr)  # deterministic seed
        row: Answers = {a: va, b: vb}
        for name in names:
            if name in row:
                continue
            row[name] = max(
                factors[name],
                key=lambda value, name=name: len(pairs_of({**row, name: value}) & uncovered),
            )
        rows.append(row)
        uncovered -= pairs_of(row)
    return rows


def covering_set() -> list[Answers]:
    """Defaults (everything on), everything off, each toggle off alone, then all pairs."""
    all_off: Answers = {**dict.fromkeys(TOGGLES, False), "ci": "none"}
    rows: list[Answers] = [{}, all_off]
    rows += [{name: False} for name in TOGGLES]
    rows += [{"ci": "none"}]
    factors: dict[str, tuple[Any, ...]] = {name: (True, False) for name in TOGGLES}
    factors["ci"] = CI_CHOICES
    seen = [{**dict.fromkeys(TOGGLES, True), "ci": CI_CHOICES[0], **row} for row in rows]
    for row in all_pairs(factors):
        if row not in seen:
            rows.append(row)
            seen.append(row)
    return rows
