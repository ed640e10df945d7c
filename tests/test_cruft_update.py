"""`cruft update` brings template changes into edited projects without conflicts.

Each test builds its own template git repository: commit v1 = the template as it is now,
commit v2 = v1 plus typical template improvements. Projects are created at v1, edited the
way users edit them, committed, and updated to v2.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .combinations import covering_set, label
from .conftest import uv_binary
from .updates import commit_all, copy_working_tree, cruft, files_of, leftovers, run

pytestmark = pytest.mark.slow

# The same rows as the full tier of `make matrix`: defaults, all off, each toggle off alone
# and all on with ci=none, which between them hold every pair of answers.
COVERING_SET = covering_set()


@dataclass
class TemplateRepo:
    path: Path
    v1: str
    v2: str = ""

    def improve(self) -> None:
        """Commit v2: the kind of change a template release brings."""
        slug_dir = self.path / "{{cookiecutter.project_slug}}"
        readme = slug_dir / "README.md"
        text = readme.read_text()
        readme.write_text(
            text.replace("\n```sh\n", "\n> Generated from ant31box-template.\n\n```sh\n", 1)
        )
        context = slug_dir / "src" / "{{cookiecutter.package_name}}" / "context.py"
        context.write_text(
            context.read_text() + "\n# Template v2: request context helpers live here.\n"
        )
        (slug_dir / "UPGRADING.md").write_text("# Upgrading\n\nRun `make update-template`.\n")
        pyproject = slug_dir / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace(
                '"--import-mode=importlib"]', '"--import-mode=importlib", "--durations=5"]'
            )
        )
        self.v2 = commit_all(self.path, "v2")

    def add_dependency(self) -> None:
        """Commit v2: a release whose pyproject.toml needs one more dependency."""
        pyproject = self.path / "{{cookiecutter.project_slug}}" / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace(
                "dependencies = [\n", 'dependencies = [\n    "six>=1.16",\n', 1
            )
        )
        self.v2 = commit_all(self.path, "v2: a new dependency")


@pytest.fixture
def template_repo(tmp_path: Path) -> TemplateRepo:
    path = tmp_path / "template"
    copy_working_tree(path)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=path)
    return TemplateRepo(path=path, v1=commit_all(path, "v1"))


def cruft_create(template: TemplateRepo, out: Path, answers: dict[str, Any]) -> Path:
    cruft(
        "create",
        str(template.path),
        "--checkout",
        template.v1,
        "--no-input",
        "--output-dir",
        str(out),
        "--extra-context",
        json.dumps(answers),
        cwd=out.parent,
    )
    project = out / "my-service"
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "generated")
    return project


def package_dir(project: Path) -> Path:
    return project / "src" / "my_service"


def edit_like_a_user(project: Path) -> None:
    """Add a module, change a setting default, add a dependency — then commit."""
    package = package_dir(project)
    target = (
        package / "server" / "orders.py" if (package / "server").is_dir() else package / "orders.py"
    )
    target.write_text('"""Orders, added by the service author."""\n')
    config = package / "config.py"
    config.write_text(
        config.read_text().replace(
            'level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"',
            'level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"',
        )
    )
    example = project / "config.example.yaml"
    example.write_text(example.read_text().replace("  level: INFO ", "  level: WARNING ", 1))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "orjson>=3.10",\n', 1
        )
    )
    commit_all(project, "user edits")


def assert_clean_merge(project: Path) -> None:
    unmerged = run("git", "diff", "--name-only", "--diff-filter=U", cwd=project).stdout.split()
    assert unmerged == []
    assert leftovers(project) == {}, "no rejected hunks, no conflict markers"


@pytest.mark.parametrize("answers", COVERING_SET, ids=[label(a) for a in COVERING_SET])
def test_update_merges_template_changes_into_edited_projects(
    template_repo: TemplateRepo, tmp_path: Path, answers: dict[str, Any]
) -> None:
    project = cruft_create(template_repo, tmp_path / "out", answers)
    before = files_of(project)
    edit_like_a_user(project)
    template_repo.improve()

    cruft("update", "--skip-apply-ask", "--project-dir", str(project), cwd=project)

    assert_clean_merge(project)
    after = files_of(project)
    added = after - before
    assert added <= {"UPGRADING.md", "src/my_service/orders.py", "src/my_service/server/orders.py"}
    assert "UPGRADING.md" in added
    assert before - after == set(), "nothing the project had is lost; trimmed files stay trimmed"
    assert "Generated from ant31box-template" in (project / "README.md").read_text()
    assert "--durations=5" in (project / "pyproject.toml").read_text()
    assert '"orjson>=3.10"' in (project / "pyproject.toml").read_text(), "user dependency kept"
    assert '= "WARNING"' in (package_dir(project) / "config.py").read_text(), "user setting kept"
    assert json.loads((project / ".cruft.json").read_text())["commit"] == template_repo.v2
    commit_all(project, "update")
    assert cruft("check", cwd=project, check=False).returncode == 0


def test_turning_a_feature_off_and_on_removes_and_restores_its_files(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = cruft_create(template_repo, tmp_path / "out", {})
    metrics = package_dir(project) / "server" / "metrics.py"
    full = files_of(project)
    assert metrics.is_file()

    cruft(
        "update",
        "--skip-apply-ask",
        "--variables-to-update",
        '{"with_metrics": false}',
        cwd=project,
    )
    assert_clean_merge(project)
    assert not metrics.exists()
    assert full - files_of(project) == {
        "src/my_service/features/metrics.py",
        "src/my_service/server/metrics.py",
        "tests/server/test_metrics.py",
    }
    assert "prometheus" not in (project / "pyproject.toml").read_text()
    commit_all(project, "metrics off")

    cruft(
        "update", "--skip-apply-ask", "--variables-to-update", '{"with_metrics": true}', cwd=project
    )
    assert_clean_merge(project)
    assert files_of(project) == full
    assert "prometheus" in (project / "pyproject.toml").read_text()


def test_plain_cookiecutter_project_can_be_updated_with_cruft(
    template_repo: TemplateRepo, tmp_path: Path, cookiecutter_config: Path
) -> None:
    out = tmp_path / "out"
    run(
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--config-file",
        str(cookiecutter_config),
        "--output-dir",
        str(out),
        str(template_repo.path),
        cwd=tmp_path,
    )
    project = out / "my-service"
    state = json.loads((project / ".cruft.json").read_text())
    assert state["commit"] == template_repo.v1
    assert state["template"] == str(template_repo.path)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "generated")
    template_repo.improve()

    assert cruft("check", cwd=project, check=False).returncode != 0, "v2 is not merged yet"

    cruft("update", "--skip-apply-ask", cwd=project)
    assert_clean_merge(project)
    assert (project / "UPGRADING.md").is_file()
    assert json.loads((project / ".cruft.json").read_text())["commit"] == template_repo.v2
    commit_all(project, "update")
    check = cruft("check", cwd=project, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_make_update_template_refuses_dirty_trees_and_updates_clean_ones(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = cruft_create(template_repo, tmp_path / "out", {})
    edit_like_a_user(project)
    template_repo.improve()

    (project / "scratch.txt").write_text("uncommitted\n")
    dirty = run("make", f"UV={uv_binary()}", "update-template", cwd=project, check=False)
    assert dirty.returncode != 0
    assert "working tree is not clean" in dirty.stderr
    (project / "scratch.txt").unlink()

    result = run("make", f"UV={uv_binary()}", "update-template", cwd=project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_clean_merge(project)
    assert (project / "UPGRADING.md").is_file()
    assert '"orjson>=3.10"' in (project / "pyproject.toml").read_text()


def make_update_template(project: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    return run("make", f"UV={uv_binary()}", "update-template", *variables, cwd=project, check=False)


def test_documented_variables_command_turns_a_feature_off(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """The README's `make update-template VARIABLES='...'`, run as written by a shell."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    readme = (project / "README.md").read_text()
    documented = re.findall(r"`(make update-template VARIABLES='[^'`]*')`", readme)
    assert documented == ["make update-template VARIABLES='{\"with_metrics\": false}'"]
    template_repo.improve()

    result = run("bash", "-c", f"{documented[0]} UV={uv_binary()}", cwd=project, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_clean_merge(project)
    assert not (package_dir(project) / "server" / "metrics.py").exists()
    assert not (project / "tests" / "server" / "test_metrics.py").exists()
    assert "prometheus" not in (project / "pyproject.toml").read_text()
    assert (project / "UPGRADING.md").is_file(), "template changes come along"
    state = json.loads((project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["with_metrics"] is False


def test_make_update_template_rejects_variables_that_are_not_a_json_object(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = cruft_create(template_repo, tmp_path / "out", {})
    result = make_update_template(project, "VARIABLES=with_metrics=false")
    assert result.returncode != 0
    assert "VARIABLES must be a JSON object" in result.stderr


def test_make_update_template_fails_on_a_conflict_and_names_the_file(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = cruft_create(template_repo, tmp_path / "out", {})
    context = package_dir(project) / "context.py"
    # The user appends where template v2 appends something else: a real 3-way conflict.
    context.write_text(context.read_text() + "\n# Our own request context notes.\n")
    commit_all(project, "user edit at the end of context.py")
    template_repo.improve()

    result = make_update_template(project)

    assert result.returncode != 0, result.stdout + result.stderr
    assert "src/my_service/context.py" in result.stderr
    assert "the update left conflicts" in result.stderr


def test_make_update_template_fails_on_a_rejected_hunk_and_names_the_file(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """A `.rej` file (here one committed past the pre-commit guard) fails the update."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    (project / "config.example.yaml.rej").write_text("@@ -1 +1 @@\n-a\n+b\n")
    commit_all(project, "a leftover rejected hunk")
    template_repo.improve()

    result = make_update_template(project)

    assert result.returncode != 0, result.stdout + result.stderr
    assert "rejected hunk: config.example.yaml.rej" in result.stderr


def test_rej_and_orig_files_are_not_ignored_by_git(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Update leftovers show in `git status` (and so make the tree dirty), never hidden."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    (project / "pyproject.toml.rej").write_text("@@ -1 +1 @@\n")
    (project / "README.md.orig").write_text("old\n")
    status = run("git", "status", "--porcelain", cwd=project).stdout
    assert "?? pyproject.toml.rej" in status
    assert "?? README.md.orig" in status
    dirty = make_update_template(project)
    assert dirty.returncode != 0
    assert "working tree is not clean" in dirty.stderr


def test_pre_commit_rejects_update_leftovers(template_repo: TemplateRepo, tmp_path: Path) -> None:
    """The generated pre-commit hooks refuse conflict markers and .rej/.orig files."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    (project / "merged.py").write_text(
        "x = 1\n<<<<<<< ours\ny = 2\n=======\ny = 3\n>>>>>>> theirs\n"
    )
    (project / "config.py.rej").write_text("@@ -1 +1 @@\n")
    (project / "clean.py").write_text("z = 1\n")
    run("git", "add", "-A", cwd=project)
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))

    def hook(name: str, path: str) -> int:
        env_home = tmp_path / "pre-commit-home"
        result = run(
            "env",
            f"PRE_COMMIT_HOME={env_home}",
            pre_commit,
            "run",
            name,
            "--files",
            path,
            cwd=project,
            check=False,
        )
        return result.returncode

    assert hook("no-conflict-markers", "merged.py") != 0
    assert hook("no-conflict-markers", "clean.py") == 0
    assert hook("no-rejected-hunks", "config.py.rej") != 0
    assert hook("no-rejected-hunks", "clean.py") == 0


def test_update_that_changes_dependencies_leaves_a_lock_uv_sync_locked_accepts(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Issue 14: CI and the Dockerfile run `uv sync --locked` on the committed lock."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    run(uv_binary(), "lock", cwd=project)  # what the first `make install` does; then committed
    commit_all(project, "lock")
    template_repo.add_dependency()

    result = make_update_template(project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert '"six>=1.16"' in (project / "pyproject.toml").read_text()
    locked = run(uv_binary(), "sync", "--locked", "--dry-run", cwd=project, check=False)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert "uv.lock" in run("git", "diff", "--name-only", "--staged", cwd=project).stdout


def test_documented_review_command_shows_the_update(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Issue 14: the README's review step after `make update-template` shows what changed."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    block = (project / "README.md").read_text().split("\n## Template updates\n", 1)[1]
    commands = block.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    review = [line for line in commands if line.startswith("git diff")]
    assert len(review) == 1, commands
    template_repo.improve()
    result = make_update_template(project)
    assert result.returncode == 0, result.stdout + result.stderr

    shown = run("bash", "-c", review[0], cwd=project).stdout

    assert "UPGRADING.md" in shown
    assert "Generated from ant31box-template" in shown
    assert "--durations=5" in shown
    assert review[0].split("#")[0].strip() in result.stdout, "the script names the same command"


def test_make_update_template_rejects_an_unknown_answer_and_lists_the_valid_ones(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Issue 14: a typo in VARIABLES was ignored by cruft and reported as a success."""
    project = cruft_create(template_repo, tmp_path / "out", {})
    template_repo.improve()

    result = make_update_template(project, """VARIABLES={"with_metrik": true}""")

    assert result.returncode != 0, result.stdout + result.stderr
    assert "with_metrik" in result.stderr
    assert "valid names: " in result.stderr
    listed = result.stderr.split("valid names: ", 1)[1].splitlines()[0]
    valid = {name.strip() for name in listed.split(",")}
    assert {"with_metrics", "project_slug", "with_server"} <= valid
    assert run("git", "status", "--porcelain", cwd=project).stdout == "", "nothing changed"


def test_make_update_template_on_an_up_to_date_project_says_so(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Issue 14: "Nothing to do" was followed by "done; review `git diff`"."""
    project = cruft_create(template_repo, tmp_path / "out", {})

    result = make_update_template(project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout
    assert "review" not in result.stdout + result.stderr
    assert run("git", "status", "--porcelain", cwd=project).stdout == ""
