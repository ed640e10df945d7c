"""Existing users can still update: a project made from the previous release, edited the way its
guides teach, takes the template as it is now with `make update-template`.

The previous release is the newest `v*` tag of this repository (`RELEASES` when the clone has no
tags). The template at that tag and the working tree (uncommitted changes included) become two
commits of a scratch repository; the project is created from the first and updated to the second.

A conflict in a file the user edited is accepted only where CHANGELOG.md documents it: a
`### Upgrading` section under `## Unreleased` (or under a version newer than the previous
release) names the file in backticks (`src/<package>/config.py`). The documented resolution,
done here as a user would: take the new template's version of the file and redo the guide as the
current guides teach it (`guide_edits.edits_for(None)`). A conflict in a file the user did not
edit is a template bug, documented or not.
"""

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .conftest import TEMPLATE_ROOT, run_make, uv_binary
from .guide_edits import GuideEdit, edits_for, guides_to_redo, version_key
from .updates import commit_all, copy_working_tree, cruft, leftovers, run

# Release tag -> its commit, for clones without tags. Add every new tag here (in the commit after
# tagging; `test_every_release_tag_is_in_the_fallback_table` checks it).
RELEASES = {"v0.1.0": "713d17ae6b26db41d75f88d2149a5106bb7eaa09"}
PACKAGE = "my_service"  # the default answers
PACKAGE_PLACEHOLDERS = (
    "<package>",
    "{{cookiecutter.package_name}}",
    "{{ cookiecutter.package_name }}",
)


def release_tags() -> list[str]:
    """This repository's `v*` tags reachable from HEAD, newest first."""
    listed = run("git", "tag", "--list", "v*", "--merged", "HEAD", cwd=TEMPLATE_ROOT).stdout
    return sorted(listed.split(), key=version_key, reverse=True)


def previous_release() -> tuple[str, str]:
    """(tag, commit) of the newest release: from the tags, else from `RELEASES`."""
    tags = release_tags()
    if tags:
        tag = tags[0]
        commit = run("git", "rev-parse", f"{tag}^{{commit}}", cwd=TEMPLATE_ROOT).stdout.strip()
    else:
        tag = max(RELEASES, key=version_key)
        commit = RELEASES[tag]
    present = run("git", "cat-file", "-e", f"{commit}^{{commit}}", cwd=TEMPLATE_ROOT, check=False)
    assert present.returncode == 0, f"{tag} ({commit}) is not in this clone: git fetch --tags"
    return tag, commit


def documented_upgrades(changelog: str, since: str, package: str) -> set[str]:
    """Paths named in the `### Upgrading` sections of every release newer than `since`.

    Reads from the top (`## Unreleased` first) down to the heading of `since` (`## 0.1.0`,
    `## v0.1.0`, `## [0.1.0] - date`); `<package>` in a path stands for the package directory.
    """
    found: set[str] = set()
    upgrading = False
    for line in changelog.splitlines():
        if line.startswith("## "):
            heading = re.search(r"\bv?(\d+(?:\.\d+)+)", line)
            if heading and version_key(heading.group(1)) == version_key(since):
                break
            upgrading = False
        elif line.startswith("### "):
            upgrading = line.removeprefix("### ").strip().lower() == "upgrading"
        elif upgrading:
            for quoted in re.findall(r"`([^`]+)`", line):
                for placeholder in PACKAGE_PLACEHOLDERS:
                    quoted = quoted.replace(placeholder, package)
                if not re.search(r"\s", quoted):  # a path, not a command
                    found.add(quoted)
    return found


def check_leftovers(left: dict[str, str], user_edited: set[str], documented: set[str]) -> None:
    """Fail unless every file the update left unmerged is a user-edited, documented one."""
    problems = []
    for path, reason in sorted(left.items()):
        if path not in user_edited:
            problems.append(f"{path}: {reason} in a file the user did not edit")
        elif path not in documented:
            problems.append(
                f"{path}: {reason} with the user's edit, and no `### Upgrading` entry in "
                "CHANGELOG.md names it (say how to resolve it, or avoid the conflict)"
            )
    assert not problems, "the update cannot be accepted:\n" + "\n".join(problems)


# --- The scratch template and the project ---------------------------------------------------


@dataclass
class Template:
    path: Path
    release: str
    old: str  # the commit holding the release's tree
    new: str  # the commit holding the working tree


def release_template(
    path: Path, release: str, commit: str, change: Callable[[Path], None] | None = None
) -> Template:
    """Commit the release's tree, then the working tree (plus `change`) on top of it."""
    path.mkdir(parents=True)
    archive = path.parent / "release.tar"
    run("git", "archive", "--output", str(archive), commit, cwd=TEMPLATE_ROOT)
    run("tar", "-xf", str(archive), "-C", str(path), cwd=path)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=path)
    old = commit_all(path, f"release {release}")
    for child in path.iterdir():  # files the working tree deleted must go too
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    copy_working_tree(path)
    if change is not None:
        change(path)
    return Template(path, release, old, commit_all(path, "the template now", allow_empty=True))


