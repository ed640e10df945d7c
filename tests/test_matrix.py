"""Every answer combination renders clean; a covering set also passes full checks.

Tier 1 (fast, every toggle x ci): the render succeeds, no Jinja is left, TOML/YAML/JSON
parse, no empty files or directories, no import of a trimmed module, no dependency nothing
imports, ruff check and ruff format pass, and (for every eighth render) a second render is
byte-identical.
Tier 2 (slow, covering set): uv sync, `make lint` (ruff + mypy --strict) and `make test`.
`make matrix` runs both and prints the counts.
"""

import ast
import functools
import itertools
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from .combinations import (
    FACTORS,
    PYTHONS,
    SAMPLED,
    Answers,
    complete,
    covering_set,
    distinct_renders,
    effective,
    full_check_rows,
    full_product,
    label,
    pairs_of,
    render_key,
)
from .conftest import POSTGRES_SUMMARY, REDIS_SUMMARY, Render, run_make
from .interpreters import machine_interpreters
from .reporting import (
    ANSWER_COMBINATIONS,
    POSTGRES_TESTS,
    PYTHON_VERSION,
    REDIS_TESTS,
    matrix_summary,
)

PRODUCT = full_product()
# Many combinations render the same project (a feature whose requirement is off is trimmed,
# e.g. the example API without the server): the render tier checks each project once.
RENDERS = distinct_renders(PRODUCT)
# Each offered python_version → its interpreter on this machine (None: not available here).
INTERPRETERS = machine_interpreters(PYTHONS)
FULL_CHECKS = full_check_rows(INTERPRETERS)
# Renders that a second render must reproduce byte for byte. A spread sample, not all: what
# makes output vary (set order, time, the environment) lives in files every render shares, and
# test_duplicates_render_the_same_tree renders its combinations twice more.
RENDERED_TWICE = {label(answers) for answers, _ in RENDERS[::8]}
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
    "aiosqlite": None,  # picked by SQLAlchemy from the database URL
    "asyncpg": None,  # picked by SQLAlchemy from the database URL
    "taskiq-redis": "taskiq_redis",
    "opentelemetry-api": "opentelemetry",
    "opentelemetry-sdk": "opentelemetry.sdk",
    "opentelemetry-exporter-otlp-proto-http": "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry-instrumentation-aiohttp-client": "opentelemetry.instrumentation.aiohttp_client",
    "opentelemetry-instrumentation-sqlalchemy": "opentelemetry.instrumentation.sqlalchemy",
}


