"""Rendered projects follow the answers, and hostile answers stay inert data."""

import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import Render


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
    assert "aiohttp" in full
    without_http = render(output_dir=tmp_path / "d", with_http_client=False, with_s3=False)
    assert "aiohttp" not in deps(without_http), "aiohttp stays while S3 or the client need it"
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
    assert "moto" not in dev
    assert "types-aioboto3" not in dev
    runtime, dev = groups(render(output_dir=tmp_path / "bare", with_s3=False, with_files=False))
    assert "aiofiles" not in runtime, "aiofiles stays while the file helpers need it"
    assert "types-aiofiles" not in dev


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


# Names around the line-length limits of `__init__.py`'s two layouts (one line, or split).
LONG_NAMES = ["A" * 63, "B" * 64, "C" * 91, "D" * 92, "words " * 30]


@pytest.mark.parametrize("text", HOSTILE_TEXT + LONG_NAMES)
def test_project_name_reaches_python_as_data(
    render: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """`PROJECT_NAME` (the OpenAPI title) is the answer verbatim, in source ruff accepts."""
    from cookiecutter.exceptions import FailedHookException

    monkeypatch.chdir(tmp_path)
    try:
        project = render(project_name=text, project_slug="named")
    except FailedHookException:
        assert "\n" in text, "only multi-line text may be refused"
        return
    init = project / "src" / "named" / "__init__.py"
    assert runpy.run_path(str(init))["PROJECT_NAME"] == text
    assert not list(tmp_path.rglob("PWNED")), "nothing from the answers is executed"
    ruff = Path(sys.executable).parent / "ruff"
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [ruff, *command, init], cwd=project, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
