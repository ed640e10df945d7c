"""The answer combinations the matrix tests use: the full product and an all-pairs covering set."""

import itertools
from collections.abc import Sequence
from typing import Any

from .conftest import DEFAULTS, load_hook

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


# Observers of the other features: each of their parts needs one traced feature, so every
# base combination is rendered with one of their four settings in turn (each setting meets
# about a quarter of the base combinations) instead of all four, which would quadruple the
# render tier. The covering set of the full checks has both of them both ways.
ROTATED = ("with_otel", "with_sentry")
BASE_TOGGLES = tuple(name for name in TOGGLES if name not in ROTATED)


def full_product() -> list[Answers]:
    """Every base toggle x every ci choice, the rotated toggles and python_version and
    license sampled in turn."""
    rotated = list(itertools.product((True, False), repeat=len(ROTATED)))
    combos = []
    for index, values in enumerate(itertools.product((True, False), repeat=len(BASE_TOGGLES))):
        for ci_index, ci in enumerate(CI_CHOICES):
            combos.append(
                {
                    **dict(zip(BASE_TOGGLES, values, strict=True)),
                    **dict(zip(ROTATED, rotated[(index + ci_index) % len(rotated)], strict=True)),
                    "ci": ci,
                    "python_version": PYTHONS[index % len(PYTHONS)],
                    "license": LICENSES[(index // len(PYTHONS)) % len(LICENSES)],
                }
            )
    return combos


# The post-gen hook's MANIFEST decides which features survive their requirements; the matrix
# reads the rules from there, so they live in one place.
_POST_GEN = load_hook("post_gen_project")
# Choices that are sampled rather than multiplied out (see full_product): not part of a render's
# identity, each distinct render keeps the values of the first combination that led to it.
SAMPLED = ("python_version", "license")


def effective(answers: Answers) -> Answers:
    """`answers` with each toggle the hook trims for a missing requirement turned off.

    E.g. with_example_api=true and with_server=false render the same project as
    with_example_api=false: the hook deletes the example API's files, and the templates only
    use a feature's answer where its requirements hold (test_duplicates_render_the_same_tree).
    """
    kept = _POST_GEN.resolve(answers)
    result = dict(answers)
    for feature in _POST_GEN.MANIFEST:
        if feature.derived or answers.get(feature.answer) != feature.value:
            continue
        if not kept[feature.answer]:
            assert feature.value is True, f"{feature.answer}: only toggles have requirements"
            result[feature.answer] = False
    return result


def render_key(answers: Answers) -> tuple[tuple[str, Any], ...]:
    """What decides a combination's rendered project, apart from the sampled choices."""
    return tuple(sorted((k, v) for k, v in effective(answers).items() if k not in SAMPLED))


def distinct_renders(combos: list[Answers]) -> list[tuple[Answers, list[Answers]]]:
    """The distinct projects `combos` render: (effective answers, the combinations giving them).

    In order of first appearance; the effective answers carry the sampled choices of the
    group's first combination.
    """
    groups: dict[tuple[tuple[str, Any], ...], tuple[Answers, list[Answers]]] = {}
    for answers in combos:
        key = render_key(answers)
        if key not in groups:
            groups[key] = (effective(answers), [])
        groups[key][1].append(answers)
    return list(groups.values())


Pair = tuple[str, Any, str, Any]


def pairs_of(row: Answers, names: list[str]) -> set[Pair]:
    """The (factor, value, factor, value) pairs `row` holds, over `names` in that order."""
    return {
        (a, row[a], b, row[b])
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if a in row and b in row
    }


def all_pairs(factors: dict[str, tuple[Any, ...]], given: Sequence[Answers] = ()) -> list[Answers]:
    """Rows that, with the complete rows `given`, hold every pair of factor values at least
    once (greedy): none when `given` already does."""
    names = list(factors)
    uncovered = {
        (a, va, b, vb)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        for va in factors[a]
        for vb in factors[b]
    }
    for row in given:
        uncovered -= pairs_of(row, names)
    rows: list[Answers] = []
    while uncovered:
        a, va, b, vb = min(uncovered, key=repr)  # deterministic seed
        row: Answers = {a: va, b: vb}
        for name in names:
            if name in row:
                continue
            row[name] = max(
                factors[name],
                key=lambda value, name=name: len(pairs_of({**row, name: value}, names) & uncovered),
            )
        rows.append(row)
        uncovered -= pairs_of(row, names)
    return rows


ALL_OFF: Answers = {**dict.fromkeys(TOGGLES, False), "ci": "none"}
# The factors the all-pairs rows vary: every toggle and the ci choice.
FACTORS: dict[str, tuple[Any, ...]] = {
    **{name: (True, False) for name in TOGGLES},
    "ci": CI_CHOICES,
}


def complete(row: Answers) -> Answers:
    """A row with every factor spelled out (a row lists only what differs from the defaults)."""
    return {**dict.fromkeys(TOGGLES, True), "ci": CI_CHOICES[0], **row}


def covering_set() -> list[Answers]:
    """Defaults (everything on), everything off, each toggle off alone, then rows for any pair
    of values those leave out.

    With two-valued factors they leave none out: all on and all off hold each toggle pair both
    on and both off, each toggle off alone holds it off with every other one on, and `ci`
    meets every toggle both ways in all on (ci=none), all off (ci=none) and the rest (github).
    Each full check costs minutes on 2 cores, so a row that adds no pair is not run
    (test_the_covering_set_holds_every_pair_the_hook_can_render).
    """
    rows: list[Answers] = [{}, ALL_OFF, *({name: False} for name in TOGGLES), {"ci": "none"}]
    return rows + all_pairs(FACTORS, [complete(row) for row in rows])


def extra_python_set() -> list[Answers]:
    """The covering rows each extra interpreter runs: everything on, everything off.

    Between them every module of the template is installed, type-checked and tested on that
    version, and every toggle runs both ways. What differs between Python versions lives in the
    code every render shares (syntax, typing, wheels), not in how answers combine; those
    combinations run on the primary interpreter, where each full check costs minutes on 2 cores.
    """
    return [{}, ALL_OFF]


def full_check_rows(interpreters: dict[str, Any]) -> list[tuple[str, Answers]]:
    """(python_version, answers) for the full-check tier, given each offered version's interpreter.

    The first offered version with an interpreter is the primary: it runs the whole covering set;
    the other versions with one run extra_python_set(). Versions without one are left out (the
    summary names them). With no interpreter at all, the covering set runs on the first offered
    version with whatever Python uv picks.
    """
    available = [version for version in PYTHONS if interpreters.get(version)]
    primary, *extra = available or [PYTHONS[0]]
    rows = [(primary, answers) for answers in covering_set()]
    rows += [(version, answers) for version in extra for answers in extra_python_set()]
    return rows
