"""End-of-run reporting, a pytest plugin registered by `tests/conftest.py` (`pytest_plugins`).

- The reliability ledger: tests count the cases they tried (`ledger` fixture); the totals per
  category are printed at the end of the run.
- The matrix summary: `combinations_rendered_clean: N/M (C answer combinations, D duplicates of
  these renders)` (each distinct rendered project is checked once) and
  `combinations_fully_tested: K/K`,
  written to `$MATRIX_SUMMARY` (the Makefile prints it after pytest, so it ends the output) or
  printed when the variable is unset; then `postgresql_tests_ran: N`, the PostgreSQL tests the
  fully tested combinations ran (the generated projects count them; they must not skip here);
  then `redis_tests_ran: N`, the same for the jobs tests on Redis;
  then `scanners: ...`, the findings of actionlint, zizmor and checkov on the shipping renders;
  and `python_versions_fully_tested: 3.11 (19/19 rows), 3.12 (12/12 rows); not available here:
  3.14`: the interpreters the full checks ran on, and the offered versions this machine lacks.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

RELIABILITY = "reliability"
RELIABILITY_CATEGORIES = ("api_fuzzing", "faults", "hostile_input", "template_input", "load")


class Ledger:
    """Counts the cases a reliability test tried and how many failed, for the final summary.

    The counts travel on the test report (user_properties), so they survive pytest-xdist.
    """

    def __init__(self, node: pytest.Item) -> None:
        self._node = node

    def add(self, category: str, tried: int, failures: int = 0) -> None:
        assert category in RELIABILITY_CATEGORIES, category
        self._node.user_properties.append((RELIABILITY, (category, tried, failures)))

    @contextmanager
    def case(self, category: str) -> Iterator[None]:
        """One case: counted as a failure if the block raises (the error propagates)."""
        try:
            yield
        except BaseException:
            self.add(category, 1, 1)
            raise
        self.add(category, 1, 0)


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return Ledger(request.node)


def reliability_summary(reports: list[Any]) -> list[str]:
    totals = {category: [0, 0] for category in RELIABILITY_CATEGORIES}
    seen = False
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == RELIABILITY:
                category, tried, failures = value
                totals[category][0] += tried
                totals[category][1] += failures
                seen = True
    if not seen:
        return []
    lines = ["reliability summary (cases tried, failures):"]
    for category, (tried, failures) in totals.items():
        lines.append(f"  {category}: tried={tried} failures={failures}")
    lines.append(f"reliability_failures: {sum(f for _, f in totals.values())}")
    return lines


# user_properties key: how many PostgreSQL tests a generated project's `make test` passed.
POSTGRES_TESTS = "postgresql_tests"
# user_properties key: how many Redis (jobs) tests a generated project's `make test` passed.
REDIS_TESTS = "redis_tests"
# user_properties key: how many answer combinations one distinct render stands for.
ANSWER_COMBINATIONS = "answer_combinations"

# user_properties key: one render's scanner counts (tests/shipping/test_scanners.py).
SCANNERS = "scanners"
# user_properties key: the python_version a full-check row was rendered for and installed on.
PYTHON_VERSION = "python_version"

FULL_CHECKS_TEST = "test_combination_passes_full_checks"
MATRIX_TIERS = (
    ("combinations_rendered_clean", "test_combination_renders_clean"),
    ("combinations_fully_tested", FULL_CHECKS_TEST),
)


# `make matrix` and `make test` set this: the counts go to this file and the Makefile prints
# it after pytest exits, so they are the last lines of the output (after pytest's own summary).
MATRIX_SUMMARY_ENV = "MATRIX_SUMMARY"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report `combinations_rendered_clean: N/M` and `combinations_fully_tested: K/K`."""
    reports = [
        report
        for outcome in ("passed", "failed", "error")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "call") == "call" or outcome == "error"
    ]
    for line in reliability_summary(reports):
        terminalreporter.write_line(line)
    lines = matrix_summary(reports)
    if any(f"::{FULL_CHECKS_TEST}[" in r.nodeid for r in reports):
        lines.append(python_versions_summary(reports, offered_interpreters()))
    summary_file = os.environ.get(MATRIX_SUMMARY_ENV)
    if summary_file:
        Path(summary_file).parent.mkdir(parents=True, exist_ok=True)
        Path(summary_file).write_text("".join(line + "\n" for line in lines))
    else:
        for line in lines:
            terminalreporter.write_line(line)


def stands_for(reports: list[Any], test_name: str, ran: dict[str, str]) -> str:
    """` (M answer combinations, D duplicates of these renders)` when the tests say so."""
    combinations = {
        report.nodeid: value
        for report in reports
        if f"::{test_name}[" in report.nodeid
        for key, value in getattr(report, "user_properties", ())
        if key == ANSWER_COMBINATIONS
    }
    if not combinations:
        return ""
    total = sum(combinations.values())
    return f" ({total} answer combinations, {total - len(ran)} duplicates of these renders)"


def matrix_summary(reports: list[Any]) -> list[str]:
    lines = []
    for figure, test_name in MATRIX_TIERS:
        ran = {r.nodeid: r.outcome for r in reports if f"::{test_name}[" in r.nodeid}
        if ran:
            passed = sum(outcome == "passed" for outcome in ran.values())
            lines.append(f"{figure}: {passed}/{len(ran)}{stands_for(reports, test_name, ran)}")
    counts = [
        value
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == POSTGRES_TESTS
    ]
    if counts:
        lines.append(f"postgresql_tests_ran: {sum(counts)} (in {len(counts)} combinations)")
    redis_counts = [
        value
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == REDIS_TESTS
    ]
    if redis_counts:
        lines.append(f"redis_tests_ran: {sum(redis_counts)} (in {len(redis_counts)} combinations)")
    lines += scanners_summary(reports)
    return lines


def scanners_summary(reports: list[Any]) -> list[str]:
    scans = [
        value
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == SCANNERS
    ]
    if not scans:
        return []
    total = {key: sum(scan[key] for scan in scans) for key in scans[0]}
    return [
        f"scanners: actionlint {total['actionlint']} findings on {total['workflow_files']} files, "
        f"zizmor {total['zizmor']} ({total['zizmor_ignored']} suppressed), "
        f"checkov {total['checkov_passed']} passed / {total['checkov_failed']} failed "
        f"({total['checkov_skipped']} skipped), in {len(scans)} renders"
    ]


def offered_interpreters() -> dict[str, Path | None]:
    """Each python_version cookiecutter.json offers → its interpreter (tests/interpreters.py)."""
    from .combinations import PYTHONS
    from .interpreters import machine_interpreters

    return machine_interpreters(PYTHONS)


def python_versions_summary(reports: list[Any], interpreters: dict[str, Path | None]) -> str:
    """`python_versions_fully_tested: 3.11 (19/19 rows), …; not available here: 3.14`.

    A row counts for the version it recorded (PYTHON_VERSION); `passed/ran` per version.
    """
    ran: dict[str, dict[str, str]] = {}
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == PYTHON_VERSION:
                ran.setdefault(value, {})[report.nodeid] = report.outcome
    parts = []
    for version in sorted(ran, key=lambda v: tuple(map(int, v.split(".")))):
        outcomes = ran[version].values()
        passed = sum(outcome == "passed" for outcome in outcomes)
        parts.append(f"{version} ({passed}/{len(outcomes)} rows)")
    missing = [version for version, path in interpreters.items() if path is None]
    line = "python_versions_fully_tested: " + (", ".join(parts) or "none")
    if missing:
        line += "; not available here: " + ", ".join(missing)
    return line