def create_project(template: Template, out: Path) -> Path:
    """`cruft create` at the release with the default answers; committed like a new repository."""
    out.mkdir()
    cruft(
        "create",
        str(template.path),
        "--checkout",
        template.old,
        "--no-input",
        "--output-dir",
        str(out),
        cwd=out,
    )
    project = out / "my-service"
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project)
    run("git", "config", "user.name", "Service Author", cwd=project)
    run("git", "config", "user.email", "author@example.com", cwd=project)
    commit_all(project, "generated")
    return project


def render_current(template: Template, project: Path, out: Path, config: Path) -> Path:
    """The project as the new template renders it with the project's answers (no user edits)."""
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    answers = {key: value for key, value in context.items() if not key.startswith("_")}
    rendered = cookiecutter(
        str(template.path),
        no_input=True,
        extra_context=answers,
        output_dir=str(out),
        config_file=str(config),
    )
    return Path(rendered)


def redo_guides(
    project: Path, fresh: Path, paths: set[str], old: tuple[GuideEdit, ...]
) -> list[GuideEdit]:
    """The documented resolution: the new template's version of every file the affected guides
    touched, then those guides followed again as the current release teaches them."""
    redo = guides_to_redo(old, paths, PACKAGE)
    current = {edit.guide: edit for edit in edits_for(None)}
    missing = [edit.guide for edit in redo if edit.guide not in current]
    assert not missing, f"the current release has no edits for {missing}: map them in EDITS"
    for path in sorted(paths.union(*(edit.files(PACKAGE) for edit in redo))):
        (project / f"{path}.rej").unlink(missing_ok=True)
        if (fresh / path).is_file():
            shutil.copy2(fresh / path, project / path)
        else:  # a file the old guide created: the current guide creates what it needs
            (project / path).unlink(missing_ok=True)
    redone = [current[edit.guide] for edit in redo]
    for edit in redone:
        try:
            edit.apply(project, PACKAGE)
        except AssertionError as exc:
            raise AssertionError(
                f"{edit.guide}: the current release's edit does not fit the new template; "
                f"add the edits the guides now teach to EDITS in tests/guide_edits.py ({exc})"
            ) from exc
    return redone


def update_from_previous_release(
    tmp_path: Path, config: Path, change: Callable[[Path], None] | None = None
) -> tuple[Path, list[GuideEdit]]:
    """Create, edit as the release's guides teach, update, resolve what is documented, check.

    Returns the project (updated, linted and tested) and the guides that had to be redone.
    """
    release, commit = previous_release()
    template = release_template(tmp_path / "template", release, commit, change)
    project = create_project(template, tmp_path / "out")
    old_edits = edits_for(release)
    for edit in old_edits:
        edit.apply(project, PACKAGE)
    generated = run("git", "rev-parse", "HEAD", cwd=project).stdout.strip()
    commit_all(project, "follow the guides")
    user_edited = set(run("git", "diff", "--name-only", generated, cwd=project).stdout.split())

    update = run("make", f"UV={uv_binary()}", "update-template", cwd=project, check=False)

    output = update.stdout + update.stderr
    unmerged = run("git", "diff", "--name-only", "--diff-filter=U", cwd=project).stdout.split()
    left = {name: "unmerged" for name in unmerged} | leftovers(project)
    assert update.returncode == 0 or left, output
    changelog = (template.path / "CHANGELOG.md").read_text()
    check_leftovers(left, user_edited, documented_upgrades(changelog, release, PACKAGE))
    redone: list[GuideEdit] = []
    if left:
        fresh = render_current(template, project, tmp_path / "fresh", config)
        redone = redo_guides(project, fresh, set(left), old_edits)
        run("git", "add", "-A", cwd=project)  # marks the files resolved, as a user would
    assert leftovers(project) == {}
    assert not run("git", "diff", "--name-only", "--diff-filter=U", cwd=project).stdout.split()

    state = json.loads((project / ".cruft.json").read_text())
    assert state["commit"] == template.new, "the project records the new template commit"
    redone_guides = {edit.guide for edit in redone}
    for edit in [*redone, *(e for e in old_edits if e.guide not in redone_guides)]:
        assert edit.kept(project, PACKAGE) == [], f"{edit.guide}: the user's edit is lost"
    for target in ("lint", "test"):
        result = run_make(project, target)
        assert result.returncode == 0, (
            f"make {target}:\n{result.stdout[-6000:]}{result.stderr[-3000:]}"
        )
    return project, redone


# --- The update itself (slow: renders, installs and tests the project) ------------------------


@pytest.mark.slow
def test_project_from_the_previous_release_updates_cleanly(
    tmp_path: Path, cookiecutter_config: Path
) -> None:
    """Every file the update touched merges, or its conflict is documented and resolved."""
    update_from_previous_release(tmp_path, cookiecutter_config)


