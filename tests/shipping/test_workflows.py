"""GitHub workflows and Dependabot: their schemas, pinned actions, minimal permissions."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..conftest import DEFAULTS
from .common import BIN, load_yaml, run

# The newest python_version the template offers: the generated CI must test it too.
NEWEST_PYTHON = DEFAULTS["python_version"][-1]
SHA_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def workflows(project: Path) -> dict[str, Path]:
    return {path.name: path for path in sorted((project / ".github" / "workflows").glob("*"))}


@pytest.mark.parametrize("name", ["defaults", "cli-only", "python-3.14"])
def test_workflows_match_the_github_schema(projects: dict[str, Path], name: str) -> None:
    files = workflows(projects[name])
    assert set(files) == {"ci.yml", "release.yml", "template-update.yml"}
    result = run(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files.values()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dependabot = projects[name] / ".github" / "dependabot.yml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot", dependabot)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_schema_check_can_fail(projects: dict[str, Path], tmp_path: Path) -> None:
    workflow = load_yaml(workflows(projects["defaults"])["ci.yml"])
    workflow["jobs"]["checks"]["runs_on"] = workflow["jobs"]["checks"].pop("runs-on")
    bad = tmp_path / "ci.yml"
    bad.write_text(yaml.safe_dump(workflow))
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", bad)
    assert result.returncode != 0


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actions_are_pinned_by_commit_sha(projects: dict[str, Path]) -> None:
    for path in workflows(projects["defaults"]).values():
        for step in steps(load_yaml(path)):
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), step["uses"]
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert VERSION_COMMENT.search(line), f"{path.name}: tag comment missing: {line}"


def test_workflow_permissions_are_minimal(projects: dict[str, Path]) -> None:
    files = workflows(projects["defaults"])
    ci = load_yaml(files["ci.yml"])
    assert ci["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in ci["jobs"].values())
    update = load_yaml(files["template-update.yml"])
    assert update["permissions"] == {}
    (job,) = update["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}


@pytest.mark.parametrize(
    ("name", "pythons"),
    [("defaults", ["3.11", NEWEST_PYTHON]), ("python-3.14", [NEWEST_PYTHON])],
)
def test_ci_lints_types_and_tests_on_the_oldest_and_newest_python(
    projects: dict[str, Path], name: str, pythons: list[str]
) -> None:
    ci = load_yaml(workflows(projects[name])["ci.yml"])
    job = ci["jobs"]["checks"]
    assert job["strategy"]["matrix"]["python"] == pythons
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    for command in ("uv sync --locked", "ruff check", "ruff format --check", "mypy", "pytest"):
        assert command in commands, command


@pytest.mark.parametrize("lock_present", [False, True])
def test_ci_stops_with_a_clear_message_without_a_lock(
    projects: dict[str, Path], tmp_path: Path, lock_present: bool
) -> None:
    ci = load_yaml(workflows(projects["defaults"])["ci.yml"])
    step = next(step for step in steps(ci) if step.get("name") == "uv.lock is committed")
    if lock_present:
        (tmp_path / "uv.lock").write_text("")
    result = run("bash", "-eo", "pipefail", "-c", step["run"], cwd=tmp_path)
    assert result.returncode == (0 if lock_present else 1)
    if not lock_present:
        assert "::error file=uv.lock::uv.lock is missing" in result.stdout
        assert "make install" in result.stdout
    step_names = [s.get("name", s.get("uses", "")) for s in steps(ci)]
    assert step_names.index("uv.lock is committed") < next(
        i for i, s in enumerate(steps(ci)) if "uv sync" in s.get("run", "")
    )


def test_template_update_runs_weekly_and_opens_a_pull_request(projects: dict[str, Path]) -> None:
    path = workflows(projects["defaults"])["template-update.yml"]
    update = load_yaml(path)
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = update[True]
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers
    commands = "\n".join(step.get("run", "") for step in steps(update))
    assert "cruft check" in commands
    # The same script as `make update-template`: the previous render seeds the merge base.
    assert "python scripts/update_template.py" in commands
    assert "gh pr create" in commands
    # With the optional token the update PR gets CI (the default token starts no workflows).
    checkouts = [step for step in steps(update) if "checkout@" in step.get("uses", "")]
    tokens = [step["with"]["token"] for step in checkouts]
    assert tokens == ["${{ secrets.TEMPLATE_UPDATE_TOKEN || github.token }}"]


def test_template_update_workflow_relocks_with_its_uv(projects: dict[str, Path]) -> None:
    """Issue 14: the update PR's uv.lock must pass `uv sync --locked` (CI, Docker)."""
    update = load_yaml(workflows(projects["defaults"])["template-update.yml"])
    (apply,) = [step for step in steps(update) if "update_template.py" in step.get("run", "")]
    # The script runs `uv lock` with this uv when pyproject.toml changed (tested end to end
    # through `make update-template` in test_cruft_update.py); setup-uv puts it on PATH.
    assert apply["env"]["UPDATE_TEMPLATE_UV"] == "uv"
    setup = [step for step in steps(update) if "setup-uv@" in step.get("uses", "")]
    assert steps(update).index(setup[0]) < steps(update).index(apply)


