"""The Dockerfile and .dockerignore: hadolint, and a locked, multi-stage, non-root build."""

import json
import re
from pathlib import Path

import pytest

from .common import BIN, RENDERS, answers_of, run


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def stages(dockerfile: Path) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """Global ARG defaults, and the instructions of each stage (each starts with its FROM)."""
    args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            found.append([])
        if keyword == "ARG" and not found:
            name, _, default = arguments.partition("=")
            args[name] = default
        if found:
            found[-1].append((keyword, arguments))
    return args, found


def expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda match: args[match.group(1)], text)


@pytest.mark.parametrize("name", RENDERS)
def test_hadolint_passes(projects: dict[str, Path], name: str) -> None:
    result = run(BIN / "hadolint", "--no-color", projects[name] / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_can_fail(tmp_path: Path) -> None:
    """The linter runs for real: an untagged base image and a root user are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install uv\nCMD python\n")
    result = run(BIN / "hadolint", "--no-color", bad)
    assert result.returncode != 0
    assert "DL3006" in result.stdout


@pytest.mark.parametrize("name", RENDERS)
def test_dockerfile_is_a_locked_multi_stage_non_root_build(
    projects: dict[str, Path], name: str
) -> None:
    answers = answers_of(name)
    args, found = stages(projects[name] / "Dockerfile")
    assert len(found) >= 3, "uv image, build stage, runtime stage"
    assert args["PYTHON_VERSION"] == answers["python_version"]
    for stage in found:
        image = expand(stage[0][1].split()[0], args)
        repository, _, tag = image.rpartition(":")
        assert repository, f"{image}: every base image names a tag"
        assert tag != "latest", image

    build = next(stage for stage in found if stage[0][1].endswith(" AS build"))
    runs = [arguments for keyword, arguments in build if keyword == "RUN"]
    lock_check = next(i for i, text in enumerate(runs) if "test -f uv.lock" in text)
    syncs = [i for i, text in enumerate(runs) if "uv sync" in text]
    assert syncs, "dependencies are installed with uv"
    assert all("--locked" in runs[i] and "--no-dev" in runs[i] for i in syncs)
    assert lock_check < min(syncs), "a missing lock is reported before uv runs"

    runtime = found[-1]
    assert runtime[0][1].endswith(" AS runtime")
    body = " ".join(f"{keyword} {arguments}" for keyword, arguments in runtime)
    assert "uv" not in re.findall(r"\b(uv|pip|apt-get|gcc)\b", body), "no build tools at runtime"
    assert "--from=build /app/.venv" in body, "only the virtual environment is copied"
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users == ["10001:10001"], "runs as a fixed non-root uid (matches the k8s manifests)"
    # WORKDIR /app belongs to root: without this the local backend cannot create storage.root.
    owned_data_dir = "install --directory --owner=10001 --group=10001 /app/data"
    local_objects = answers["with_server"] and answers["with_example_api"] and answers["with_files"]
    assert (owned_data_dir in body) == local_objects
    slug = projects[name].name
    assert ("ENTRYPOINT", f'["{slug}"]') in runtime

    healthchecks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    if answers["with_server"]:
        assert len(healthchecks) == 1
        assert "/health" in healthchecks[0]
        assert "urllib.request" in healthchecks[0], "curl is not in the slim image"
        assert ("EXPOSE", "8080") in runtime
        assert ("CMD", '["serve"]') in runtime
    else:
        assert healthchecks == [], "a command-line image has nothing to probe"
        assert "EXPOSE" not in dict(runtime)


def healthcheck_command(project: Path) -> list[str]:
    _, found = stages(project / "Dockerfile")
    arguments = next(text for keyword, text in found[-1] if keyword == "HEALTHCHECK")
    command: list[str] = json.loads(arguments[arguments.index("CMD") + 3 :])
    return command


def test_healthcheck_is_valid_python(projects: dict[str, Path]) -> None:
    command = healthcheck_command(projects["defaults"])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")


@pytest.mark.parametrize("lock_present", [False, True])
def test_missing_lock_stops_the_image_build_with_a_clear_message(
    projects: dict[str, Path], tmp_path: Path, lock_present: bool
) -> None:
    _, found = stages(projects["defaults"] / "Dockerfile")
    check = next(text for keyword, text in found[1] if "test -f uv.lock" in text)
    if lock_present:
        (tmp_path / "uv.lock").write_text("")
    result = run("sh", "-c", check, cwd=tmp_path)
    if lock_present:
        assert result.returncode == 0
    else:
        assert result.returncode == 1
        assert "uv.lock is missing" in result.stderr
        assert "make install" in result.stderr


def test_dockerignore_admits_only_the_build_inputs(projects: dict[str, Path]) -> None:
    project = projects["defaults"]
    patterns = [
        line
        for line in (project / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert patterns[0] == "*", "everything is excluded unless listed"
    admitted = {line[1:].rstrip("/") for line in patterns if line.startswith("!")}
    _, found = stages(project / "Dockerfile")
    sources = {
        source.rstrip("*")
        for stage in found
        for keyword, arguments in stage
        if keyword == "COPY" and "--from" not in arguments
        for source in arguments.split()[:-1]
    }
    assert sources == {"pyproject.toml", "uv.lock", "README.md", "LICENSE", "src"}
    assert sources <= admitted
    assert not admitted & {".venv", ".git", "tests", ".tools", ".github", "deploy"}