def conflict_at_the_end_of_the_example_config(template: Path) -> None:
    """A template change where the guides add their settings, and its Upgrading entry."""
    example = template / "{{cookiecutter.project_slug}}" / "config.example.yaml"
    example.write_text(example.read_text() + "# Sections the service adds go below.\n")
    changelog = template / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "## Unreleased\n",
            "## Unreleased\n\n### Upgrading\n- `config.example.yaml`: take the new version and "
            "add your sections again (see docs/guides/add-a-setting.md).\n",
            1,
        )
    )


@pytest.mark.slow
def test_documented_conflict_is_resolved_by_redoing_the_guides(
    tmp_path: Path, cookiecutter_config: Path
) -> None:
    """The resolution path itself, on a conflict made on purpose in a user-edited file."""
    project, redone = update_from_previous_release(
        tmp_path, cookiecutter_config, conflict_at_the_end_of_the_example_config
    )
    # Both guides that added sections were redone (others may be, for conflicts of their own).
    redone_guides = {edit.guide for edit in redone}
    assert {"add-a-setting.md", "add-an-upstream-client.md"} <= redone_guides
    example = (project / "config.example.yaml").read_text()
    assert "# Sections the service adds go below.\n" in example
    assert example.index("# Sections the service adds") < example.index("\ngreeting:\n")


# --- The checks the update relies on (fast) ----------------------------------------------------


def test_conflict_marker_left_in_a_file_the_user_did_not_edit_fails(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("a = 1\n<<<<<<< ours\nb = 2\n=======\n>>>>>>> x\n")
    (tmp_path / "config.py.rej").write_text("@@ -1 +1 @@\n")
    (tmp_path / "config.py").write_text("edited = True\n")
    (tmp_path / "README.md").write_text("Title\n=======\nquote: <<<<<<< not at the start\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "vendored.py").write_text("<<<<<<< ignored\n")
    left = leftovers(tmp_path)
    assert left == {"src/app.py": "conflict markers", "config.py": "rejected hunk (config.py.rej)"}

    with pytest.raises(AssertionError, match=r"src/app\.py: conflict markers in a file the user"):
        check_leftovers(left, user_edited={"config.py"}, documented={"config.py", "src/app.py"})


def test_conflict_in_an_edited_file_fails_unless_the_changelog_documents_it() -> None:
    left = {"src/my_service/config.py": "conflict markers"}
    edited = {"src/my_service/config.py", "config.example.yaml"}
    with pytest.raises(AssertionError, match=r"no `### Upgrading` entry in CHANGELOG\.md names it"):
        check_leftovers(left, user_edited=edited, documented={"config.example.yaml"})
    check_leftovers(left, user_edited=edited, documented={"src/my_service/config.py"})
    check_leftovers({}, user_edited=edited, documented=set())


def test_upgrading_sections_are_read_down_to_the_previous_release() -> None:
    changelog = """# Changelog

## Unreleased

### Added
- `src/<package>/added.py` is not an upgrade note.

### Upgrading
- `src/<package>/config.py`: take the new version, then add your settings as
  `docs/guides/add-a-setting.md` describes.

## [0.2.0] - 2027-01-04

### Upgrading
- `src/{{ cookiecutter.package_name }}/server/app.py`: take the new version.

## v0.1.0

### Upgrading
- `old.py`
"""
    assert documented_upgrades(changelog, "v0.1.0", "svc") == {
        "src/svc/config.py",
        "docs/guides/add-a-setting.md",
        "src/svc/server/app.py",
    }
    assert documented_upgrades(changelog, "v0.2.0", "svc") == {
        "src/svc/config.py",
        "docs/guides/add-a-setting.md",
    }


def test_guides_sharing_a_file_are_redone_together() -> None:
    edits = edits_for("v0.1.0")
    by_name = [e.guide for e in guides_to_redo(edits, {"config.example.yaml"}, PACKAGE)]
    assert by_name == ["add-a-setting.md", "add-an-upstream-client.md"]
    by_name = [e.guide for e in guides_to_redo(edits, {"src/my_service/server/app.py"}, PACKAGE)]
    assert by_name == ["add-an-endpoint.md"]
    assert guides_to_redo(edits, {"README.md"}, PACKAGE) == []


def test_edits_are_those_of_the_newest_release_at_or_before_the_tag() -> None:
    assert edits_for("v0.1.0") is edits_for("v0.1.5")
    assert edits_for(None) is edits_for("v999.0.0")
    with pytest.raises(AssertionError, match="no guide edits recorded"):
        edits_for("v0.0.9")


def test_every_release_tag_is_in_the_fallback_table() -> None:
    """A release tag older than HEAD must be in RELEASES (clones without tags use it)."""
    head = run("git", "rev-parse", "HEAD", cwd=TEMPLATE_ROOT).stdout.strip()
    for tag in release_tags():
        commit = run("git", "rev-parse", f"{tag}^{{commit}}", cwd=TEMPLATE_ROOT).stdout.strip()
        if commit != head:  # the tag on HEAD is recorded in the commit after it
            assert RELEASES.get(tag) == commit, f"add {tag!r}: {commit!r} to RELEASES"


def test_previous_release_is_available() -> None:
    tag, commit = previous_release()
    assert tag in RELEASES or tag in release_tags()
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
