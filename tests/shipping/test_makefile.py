"""The generated Makefile: locking only when needed, the image target."""

from pathlib import Path

import pytest

from .common import RENDERS, run


@pytest.mark.parametrize("lock_present", [False, True])
def test_make_install_locks_only_when_the_lock_is_missing(
    projects: dict[str, Path], lock_present: bool
) -> None:
    project = projects["no-s3"]
    lock = project / "uv.lock"
    if lock_present:
        lock.write_text("")
    try:
        result = run("make", "-n", "-C", project, "install", "UV=/bin/true")
    finally:
        lock.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    assert ("/bin/true lock" in result.stdout) is not lock_present
    assert "/bin/true sync" in result.stdout


@pytest.mark.parametrize("name", RENDERS)
def test_makefile_image_target_builds_with_docker(projects: dict[str, Path], name: str) -> None:
    makefile = (projects[name] / "Makefile").read_text()
    assert "\nimage: uv.lock ## " in makefile
    assert "docker build --tag" in makefile


@pytest.mark.parametrize("name", ["defaults", "cli-only"])
def test_make_run_passes_a_config_file(projects: dict[str, Path], name: str) -> None:
    """`make run CONFIG=x.yaml` (README): the file reaches the command; so does ARGS."""
    project = projects[name]
    lock = project / "uv.lock"
    lock.write_text("")
    try:
        by_variable = run("make", "-n", "-C", project, "run", "CONFIG=x.yaml", "UV=/bin/true")
        by_args = run("make", "-n", "-C", project, "run", "ARGS=--config y.yaml", "UV=/bin/true")
    finally:
        lock.unlink(missing_ok=True)
    assert by_variable.returncode == 0, by_variable.stderr
    command = "serve --config x.yaml" if name == "defaults" else "--config x.yaml --help"
    assert f"my-service {command}" in by_variable.stdout
    assert "--config y.yaml" in by_args.stdout


@pytest.mark.parametrize("name", RENDERS)
def test_make_help_aligns_every_description(projects: dict[str, Path], name: str) -> None:
    """Issue 14: names longer than 10 characters (update-template) pushed their text right."""
    # --no-print-directory: under `make test` MAKELEVEL is set and make would add its own lines.
    result = run("make", "--no-print-directory", "help", "UV=/bin/true", cwd=projects[name])
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "update-template" in {line.split()[0] for line in lines}
    starts = {len(line) - len(line.split(maxsplit=1)[1]) for line in lines}
    assert len(starts) == 1, result.stdout