def tree(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def module_name(project: Path, path: Path) -> str:
    """The dotted name of a project file: `src/` is a source root, `__init__` is its package."""
    parts = path.relative_to(project).with_suffix("").parts
    if parts[0] == "src":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def module_files(project: Path) -> dict[str, Path]:
    """Every module and package of the rendered project, by dotted name."""
    return {module_name(project, path): path for path in project.rglob("*.py")}


@functools.lru_cache(maxsize=1024)
def _parsed(path: Path, stamp: tuple[int, int]) -> ast.Module:
    return ast.parse(path.read_text())


def parsed(path: Path) -> ast.Module:
    """`path`'s syntax tree, parsed once per version of the file (the checks read each often)."""
    status = path.stat()
    return _parsed(path, (status.st_mtime_ns, status.st_size))


def defined_names(source: Path) -> set[str] | None:
    """Top-level names a module defines or imports; None when it star-imports (anything goes)."""
    names: set[str] = set()
    body = list(parsed(source).body)
    while body:
        node = body.pop()
        if isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:`, `try: import ...`
            body += node.body + node.orelse + getattr(node, "finalbody", [])
            body += [s for h in getattr(node, "handlers", []) for s in h.body]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif type(node).__name__ == "TypeAlias":  # `type X = ...` (Python 3.12+)
            names.add(node.name.id)  # type: ignore[attr-defined]
    return names


def imports_of(project: Path, path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for each import in `path`, relative ones made absolute."""
    package = module_name(project, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


def unresolved_imports(project: Path, package: str) -> list[str]:
    """Imports of the project's own modules or names that point at nothing (a trimmed module).

    `from M import x` resolves when M is a module or package and x is a submodule of M or a
    name M defines at top level (for a package: in its `__init__.py`).
    """
    modules = module_files(project)
    problems = []
    for path in modules.values():
        where = path.relative_to(project)
        for module, names in imports_of(project, path):
            if module.split(".")[0] not in (package, "tests"):
                continue
            if module not in modules:
                problems.append(f"{where}: {module}")
                continue
            defined = defined_names(modules[module])
            for name in names:
                if f"{module}.{name}" in modules or defined is None or name in defined:
                    continue
                problems.append(f"{where}: {module}.{name}")
    return problems


def load_time_imports(project: Path, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports when it loads.

    Its top-level imports count, not those under `if TYPE_CHECKING:` (never run) or inside
    functions (deferred on purpose). Importing `a.b.c` also runs `a/__init__.py` and
    `a/b/__init__.py`, so those count too.
    """
    package = module_name(project, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    body = list(parsed(path).body)
    targets: set[str] = set()
    while body:
        node = body.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            body += node.body + node.orelse
        elif isinstance(node, ast.Try):
            body += node.body + node.orelse + node.finalbody
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            targets.add(module)
            targets |= {f"{module}.{alias.name}" for alias in node.names}
    # The packages around `path` are already loading when it runs (Python imports them
    # first), so reaching one of them again is no cycle: `from . import health` in
    # server/app.py needs server/__init__.py only as far as it has come.
    own = module_name(project, path).split(".")
    loading = {".".join(own[:i]) for i in range(1, len(own) + 1)}
    found = set()
    for target in targets:
        parts = target.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {name for name in found if name in modules} - loading


def import_cycles(project: Path, package: str) -> list[list[str]]:
    """Cycles among the modules of `package` at load time (each cycle once, as a path)."""
    modules = module_files(project)
    graph = {
        name: sorted(load_time_imports(project, path, modules))
        for name, path in sorted(modules.items())
        if name.split(".")[0] == package
    }
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in graph.get(name, []):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    return cycles


# Modules nothing imports on purpose: run by pytest, python -m, the console script or make.
def is_entry_point(name: str, package: str) -> bool:
    leaf = name.rsplit(".", 1)[-1]
    return (
        leaf.startswith("test_")
        or leaf in ("conftest", "__main__")
        or name.startswith("scripts.")
        or name in (package, "tests", f"{package}.cli")
        # Alembic loads env.py and the revision scripts by path (`db` commands).
        or name.startswith(f"{package}.db.migrations.")
        or "." not in name  # a package's __init__ at the top level
    )


def orphan_modules(project: Path, package: str) -> list[str]:
    """Project modules that no other module imports and that are no entry point.

    A helper left behind when every feature that used it was trimmed (e.g. tests/ports.py).
    A package counts as used when any module inside it is.
    """
    modules = module_files(project)
    used: set[str] = set()
    for path in modules.values():
        for module, names in imports_of(project, path):
            used.add(module)
            used |= {f"{module}.{name}" for name in names}
    used |= {".".join(name.split(".")[:i]) for name in used for i in range(1, name.count(".") + 1)}
    packages = {name.rpartition(".")[0] for name in modules}
    return sorted(
        name
        for name in modules
        if name not in used and name not in packages and not is_entry_point(name, package)
    )


# Dev dependencies that no module imports: tools run by make/pre-commit and pytest plugins
# loaded by pytest's configuration. Anything else in the dev group must be imported somewhere.
DEV_TOOLS = {"mypy", "pre-commit", "pytest", "pytest-asyncio", "ruff"}
# Stub packages are used when the module they type is imported.
STUBS = {"types-aioboto3": "aioboto3", "types-aiofiles": "aiofiles", "types-pyyaml": "yaml"}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\[;<>=!~ ]", requirement, maxsplit=1)[0].strip().lower()


def unused_dependencies(project: Path) -> list[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    sources = "\n".join(p.read_text() for p in project.rglob("*.py"))

    def imported(module: str) -> bool:
        forms = (f"import {module}", f"from {module}", f'"{module}"')  # or package data
        return any(form in sources for form in forms)

    unused = []
    for requirement in pyproject["project"]["dependencies"]:
        name = requirement_name(requirement)
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if module is not None and not imported(module):
            unused.append(name)
    for requirement in pyproject.get("dependency-groups", {}).get("dev", []):
        name = requirement_name(requirement)
        if name in DEV_TOOLS:
            continue
        module = STUBS.get(name) or IMPORT_NAMES.get(name, name.replace("-", "_"))
        if module is not None and not imported(module):
            unused.append(f"dev: {name}")
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
@pytest.mark.parametrize(
    ("answers", "combinations"), RENDERS, ids=[label(answers) for answers, _ in RENDERS]
)
def test_combination_renders_clean(
    render: Render,
    tmp_path: Path,
    answers: Answers,
    combinations: list[Answers],
    request: pytest.FixtureRequest,
) -> None:
    # How many answer combinations this render stands for (the summary line counts them).
    request.node.user_properties.append((ANSWER_COMBINATIONS, len(combinations)))
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
        # Python (also in Markdown code blocks and Alembic's script.py.mako) keeps two blank
        # lines between definitions; a longer run means a Jinja block was switched off
        # without whitespace control.
        max_blank = 2 if name.endswith((".py", ".md", ".py.mako")) else 1
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
    assert orphan_modules(project, "my_service") == []
    assert import_cycles(project, "my_service") == []
    assert unused_dependencies(project) == []

    check = ruff("check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = ruff("format", "--check", cwd=project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr

    if label(answers) in RENDERED_TWICE:
        again = render(output_dir=tmp_path / "two", **answers)
        assert tree(again) == files, "two renders of the same answers differ"


def spread(combos: list[Answers], count: int) -> list[Answers]:
    """`count` combinations spread evenly over `combos`, the first and the last included."""
    if len(combos) <= count:
        return combos
    return [combos[round(i * (len(combos) - 1) / (count - 1))] for i in range(count)]


def trimmed(answers: Answers) -> str:
    """The toggles the hook trims from `answers`, e.g. `example_api,metrics`."""
    resolved = effective(answers)
    return ",".join(k.removeprefix("with_") for k in answers if answers[k] != resolved[k])


# The dedupe check: for every way the hook trims answers (which toggles it turns off), a few
# combinations spread over the product, each rendered as given and as its effective answers.
TRIM_PATTERNS: dict[str, list[Answers]] = {}
for _combo in PRODUCT:
    if trimmed(_combo):
        TRIM_PATTERNS.setdefault(trimmed(_combo), []).append(_combo)
DUPLICATES = [combo for combos in TRIM_PATTERNS.values() for combo in spread(combos, 4)]


def without_cruft(files: dict[str, bytes]) -> dict[str, bytes]:
    # .cruft.json records the answers as given (that is its job), not the rendered project.
    return {name: content for name, content in files.items() if name != ".cruft.json"}


@pytest.mark.render_matrix
@pytest.mark.parametrize(
    "answers", DUPLICATES, ids=[f"trims:{trimmed(a)}+{label(a)}" for a in DUPLICATES]
)
def test_duplicates_render_the_same_tree(render: Render, tmp_path: Path, answers: Answers) -> None:
    """A combination renders exactly the project of its effective answers (the dedupe is sound).

    If a template used a trimmed feature's answer without its requirements, this fails: repeat
    the requirement in the condition (CONTRIBUTING, "Rules for template files").
    """
    resolved = effective(answers)
    assert resolved != answers
    as_given = tree(render(output_dir=tmp_path / "given", **answers))
    as_effective = tree(render(output_dir=tmp_path / "effective", **resolved))
    assert without_cruft(as_given) == without_cruft(as_effective)


def test_every_combination_is_rendered_once_by_its_effective_answers() -> None:
    rendered = [answers for answers, _ in RENDERS]
    assert sum(len(combos) for _, combos in RENDERS) == len(PRODUCT)
    assert len({label(answers) for answers in rendered}) == len(rendered), "ids are unique"
    for answers, combos in RENDERS:
        assert effective(answers) == answers, "a render's answers are already effective"
        for combo in combos:
            assert {k: v for k, v in effective(combo).items() if k not in SAMPLED} == {
                k: v for k, v in answers.items() if k not in SAMPLED
            }
    # The hook trims: the example API without the server or any storage backend, metrics and
    # the Kubernetes manifests without the server. Each of those is a duplicate here.
    example_without_server = {**PRODUCT[0], "with_server": False}
    assert effective(example_without_server)["with_example_api"] is False
    assert effective(example_without_server)["with_metrics"] is False
    assert effective(example_without_server)["with_kubernetes"] is False
    assert effective(PRODUCT[0]) == PRODUCT[0], "everything on trims nothing"


def test_the_covering_set_holds_every_pair_the_hook_can_render() -> None:
    """Pairwise over what is rendered: every pair of values two factors can take together
    after the hook's trimming occurs in some covering row, and no row repeats another."""
    names = list(FACTORS)
    renderable = set()
    for values in itertools.product(*FACTORS.values()):
        renderable |= pairs_of(effective(dict(zip(names, values, strict=True))), names)
    rows = [complete(row) for row in covering_set()]
    held = set().union(*(pairs_of(effective(row), names) for row in rows))
    assert renderable - held == set()
    assert len({render_key(row) for row in rows}) == len(rows)


@pytest.mark.slow
@pytest.mark.full_matrix
@pytest.mark.parametrize(
    ("python", "answers"),
    FULL_CHECKS,
    ids=[f"{label(answers)}+py{python}" for python, answers in FULL_CHECKS],
)
def test_combination_passes_full_checks(
    render: Render, python: str, answers: Answers, request: pytest.FixtureRequest
) -> None:
    """Rendered for `python` (ruff's target, mypy's python_version) and installed on it."""
    request.node.user_properties.append((PYTHON_VERSION, python))
    project = render(**answers, python_version=python)
    interpreter = INTERPRETERS[python]
    env = {"UV_PYTHON": str(interpreter)} if interpreter else {}
    result = run_make(project, "lint", "test", env=env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "Success: no issues found" in result.stdout, "mypy --strict ran"
    if interpreter:
        venv_python = subprocess.run(
            [project / ".venv" / "bin" / "python", "-c", "import sys; print(sys.version)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert venv_python.startswith(f"{python}."), f"the project ran on {venv_python}"
    summary = POSTGRES_SUMMARY.search(result.stdout)
    if answers.get("with_database", True):
        # The PostgreSQL tests must run here, never skip: this machine has the server.
        assert summary is not None, "tests/db/conftest.py printed no PostgreSQL count"
        print(summary.group(0))
        passed, skipped, failed = map(int, summary.groups())
        assert passed > 0, summary.group(0)
        assert skipped == failed == 0, summary.group(0)
        request.node.user_properties.append((POSTGRES_TESTS, passed))
    else:
        assert summary is None
    redis = REDIS_SUMMARY.search(result.stdout)
    if answers.get("with_jobs", True):
        # The Redis tests must run here, never skip: this machine has the server.
        assert redis is not None, "tests/jobs/conftest.py printed no Redis count"
        print(redis.group(0))
        passed, skipped, failed = map(int, redis.groups())
        assert passed > 0, redis.group(0)
        assert skipped == failed == 0, redis.group(0)
        request.node.user_properties.append((REDIS_TESTS, passed))
    else:
        assert redis is None


def test_summary_keeps_its_prefix_and_counts_the_combinations_behind_the_renders() -> None:
    """CI reads `combinations_rendered_clean: N/M`; what follows in parentheses is context."""

    def report(name: str, outcome: str, combinations: int) -> SimpleNamespace:
        return SimpleNamespace(
            nodeid=f"tests/test_matrix.py::test_combination_renders_clean[{name}]",
            outcome=outcome,
            user_properties=[(ANSWER_COMBINATIONS, combinations)],
        )

    reports = [report("a", "passed", 1), report("b", "passed", 8), report("c", "failed", 2)]
    assert matrix_summary(reports) == [
        "combinations_rendered_clean: 2/3 (11 answer combinations, 8 duplicates of these renders)"
    ]


def fake_project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


GONE = {
    "src/my_service/__init__.py": "",
    "src/my_service/server/__init__.py": "from .app import create_app\n",
    "src/my_service/server/app.py": "def create_app(): ...\n",
    "src/my_service/cli.py": "from .server import create_app\nfrom .server.app import create_app\n",
}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("from . import metrics\n", "my_service.server.metrics"),
        ("from .. import api\n", "my_service.api"),
        ("from my_service.server import gone\n", "my_service.server.gone"),
        ("from .app import missing\n", "my_service.server.app.missing"),
        ("import my_service.gone\n", "my_service.gone"),
    ],
)
def test_unresolved_imports_names_a_trimmed_module_or_name(
    tmp_path: Path, source: str, problem: str
) -> None:
    project = fake_project(tmp_path, {**GONE, "src/my_service/server/health.py": source})
    assert unresolved_imports(project, "my_service") == [
        f"src/my_service/server/health.py: {problem}"
    ]


def test_unresolved_imports_accepts_modules_and_names_of_the_parent_package(
    tmp_path: Path,
) -> None:
    project = fake_project(tmp_path, GONE)
    assert unresolved_imports(project, "my_service") == []


def test_orphan_modules_finds_a_test_helper_nothing_imports(tmp_path: Path) -> None:
    project = fake_project(
        tmp_path,
        {
            **GONE,
            "tests/__init__.py": "",
            "tests/conftest.py": "",
            "tests/ports.py": "def unused_port() -> int: ...\n",
            "tests/server/__init__.py": "",
            "tests/server/test_app.py": "from ..conftest import *\n",
            "scripts/update_template.py": "",
        },
    )
    assert orphan_modules(project, "my_service") == ["tests.ports"]
    (project / "tests/server/test_app.py").write_text("from ..ports import unused_port\n")
    assert orphan_modules(project, "my_service") == []


def test_import_cycles_finds_modules_that_import_each_other(tmp_path: Path) -> None:
    """The server/api cycle of 0.1.0: app.py imported api, and api imported the server."""
    cycle = {
        "src/my_service/__init__.py": "",
        "src/my_service/api/__init__.py": "from ..server.errors import error_response\n",
        "src/my_service/server/__init__.py": "from .app import create_app\n",
        "src/my_service/server/errors.py": "def error_response(): ...\n",
        "src/my_service/server/app.py": "from .. import api\n",
    }
    project = fake_project(tmp_path, cycle)
    assert import_cycles(project, "my_service") == [
        ["my_service.api", "my_service.server", "my_service.server.app", "my_service.api"]
    ]


def test_import_cycles_ignores_type_checking_and_deferred_imports(tmp_path: Path) -> None:
    deferred = {
        "src/my_service/__init__.py": "",
        "src/my_service/a.py": "from typing import TYPE_CHECKING\nfrom . import b\n",
        "src/my_service/b.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from . import a\n"
            "def later() -> None:\n    from . import a\n"
        ),
    }
    assert import_cycles(fake_project(tmp_path, deferred), "my_service") == []


def test_unused_dependencies_covers_the_dev_group(tmp_path: Path) -> None:
    pyproject = """[project]
dependencies = ["pyyaml>=6"]

[dependency-groups]
dev = ["httpx>=0.28", "moto[server]>=5.1", "mypy>=1.17", "pytest-asyncio>=1.1",
       "types-aiofiles>=24.1", "types-pyyaml>=6.0"]
"""
    project = fake_project(
        tmp_path, {"pyproject.toml": pyproject, "src/m/__init__.py": "import yaml\nimport httpx\n"}
    )
    assert unused_dependencies(project) == ["dev: moto", "dev: types-aiofiles"]
