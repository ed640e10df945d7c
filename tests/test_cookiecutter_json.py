"""cookiecutter.json: every prompt of the design, help text for each, booleans for toggles."""

from .conftest import DEFAULTS, load_hook

TOGGLES = (
    "with_server",
    "with_http_client",
    "with_s3",
    "with_files",
    "with_example_api",
    "with_metrics",
    "with_database",
    "with_jobs",
    "with_otel",
    "with_sentry",
    "with_docker",
    "with_kubernetes",
)
PROMPTS = (
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
    "version",
    "python_version",
    "license",
    *TOGGLES,
    "ci",
)


def test_every_prompt_exists_in_order() -> None:
    assert tuple(k for k in DEFAULTS if not k.startswith("_")) == PROMPTS


def test_every_prompt_has_help_text() -> None:
    assert set(DEFAULTS["__prompts__"]) == set(PROMPTS)
    assert all(text.strip() for text in DEFAULTS["__prompts__"].values())


def test_toggles_are_json_booleans() -> None:
    assert all(DEFAULTS[name] is True for name in TOGGLES)


def test_choices() -> None:
    assert DEFAULTS["license"] == ["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]
    assert DEFAULTS["ci"] == ["github", "none"]
    assert DEFAULTS["python_version"][0] == "3.11"


def test_pre_gen_hook_knows_the_same_python_choices() -> None:
    assert list(load_hook("pre_gen_project").SUPPORTED_PYTHONS) == DEFAULTS["python_version"]


def test_names_are_derived_from_the_project_name() -> None:
    assert "cookiecutter.project_name" in DEFAULTS["project_slug"]
    assert "cookiecutter.project_slug" in DEFAULTS["package_name"]
