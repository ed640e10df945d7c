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


@pytest.mark.parametrize("name", RENDERS)
def test_make_help_aligns_every_description(projects: dict[str, Path], name: str) -> None:
    """Issue 14: names longer than 10 characters (update-template) pushed their text right."""
    result = run("make", "help", "UV=/bin/true", cwd=projects[name])
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "update-template" in {line.split()[0] for line in lines}
    starts = {len(line) - len(line.split(maxsplit=1)[1]) for line in lines}
    assert len(starts) == 1, result.stdout
