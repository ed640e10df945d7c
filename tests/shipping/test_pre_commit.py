"""The pre-commit configuration: valid, the locked tools from .venv, update guards."""

from pathlib import Path

from .common import BIN, load_yaml, run


def test_pre_commit_runs_the_locked_tools_from_the_venv(projects: dict[str, Path]) -> None:
    path = projects["defaults"] / ".pre-commit-config.yaml"
    result = run(BIN / "pre-commit", "validate-config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_yaml(path)
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    tools = {"ruff-check", "ruff-format", "mypy"}
    guards = {"no-conflict-markers", "no-rejected-hunks"}
    assert set(hooks) == tools | guards
    for name in tools:
        # Not `uv run`: uv may live in .tools/, off PATH (issue 14).
        assert hooks[name]["entry"].startswith(".venv/bin/"), hooks[name]
        assert hooks[name]["language"] == "system"
    assert hooks["mypy"]["pass_filenames"] is False, "strict checking needs the whole project"
    assert hooks["no-conflict-markers"]["language"] == "pygrep"
    assert hooks["no-rejected-hunks"]["language"] == "fail"
