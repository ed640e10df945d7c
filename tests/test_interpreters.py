"""Finding an interpreter per offered python_version, the rows each one runs, and the summary."""

import stat
from pathlib import Path
from types import SimpleNamespace

from .combinations import (
    PYTHONS,
    covering_set,
    extra_python_set,
    full_check_rows,
)
from .interpreters import find_interpreters, override_name
from .reporting import PYTHON_VERSION, python_versions_summary


def fake_python(path: Path, reports: str) -> Path:
    """An executable that answers the probe like Python `reports` would (its own path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nprintf '%s\\n%s\\n' '{reports}' \"$0\"\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def failing_shim(path: Path) -> Path:
    """Like pyenv's shim for a version pyenv does not select: exits 127."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_pyenv_versions_are_found_newest_patch_first_and_shims_are_skipped(
    tmp_path: Path,
) -> None:
    pyenv = tmp_path / "pyenv"
    shims = tmp_path / "shims"
    failing_shim(shims / "python3.12")
    fake_python(pyenv / "versions/3.12.1/bin/python3.12", "3.12")
    newest = fake_python(pyenv / "versions/3.12.10/bin/python3.12", "3.12")  # 10 > 9 > 1
    fake_python(pyenv / "versions/3.12.9/bin/python3.12", "3.12")
    fake_python(pyenv / "versions/3.13.0t/bin/python3.13", "3.13")  # free-threaded: not used
    fake_python(pyenv / "versions/3.13-dev/bin/python3.13", "3.13")
    lying = fake_python(tmp_path / "bin/python3.11", "3.10")  # on PATH, but the wrong version
    env = {"PATH": f"{shims}:{lying.parent}", "PYENV_ROOT": str(pyenv)}

    found = find_interpreters(["3.11", "3.12", "3.13"], env)

    assert found == {"3.11": None, "3.12": newest, "3.13": None}


def test_path_comes_before_pyenv_and_the_override_before_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    in_pyenv = fake_python(home / ".pyenv/versions/3.13.0/bin/python3.13", "3.13")
    on_path = fake_python(tmp_path / "bin/python3.13", "3.13")
    chosen = fake_python(tmp_path / "elsewhere/python", "3.13")
    env = {"PATH": str(on_path.parent), "HOME": str(home)}  # no PYENV_ROOT: ~/.pyenv

    assert find_interpreters(["3.13"], {**env, "PATH": ""}) == {"3.13": in_pyenv}
    assert find_interpreters(["3.13"], env) == {"3.13": on_path}
    assert find_interpreters(["3.13"], {**env, override_name("3.13"): str(chosen)}) == {
        "3.13": chosen
    }
    assert override_name("3.13") == "TEMPLATE_PYTHON_3_13"


def test_the_primary_runs_the_covering_set_and_each_extra_interpreter_a_subset() -> None:
    here = {"3.11": Path("/a"), "3.12": Path("/b"), "3.13": Path("/c"), "3.14": None}
    rows = full_check_rows(here)
    by_version = {v: [a for python, a in rows if python == v] for v in PYTHONS}
    assert by_version == {
        "3.11": covering_set(),
        "3.12": extra_python_set(),
        "3.13": extra_python_set(),
        "3.14": [],
    }
    # Without 3.11 the next offered version with an interpreter is the primary.
    rows = full_check_rows({**here, "3.11": None})
    assert [a for python, a in rows if python == "3.12"] == covering_set()


def report(nodeid: str, outcome: str, python: str) -> SimpleNamespace:
    return SimpleNamespace(
        nodeid=nodeid, outcome=outcome, user_properties=[(PYTHON_VERSION, python)]
    )


def test_the_summary_names_each_version_run_and_those_not_available() -> None:
    test = "tests/test_matrix.py::test_combination_passes_full_checks"
    reports = [
        report(f"{test}[all-on+py3.11]", "passed", "3.11"),
        report(f"{test}[off:s3+py3.11]", "passed", "3.11"),
        report(f"{test}[all-on+py3.13]", "passed", "3.13"),
        report(f"{test}[all-on+py3.12]", "passed", "3.12"),
        report(f"{test}[all-on+py3.12]", "failed", "3.12"),  # its teardown errored
        SimpleNamespace(nodeid="tests/test_render.py::test_x", outcome="passed"),
    ]
    here = {"3.11": Path("/a"), "3.12": Path("/b"), "3.13": Path("/c"), "3.14": None}

    assert python_versions_summary(reports, here) == (
        "python_versions_fully_tested: 3.11 (2/2 rows), 3.12 (0/1 rows), 3.13 (1/1 rows);"
        " not available here: 3.14"
    )
    assert python_versions_summary([], {"3.11": Path("/a")}) == (
        "python_versions_fully_tested: none"
    )
