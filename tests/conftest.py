"""Shared helpers for the template's tests: rendering, hook loading, running project commands."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import cookiecutter.generate as cookiecutter_generate
import pytest
from cookiecutter.main import cookiecutter
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
PROJECT_TEMPLATE = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
HOOKS = TEMPLATE_ROOT / "hooks"
DEFAULTS: dict[str, Any] = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())

Render = Callable[..., Path]
# The end-of-run summaries (reliability ledger, matrix counts) live in their own plugin.
pytest_plugins = ["tests.reporting"]
# A complete, valid answer set for the hooks' pure functions.
VALID_ANSWERS: dict[str, Any] = {
    "project_name": "My Service",
    "project_slug": "my-service",
    "package_name": "my_service",
    "description": "A service.",
    "author_name": "Jane Doe",
    "author_email": "jane@example.com",
    "version": "0.1.0",
    "python_version": "3.11",
}


class _InMemoryBytecode(BytecodeCache):
    """Compiled templates kept for the test process: the suite renders the template ~1,300
    times, and compiling the same Jinja sources again was most of each render's time.

    Keyed by everything that changes the compiled code (Jinja's own key is the template's
    name and source), so renders of older template versions or other settings never share.
    """

    _compiled: ClassVar[dict[tuple[Any, ...], bytes]] = {}

    def __init__(self, environment: Environment) -> None:
        self._settings = (
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            environment.optimized,
            environment.is_async,
            repr(environment.autoescape),
            repr(environment.finalize),
            tuple(sorted(environment.extensions)),
        )

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._compiled.get((self._settings, bucket.key, bucket.checksum))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[(self._settings, bucket.key, bucket.checksum)] = bucket.bytecode_to_string()


_create_env = cookiecutter_generate.create_env_with_context


def _env_with_compiled_templates(context: dict[str, Any]) -> Environment:
    environment = _create_env(context)
    environment.bytecode_cache = _InMemoryBytecode(environment)
    return environment


# Tests only: generated projects are byte-identical either way (test_matrix renders with it and
# test_render's golden comparisons hold), and a real `cookiecutter` run never loads this file.
cookiecutter_generate.create_env_with_context = _env_with_compiled_templates


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: the full checks (minutes each), then the other slow ones.

    With xdist's worksteal the short tests then fill the gaps at the end, instead of one
    worker finishing a queue of full checks alone.
    """

    def cost(item: pytest.Item) -> int:
        if item.get_closest_marker("full_matrix"):
            return 0
        return 1 if item.get_closest_marker("slow") else 2

    items.sort(key=cost)  # stable: the order within each group stays


def load_hook(name: str) -> ModuleType:
    """Import a hook as a module; its Jinja expression only appears under `__main__`."""
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user config that keeps cookiecutter's replay and clone dirs out of $HOME."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {home / 'cookiecutters'}\nreplay_dir: {home / 'replay'}\n"
    )
    return config


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path) -> Path:
    """The default project (every toggle on), rendered and installed once per test process.

    Tests only run it (from their own working directories); none may change it.
    """
    from .service import render_and_install  # service.py imports this module

    return render_and_install(tmp_path_factory.mktemp("default-project"), cookiecutter_config)


@pytest.fixture
def render(tmp_path: Path, cookiecutter_config: Path) -> Render:
    """Render the template with the given answers into a fresh directory; return the project."""

    def _render(output_dir: Path | None = None, **answers: Any) -> Path:
        target = output_dir or tmp_path / "out"
        project = cookiecutter(
            str(TEMPLATE_ROOT),
            no_input=True,
            extra_context=answers,
            output_dir=str(target),
            config_file=str(cookiecutter_config),
        )
        return Path(project)

    return _render


def project_env() -> dict[str, str]:
    """Environment for commands run inside a rendered project: shared uv cache, no downloads."""
    # PYTHONDONTWRITEBYTECODE would make every process recompile its imports (see Makefile).
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.setdefault("UV_CACHE_DIR", str(TEMPLATE_ROOT / ".cache" / "uv"))
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def uv_binary() -> str:
    """The pinned uv of the template's own environment."""
    candidate = Path(sys.executable).with_name("uv")
    return str(candidate) if candidate.exists() else "uv"


# The PostgreSQL server the generated database tests use (they must run, not skip, here):
# TEST_POSTGRES_URL, or the server every session and CI machine of this template runs.
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# The line the generated tests/db/conftest.py prints at the end of a run.
POSTGRES_SUMMARY = re.compile(
    r"^postgresql tests: (\d+) passed, (\d+) skipped, (\d+) failed$", re.M
)


# The Redis server the generated jobs tests use (they must run, not skip, here):
# TEST_REDIS_URL, or the server every session and CI machine of this template runs.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The line the generated tests/jobs/conftest.py prints at the end of a run.
REDIS_SUMMARY = re.compile(r"^redis tests: (\d+) passed, (\d+) skipped, (\d+) failed$", re.M)


def postgres_env(project: Path) -> dict[str, str]:
    """`<PREFIX>_TEST_POSTGRES_URL` and `<PREFIX>_TEST_REDIS_URL` for the project's package,
    so its tests use our servers."""
    packages = [p.name for p in (project / "src").iterdir() if p.is_dir()]
    return {
        variable: value
        for name in packages
        for variable, value in (
            (f"{name.upper()}_TEST_POSTGRES_URL", POSTGRES_URL),
            (f"{name.upper()}_TEST_REDIS_URL", REDIS_URL),
        )
    }


def run_make(
    project: Path, *targets: str, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`make <targets>` in a rendered project with the template's uv; `env` adds variables."""
    return subprocess.run(
        ["make", "-C", str(project), f"UV={uv_binary()}", *targets],
        env={**project_env(), **postgres_env(project), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
