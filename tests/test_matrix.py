"""Every answer combination renders clean; a covering set also passes full checks.

Tier 1 (fast, every toggle x ci): the render succeeds, no Jinja is left, TOML/YAML/JSON
parse, no empty files or directories, no import of a trimmed module, no dependency nothing
imports, ruff check and ruff format pass, and a second render is byte-identical.
Tier 2 (slow, covering set): uv sync, `make lint` (ruff + mypy --strict) and `make test`.
`make matrix` runs both and prints the counts.
"""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .combinations import Answers, covering_set, full_product, label
from .conftest import Render, run_make

PRODUCT = full_product()
COVERING = covering_set()
# GitHub Actions expressions are meant to survive rendering.
ACTIONS_EXPRESSION = re.compile(r"\$\{\{ [^{}]+ \}\}")
# Files that are empty on purpose.
EMPTY_OK = {"py.typed", "__init__.py"}
# Distribution → import name, for dependencies whose names differ; runtime-only ones map to None.
IMPORT_NAMES: dict[str, str | None] = {
    "pydantic-settings": "pydantic_settings",
    "pyyaml": "yaml",
    "prometheus-client": "prometheus_client",
    "uvloop": None,  # picked by uvicorn's loop="auto"
    "httptools": None,  # picked by uvicorn's http="auto"
}


def tree(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def module_files(project: Path, package: str) -> set[str]:
    """Dotted names of every module and package of the rendered project."""
    names = set()
    for path in project.rglob("*.py"):
        parts = path.relative_to(project).with_suffix("").parts
        if parts[0] == "src":
            parts = parts[1:]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(parts))
    return names


def unresolved_imports(project: Path, package: str) -> list[str]:
    """Imports of the project's own modules that point at nothing (a trimmed module)."""
    modules = module_files(project, package)
    problems = []
    for path in project.rglob("*.py"):
        parts = list(path.relative_to(project).with_suffix("").parts)
        if parts[0] == "src":
            parts = parts[1:]
        current_package = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = current_package[: len(current_package) - node.level + 1]
                    module = ".".join([*base, *(node.module.split(".") if node.module else [])])
                else:
                    module = node.module or ""
                if module.split(".")[0] not in (package, "tests"):
                    continue
                targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
                if not any(t in modules for t in targets):
                    problems.append(f"{path.relative_to(project)}: {module}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == package and alias.name not in modules:
                        problems.append(f"{path.relative_to(project)}: {alias.name}")
    return problems


def unused_dependencies(project: Path) -> list[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    sources = "\n".join(p.read_text() for p in project.rglob("*.py"))
    unused = []
    for requirement in pyproject["project"]["dependencies"]:
        name = requirement.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower()
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        used = (f"import {module}", f"from {module}", f'"{module}"')  # imports, or package data
        if module is not None and not any(form in sources for form in used):
            unused.append(name)
    return unused


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.render_matrix
@pytest.mark.parametrize("answers", PRODUCT, ids=[label(a) for a in PRODUCT])
def test_combination_renders_clean(render: Render, tmp_path: Path, answers: Answers) -> None:
    project = render(output_dir=tmp_path / "one", **answers)
    files = tree(project)

    for name, content in files.items():
        text = content.decode()
        jinja_text = ACTIONS_EXPRESSION.sub("", text) if name.startswith(".github/") else text
        leftovers = [tag for tag in ("{{", "{%", "{#") if tag in jinja_text]
        assert not leftovers, f"{name}: {leftovers}"
        if not text:
            assert Path(name).name in EMPTY_OK, f"empty file: {name}"
            continue
        assert text.endswith("\n"), f"{name}: missing final newline"
        assert all(line == line.rstrip() for line in text.splitlines()), f"{name}: trailing space"
        # Python (also in Markdown code blocks) keeps two blank lines between definitions; a
        # longer run means a Jinja block was switched off without whitespace control.
        max_blank = 2 if name.endswith((".py", ".md")) else 1
        assert "\n" * (max_blank + 2) not in text, f"{name}: more than {max_blank} blank lines"
        if name.endswith(".toml"):
            tomllib.loads(text)
        elif name.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))
        elif name.endswith(".json"):
            json.loads(text)
    empty_dirs = [str(d) for d in project.rglob("*") if d.is_dir() and not any(d.iterdir())]
    assert not empty_dirs, empty_dirs

    assert unresolved_imports(project, "my_service") == []
    assert unused_dependencies(project) == []

    check = ruff("check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = ruff("format", "--check", cwd=project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr

    again = render(output_dir=tmp_path / "two", **answers)
    assert tree(again) == files, "two renders of the same answers differ"


@pytest.mark.slow
@pytest.mark.full_matrix
@pytest.mark.parametrize("answers", COVERING, ids=[label(a) for a in COVERING])
def test_combination_passes_full_checks(render: Render, answers: Answers) -> None:
    project = render(**answers)
    result = run_make(project, "lint", "test")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "Success: no issues found" in result.stdout, "mypy --strict ran"