@pytest.mark.parametrize(("name", "tag"), [("defaults", "0.1.0"), ("python-3.14", "2-1.0rc1")])
def test_release_builds_once_signs_and_prints_the_digest(
    projects: dict[str, Path], tmp_path: Path, name: str, tag: str
) -> None:
    project = projects[name]
    release = load_yaml(workflows(project)["release.yml"])
    assert release[True] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {}
    (job,) = release["jobs"].values()
    assert job["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}
    (build,) = [s for s in job["steps"] if "build-push-action@" in s.get("uses", "")]
    options = build["with"]
    assert options["platforms"] == "linux/amd64,linux/arm64"
    assert options["push"] is True
    assert options["sbom"] is True
    assert options["provenance"] == "mode=max"
    assert not {"cache-from", "cache-to"} & set(options), "a release uses no build cache"
    digest = "${{ steps.build.outputs.digest }}"
    sign = next(s for s in job["steps"] if "cosign sign" in s.get("run", ""))
    assert sign["env"]["DIGEST"] == digest
    assert '"$IMAGE@$DIGEST"' in sign["run"]
    summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["env"]["DIGEST"] == digest
    assert "kustomize edit set image $IMAGE_NAME=$IMAGE@$DIGEST" in summary["run"]
    assert release["env"]["IMAGE_NAME"] == project.name

    # The first step refuses a tag that is not the project's version and derives the image tag.
    (check,) = [s for s in job["steps"] if s.get("id") == "ref"]
    (tmp_path / "pyproject.toml").write_text((project / "pyproject.toml").read_text())
    version = tag.replace("2-", "2!")
    outputs = tmp_path / "outputs"
    env = {"GITHUB_REPOSITORY_OWNER": "Acme", "IMAGE_NAME": project.name}
    for ref_name, status in (("v9.9.9", 1), (f"v{version}", 0)):
        outputs.write_text("")
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", check["run"]],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "GITHUB_REF_NAME": ref_name,
                "GITHUB_OUTPUT": str(outputs),
                **env,
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == status, result.stdout + result.stderr
    assert outputs.read_text().splitlines() == [f"image=ghcr.io/acme/{project.name}", f"tag={tag}"]


def test_ci_audits_the_locked_dependencies(projects: dict[str, Path]) -> None:
    ci = load_yaml(workflows(projects["defaults"])["ci.yml"])
    (step,) = [s for s in ci["jobs"]["audit"]["steps"] if "pip-audit" in s.get("run", "")]
    command = " ".join(step["run"].replace("\\\n", " ").split())
    assert "uv export --locked --format requirements-txt" in command
    assert "pip-audit==$PIP_AUDIT_VERSION" in command
    assert "--strict" in command, "a dependency that cannot be audited fails too"
    assert re.fullmatch(r"\d+\.\d+\.\d+", ci["env"]["PIP_AUDIT_VERSION"])
