"""The pre-gen hook: one clear line per bad answer, exit 1, and no directory left behind."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import DEFAULTS, TEMPLATE_ROOT, VALID_ANSWERS, Render, load_hook

pre_gen = load_hook("pre_gen_project")

VALID = VALID_ANSWERS

BAD_VALUES = [
    ("project_name", "   ", "must not be empty"),
    ("project_slug", "My Service!", "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ("project_slug", "-svc", "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ("project_slug", "svc-", "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ("project_slug", "9svc", "^[a-z][a-z0-9-]*[a-z0-9]$"),
    ("project_slug", "a" * 41, "at most 40"),
    ("package_name", "My_Service", "lowercase Python identifier"),
    ("package_name", "my-service", "lowercase Python identifier"),
    ("package_name", "_private", "lowercase Python identifier"),
    ("package_name", "class", "keyword"),
    ("package_name", "match", "keyword"),
    ("package_name", "asyncio", "standard-library"),
    ("package_name", "json", "standard-library"),
    ("package_name", "test", "standard-library"),
    ("package_name", "fastapi", "dependency"),
    ("package_name", "pydantic", "dependency"),
    ("package_name", "tests", "dependency"),
    ("package_name", "a" * 41, "at most 40"),
    ("description", "two\nlines", "single line"),
    ("author_name", "tab\there", "single line"),
    ("description", "renders {{ things }}", "Jinja delimiters"),
    ("author_name", "a {% raw %} b", "Jinja delimiters"),
    ("author_email", "not-an-email", "name@domain.tld"),
    ("author_email", "a@b", "name@domain.tld"),
    ("author_email", "a b@example.com", "name@domain.tld"),
    ("version", "1.0-beta", "PEP 440"),
    ("version", "v1.0", "PEP 440"),
    ("version", "01.0", "PEP 440"),
    ("version", "", "PEP 440"),
    ("python_version", "3.9", "one of 3.11, 3.12, 3.13, 3.14"),
]

GOOD_VALUES = [
    ("project_slug", "ab"),
    ("project_slug", "svc-2"),
    ("package_name", "svc_2"),
    ("version", "1.0.0rc1"),
    ("version", "2!1.0.post1.dev3"),
    ("version", "0.0.1a0"),
    ("author_email", "first.last+tag@sub.example.co.uk"),
    ("description", "Quotes \" ' and \\ backslashes, üñíçødé"),
    ("python_version", "3.14"),
]


def test_valid_answers_pass() -> None:
    assert pre_gen.first_error(VALID) is None
    assert pre_gen.main(VALID) == 0


@pytest.mark.parametrize(("field", "value", "rule"), BAD_VALUES)
def test_bad_value_is_reported_in_one_line(field: str, value: str, rule: str) -> None:
    message = pre_gen.first_error({**VALID, field: value})
    assert message is not None
    assert "\n" not in message
    assert message.startswith(f"ERROR: {field}=")
    assert repr(value) in message
    assert rule in message


@pytest.mark.parametrize(("field", "value"), GOOD_VALUES)
def test_good_value_passes(field: str, value: str) -> None:
    assert pre_gen.first_error({**VALID, field: value}) is None


def test_non_string_answer_is_reported() -> None:
    assert pre_gen.first_error({**VALID, "version": 1}) == "ERROR: version=1 must be a string"


def test_main_prints_one_line_and_returns_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert pre_gen.main({**VALID, "project_slug": "Bad Slug"}) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "project_slug" in err


@pytest.mark.parametrize(
    ("field", "value"),
    # python_version is refused by cookiecutter itself; Jinja in a non-interactive answer is
    # evaluated by cookiecutter before the hook runs (the rule protects interactive answers).
    [(f, v) for f, v, rule in BAD_VALUES if f != "python_version" and "Jinja" not in rule],
)
def test_rendering_with_a_bad_value_leaves_nothing(
    render: Render, tmp_path: Path, field: str, value: str
) -> None:
    out = tmp_path / "out"
    answers = {field: value}
    if field == "project_slug":
        answers["package_name"] = "svc"
    with pytest.raises(FailedHookException):
        render(output_dir=out, **answers)
    assert not out.exists() or not any(out.iterdir())


def test_cli_bad_slug_exits_nonzero_with_one_line_and_no_directory(
    tmp_path: Path, cookiecutter_config: Path
) -> None:
    """The acceptance check: `cookiecutter . --no-input project_slug='My Service!'`."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "--config-file",
            str(cookiecutter_config),
            "--output-dir",
            str(tmp_path),
            str(TEMPLATE_ROOT),
            "project_slug=My Service!",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    naming = [line for line in output.splitlines() if "project_slug" in line]
    assert naming == [
        "ERROR: project_slug='My Service!' must match ^[a-z][a-z0-9-]*[a-z0-9]$ "
        "(lowercase letters, digits and hyphens)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_defaults_are_valid() -> None:
    answers = {**VALID, **{k: v for k, v in DEFAULTS.items() if isinstance(v, str)}}
    answers.update(project_slug="my-service", package_name="my_service", python_version="3.11")
    assert pre_gen.first_error(answers) is None


@pytest.mark.parametrize("hook", ["pre_gen_project.py", "post_gen_project.py"])
def test_hooks_hold_no_jinja_except_the_answers_line(hook: str) -> None:
    """cookiecutter renders hooks with Jinja: stray delimiters would break or alter them."""
    lines = (TEMPLATE_ROOT / "hooks" / hook).read_text().splitlines()
    jinja = [line for line in lines if any(d in line for d in ("{{", "{%", "{#", "}}", "%}"))]
    assert len(jinja) == 1
    assert "json.loads(r'''{{ cookiecutter | tojson }}''')" in jinja[0]


@pytest.mark.slow
def test_no_installed_dependency_module_is_an_accepted_package_name(
    default_project: Path,
) -> None:
    """DEPENDENCY_MODULES covers the runtime closure and dev tools of the all-features project."""
    listed = subprocess.run(
        [
            default_project / ".venv" / "bin" / "python",
            Path(__file__).with_name("dependency_modules.py"),
            default_project,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules = json.loads(listed.stdout)
    assert {"aiohttp", "starlette", "botocore"} <= set(modules), "the listing sees the closure"
    accepted = [module for module in modules if pre_gen.check_package(module) is None]
    assert accepted == [], f"add these to DEPENDENCY_MODULES in the pre-gen hook: {accepted}"
