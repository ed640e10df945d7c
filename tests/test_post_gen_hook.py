"""The post-gen hook: one manifest drives trimming; planning is pure, deletion is exact."""

from pathlib import Path

import pytest

from .conftest import DEFAULTS, PROJECT_TEMPLATE, Render, load_hook

post_gen = load_hook("post_gen_project")

ALL_ON = {
    "package_name": "svc",
    **{name: True for name in DEFAULTS if name.startswith("with_")},
}


def template_path(pattern: str) -> Path:
    return PROJECT_TEMPLATE / pattern.format(package="{{cookiecutter.package_name}}")


@pytest.mark.parametrize(
    "pattern", [p for feature in post_gen.MANIFEST for p in feature.paths], ids=str
)
def test_every_manifest_path_exists_in_the_template(pattern: str) -> None:
    assert template_path(pattern).exists(), f"stale manifest path: {pattern}"


def test_every_feature_is_a_prompt() -> None:
    for feature in post_gen.MANIFEST:
        assert feature.answer in DEFAULTS
        for group in feature.requires:
            assert all(name in DEFAULTS for name in group)


def test_requirements_come_before_the_features_that_need_them() -> None:
    seen: set[str] = set()
    for feature in post_gen.MANIFEST:
        for group in feature.requires:
            for name in group:
                assert name in seen or name not in {f.answer for f in post_gen.MANIFEST}
        seen.add(feature.answer)


def test_all_on_removes_nothing() -> None:
    assert post_gen.make_plan(ALL_ON) == post_gen.Plan(remove=(), notes=())


def test_server_off_removes_the_server_and_what_needs_it() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_server": False})
    assert plan.remove == ("src/svc/server", "tests/server")
    assert plan.notes == ("with_metrics: trimmed because it needs with_server",)


def test_s3_off_removes_exactly_the_storage_paths() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False})
    assert plan.remove == ("src/svc/storage", "tests/storage", "tests/server/test_ready_s3.py")
    assert plan.notes == ()


def test_s3_and_server_off_skip_paths_already_removed_with_the_server() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False, "with_server": False})
    assert plan.remove == ("src/svc/server", "tests/server", "src/svc/storage", "tests/storage")


def test_declined_dependent_feature_is_trimmed_silently() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_server": False, "with_metrics": False})
    assert plan.notes == ()


def test_metrics_off_removes_only_metrics() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_metrics": False})
    assert plan.remove == ("src/svc/server/metrics.py", "tests/server/test_metrics.py")


def test_plan_is_deterministic() -> None:
    answers = {**ALL_ON, "with_server": False}
    assert post_gen.make_plan(answers) == post_gen.make_plan(dict(reversed(answers.items())))


def test_delete_removes_files_and_prunes_empty_directories(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "only.py").write_text("")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "x.py").write_text("")
    post_gen.delete(tmp_path, ["a/b/only.py"])
    assert not (tmp_path / "a").exists(), "empty parents are pruned"
    assert (tmp_path / "keep" / "x.py").exists()


def test_delete_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not/there"):
        post_gen.delete(tmp_path, ["not/there"])


def test_hook_does_nothing_but_delete() -> None:
    """No git, no installs, no network, no clock or randomness in the hooks."""
    forbidden = ("subprocess", "import random", "uuid", "datetime", "time.", "urllib", "socket")
    for hook in ("pre_gen_project.py", "post_gen_project.py"):
        source = (PROJECT_TEMPLATE.parent / "hooks" / hook).read_text()
        assert not [word for word in forbidden if word in source], hook


def test_rendered_server_off_project_has_no_trace_of_the_server(render: Render) -> None:
    project = render(with_server=False)
    assert not (project / "src" / "my_service" / "server").exists()
    assert not (project / "tests" / "server").exists()
    text = "\n".join(p.read_text() for p in project.rglob("*") if p.is_file())
    # Imports of the trimmed package; moto's test server (`from moto.server import`) is fine.
    for word in ("fastapi", "uvicorn", "prometheus", "my_service.server", "from .server"):
        assert word not in text.lower(), word
    assert "from ..server" not in text


def test_rendered_s3_off_project_has_no_trace_of_s3(render: Render) -> None:
    project = render(with_s3=False)
    assert not (project / "src" / "my_service" / "storage").exists()
    assert not (project / "tests" / "storage").exists()
    assert not (project / "tests" / "server" / "test_ready_s3.py").exists()
    text = "\n".join(p.read_text() for p in project.rglob("*") if p.is_file())
    for word in ("aioboto3", "moto", "s3settings", "s3client", "my_service.storage"):
        assert word not in text.lower(), word
    assert "from ..storage" not in text
