"""Rendered projects: valid files, lint-clean, deterministic, and safe with hostile answers."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import Render

COMBINATIONS = {
    "defaults": {},
    "cli-only": {"with_server": False},
    "no-s3": {"with_s3": False},
    "bare-cli": {"with_server": False, "with_s3": False},
    "no-metrics": {"with_metrics": False},
    "apache-3.13": {"license": "Apache-2.0", "python_version": "3.13"},
    "bsd-3.14": {"license": "BSD-3-Clause", "python_version": "3.14"},
    "proprietary": {"license": "Proprietary"},
}


def tree(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(params=list(COMBINATIONS), ids=list(COMBINATIONS))
def project(request: pytest.FixtureRequest, render: Render) -> Path:
    return render(**COMBINATIONS[request.param])


def test_no_template_syntax_is_left(project: Path) -> None:
    for name, content in tree(project).items():
        text = content.decode()
        leftovers = [tag for tag in ("{{", "{%", "{#") if tag in text]
        assert not leftovers, f"{name}: {leftovers}"


def test_structured_files_parse(project: Path) -> None:
    for path in project.rglob("*"):
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix in (".yaml", ".yml"):
            yaml.safe_load(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_no_blank_line_runs_or_trailing_whitespace(project: Path) -> None:
    """Whitespace control in the Jinja tags leaves no gaps where a block was switched off."""
    for name, content in tree(project).items():
        text = content.decode()
        if not text:
            continue  # marker files such as py.typed
        assert text.endswith("\n"), f"{name}: missing final newline"
        assert not any(line != line.rstrip() for line in text.splitlines()), (
            f"{name}: trailing space"
        )
        max_blank = 2 if name.endswith(".py") else 1
        assert "\n" * (max_blank + 2) not in text, f"{name}: more than {max_blank} blank lines"


def test_ruff_check_and_format_pass(project: Path) -> None:
    check = ruff("check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = ruff("format", "--check", cwd=project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_two_renders_are_byte_identical(render: Render, tmp_path: Path) -> None:
    first = render(output_dir=tmp_path / "one", with_metrics=False)
    second = render(output_dir=tmp_path / "two", with_metrics=False)
    assert tree(first) == tree(second)


def test_requires_python_follows_the_answer(render: Render) -> None:
    project = render(python_version="3.12")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.12"
    assert pyproject["tool"]["ruff"]["target-version"] == "py312"
    assert pyproject["tool"]["mypy"]["python_version"] == "3.12"


def test_dependencies_follow_the_features(render: Render, tmp_path: Path) -> None:
    def deps(project: Path) -> str:
        return " ".join(
            tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
        )

    full = deps(render(output_dir=tmp_path / "a"))
    assert "fastapi" in full
    assert "prometheus-client" in full
    assert "prometheus-client" not in deps(render(output_dir=tmp_path / "b", with_metrics=False))
    cli_only = deps(render(output_dir=tmp_path / "c", with_server=False))
    assert "fastapi" not in cli_only
    assert "uvicorn" not in cli_only
    assert "prometheus-client" not in cli_only
    assert "aioboto3" in cli_only, "S3 does not need the server"


def test_s3_dependencies_follow_the_toggle(render: Render, tmp_path: Path) -> None:
    def groups(project: Path) -> tuple[str, str]:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        return (
            " ".join(pyproject["project"]["dependencies"]),
            " ".join(pyproject["dependency-groups"]["dev"]),
        )

    runtime, dev = groups(render(output_dir=tmp_path / "on"))
    assert "aioboto3" in runtime
    assert "moto[server]" in dev
    assert "types-aioboto3[s3]" in dev
    runtime, dev = groups(render(output_dir=tmp_path / "off", with_s3=False))
    assert "aioboto3" not in runtime
    assert "aiofiles" not in runtime
    assert "moto" not in dev
    assert "types-aio" not in dev


@pytest.mark.parametrize("license_id", ["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"])
def test_license_file_matches_the_answer(render: Render, license_id: str) -> None:
    project = render(license=license_id, author_name="Ada Lovelace")
    text = (project / "LICENSE").read_text()
    first_line = text.lstrip().splitlines()[0]
    expected = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Proprietary": "Copyright (c) Ada Lovelace. All rights reserved.",
    }[license_id]
    assert first_line == expected
    if license_id != "Apache-2.0":
        assert "Ada Lovelace" in text


HOSTILE_TEXT = [
    "He said \"hi\" and 'bye'",
    "back\\slash at the end\\",
    "triple \"\"\" and ''' quotes",
    "üñíçødé — 日本語 — emoji 🚀",
    '"; import os; os.system("touch PWNED") #',
    "'''); __import__('os').system('touch PWNED'); ('''",
    '"""); __import__("os").system("touch PWNED"); ("""',
    '" \n[tool.evil]\nx = "',
    "x = 1 ]] [[ ${HOME} $(touch PWNED) `touch PWNED`",
    "<script>alert(1)</script> & <b>",
    "%(asctime)s %s {0} {name}",
]


@pytest.mark.parametrize("field", ["description", "author_name"])
@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_data_never_code(
    render: Render,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    text: str,
) -> None:
    """Each answer either fails validation with one line, or lands verbatim and inert."""
    from cookiecutter.exceptions import FailedHookException

    monkeypatch.chdir(tmp_path)
    try:
        project = render(**{field: text})
    except FailedHookException:
        assert "\n" in text, "only multi-line text may be refused"
        return
    assert not list(tmp_path.rglob("PWNED")), "nothing from the answers is executed"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    if field == "description":
        assert pyproject["project"]["description"] == text
        assert text in (project / "README.md").read_text()
    else:
        assert pyproject["project"]["authors"][0]["name"] == text
        assert text in (project / "LICENSE").read_text()
