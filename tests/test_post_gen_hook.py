"""The post-gen hook: one manifest drives trimming; planning is pure, deletion is exact."""

from pathlib import Path

import pytest

from .conftest import DEFAULTS, PROJECT_TEMPLATE, Render, load_hook

post_gen = load_hook("post_gen_project")

ALL_ON = {
    "package_name": "svc",
    **{name: True for name in DEFAULTS if name.startswith("with_")},
    "ci": "github",
}


def template_path(pattern: str) -> Path:
    return PROJECT_TEMPLATE / pattern.format(package="{{cookiecutter.package_name}}")


@pytest.mark.parametrize(
    "pattern", [p for feature in post_gen.MANIFEST for p in feature.paths], ids=str
)
def test_every_manifest_path_exists_in_the_template(pattern: str) -> None:
    assert template_path(pattern).exists(), f"stale manifest path: {pattern}"


def template_files() -> set[str]:
    """Every file of the project template, relative to it, with `{package}` for the package."""
    return {
        str(p.relative_to(PROJECT_TEMPLATE)).replace("{{cookiecutter.package_name}}", "{package}")
        for p in PROJECT_TEMPLATE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def covered_by(name: str, patterns: tuple[str, ...]) -> list[str]:
    return [p for p in patterns if name == p or name.startswith(p + "/")]


@pytest.mark.parametrize("pattern", post_gen.CORE, ids=str)
def test_every_core_path_exists_in_the_template(pattern: str) -> None:
    assert template_path(pattern).exists(), f"stale core path: {pattern}"


def test_every_template_file_is_core_or_claimed_by_a_feature() -> None:
    """No file ships by omission: each is declared core or trimmed with some feature."""
    claimed = tuple(p for feature in post_gen.MANIFEST for p in feature.paths)
    unclaimed = sorted(
        name
        for name in template_files()
        if not covered_by(name, post_gen.CORE) and not covered_by(name, claimed)
    )
    assert unclaimed == [], "add these to CORE or to a feature in hooks/post_gen_project.py"
    both = sorted(
        name
        for name in template_files()
        if covered_by(name, post_gen.CORE) and covered_by(name, claimed)
    )
    assert both == [], "a file is either core or claimed, not both"


def test_an_unclaimed_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above fails when a file is neither core nor claimed."""
    monkeypatch.setattr(post_gen, "CORE", tuple(p for p in post_gen.CORE if p != "LICENSE"))
    with pytest.raises(AssertionError, match="LICENSE"):
        test_every_template_file_is_core_or_claimed_by_a_feature()


@pytest.mark.parametrize(
    ("off", "kept"),
    [
        ((), True),
        (("with_server", "with_s3", "with_http_client"), False),
        (("with_server", "with_s3"), True),
        (("with_server", "with_http_client"), True),
        (("with_s3", "with_http_client"), True),
    ],
)
def test_shared_test_ports_stay_while_any_feature_using_them_is_on(
    off: tuple[str, ...], kept: bool
) -> None:
    plan = post_gen.make_plan({**ALL_ON, **dict.fromkeys(off, False)})
    assert ("tests/ports.py" not in plan.remove) is kept


def test_every_feature_is_a_prompt_or_derived_from_prompts() -> None:
    derived = {f.answer for f in post_gen.MANIFEST if f.derived}
    for feature in post_gen.MANIFEST:
        assert feature.derived or feature.answer in DEFAULTS
        assert feature.answer not in DEFAULTS or not feature.derived
        for group in feature.requires:
            assert all(name in DEFAULTS or name in derived for name in group)


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
    assert plan.remove == (
        "src/svc/server",
        "tests/server",
        "docs/guides/add-an-endpoint.md",
        "src/svc/api",
        "tests/api",
        "deploy/k8s",
        "docs/guides/deploy-to-kubernetes.md",
    )
    assert plan.notes == (
        "with_example_api: trimmed because it needs with_server",
        "with_metrics: trimmed because it needs with_server",
        "with_kubernetes: trimmed because it needs with_server",
    )


S3_PATHS = (
    "src/svc/storage/s3.py",
    "src/svc/storage/s3_backend.py",
    "src/svc/storage/_multipart.py",
    "src/svc/storage/_translate.py",
    "tests/storage/test_s3.py",
    "tests/storage/test_multipart.py",
    "tests/storage/relay.py",
    "tests/storage/test_settings.py",
)


def test_s3_off_keeps_the_storage_protocol_and_the_local_backend() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False})
    assert plan.remove == (*S3_PATHS, "tests/server/test_ready_s3.py")
    assert plan.notes == ()


def test_s3_and_server_off_skip_paths_already_removed_with_the_server() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False, "with_server": False})
    assert "tests/server/test_ready_s3.py" not in plan.remove
    assert plan.remove[:3] == ("src/svc/server", "tests/server", "docs/guides/add-an-endpoint.md")
    assert plan.remove[3 : 3 + len(S3_PATHS)] == S3_PATHS


def test_files_and_s3_off_remove_the_whole_storage_package_and_the_example() -> None:
    """Paths inside a directory removed later are folded into it."""
    plan = post_gen.make_plan({**ALL_ON, "with_files": False, "with_s3": False})
    assert plan.remove == (
        "src/svc/files",
        "tests/files",
        "tests/server/test_ready_s3.py",
        "src/svc/storage",
        "tests/storage",
        "src/svc/clients/download.py",
        "tests/clients/test_download.py",
        "src/svc/api",
        "tests/api",
    )
    assert plan.notes == ("with_example_api: trimmed because it needs with_files or with_s3",)


def test_example_api_off_removes_only_the_api() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_example_api": False})
    assert plan == post_gen.Plan(remove=("src/svc/api", "tests/api"), notes=())


def test_declined_dependent_feature_is_trimmed_silently() -> None:
    answers = {
        **ALL_ON,
        "with_server": False,
        "with_metrics": False,
        "with_kubernetes": False,
        "with_example_api": False,
    }
    assert post_gen.make_plan(answers).notes == ()


def test_docker_off_removes_the_image_and_compose_files() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_docker": False})
    assert plan == post_gen.Plan(remove=("Dockerfile", ".dockerignore", "compose.yaml"), notes=())


def test_kubernetes_off_removes_the_manifests_and_their_guide() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_kubernetes": False})
    assert plan.remove == ("deploy/k8s", "docs/guides/deploy-to-kubernetes.md")
    assert plan.notes == ()


def test_http_client_off_removes_the_clients_and_the_import_endpoint() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_http_client": False})
    assert plan.remove == (
        "src/svc/clients",
        "tests/clients",
        "src/svc/api/imports.py",
        "tests/api/test_import.py",
    )
    assert plan.notes == ()


def test_files_off_removes_the_file_helpers_and_what_is_built_on_them() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_files": False})
    assert plan.remove == (
        "src/svc/files",
        "tests/files",
        "src/svc/storage/local.py",
        "src/svc/storage/_local_files.py",
        "tests/storage/test_local.py",
        "src/svc/clients/download.py",
        "tests/clients/test_download.py",
        "src/svc/api/imports.py",
        "tests/api/test_import.py",
    )
    assert plan.notes == (), "derived parts never print a note"


def test_ci_none_removes_the_github_directory() -> None:
    plan = post_gen.make_plan({**ALL_ON, "ci": "none"})
    assert plan == post_gen.Plan(remove=(".github",), notes=())


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
    # .cruft.json records the prompts' help text, which names FastAPI; it is not project code.
    files = [p for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"]
    text = "\n".join(p.read_text() for p in files)
    # Imports of the trimmed package; moto's test server (`from moto.server import`) is fine.
    for word in ("fastapi", "uvicorn", "prometheus", "my_service.server", "from .server"):
        assert word not in text.lower(), word
    assert "from ..server" not in text


def expand(project: Path, paths: tuple[str, ...]) -> set[str]:
    """Every file under the given project-relative paths."""
    files: set[str] = set()
    for relative in paths:
        target = project / relative
        if target.is_dir():
            files |= {str(p.relative_to(project)) for p in target.rglob("*") if p.is_file()}
        elif target.is_file():
            files.add(relative)
    return files


def project_files(project: Path) -> set[str]:
    return {
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and p.name != ".cruft.json"
    }


@pytest.mark.parametrize("feature", [f.answer for f in post_gen.MANIFEST if not f.derived])
def test_switching_a_feature_off_removes_exactly_its_manifest_paths(
    render: Render, tmp_path: Path, feature: str
) -> None:
    """The manifest is the whole truth: no file disappears that it does not name, and back."""
    value = next(f.value for f in post_gen.MANIFEST if f.answer == feature)
    off_value: object = False if value is True else "none"
    full = render(output_dir=tmp_path / "full")
    trimmed = render(output_dir=tmp_path / "trimmed", **{feature: off_value})
    defaults = {k: v[0] if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    plan = post_gen.make_plan({**defaults, "package_name": "my_service", feature: off_value})
    assert project_files(full) - project_files(trimmed) == expand(full, plan.remove)
    assert project_files(trimmed) <= project_files(full)


def test_rendered_shipping_toggles_off_leave_no_trace(render: Render) -> None:
    """No files, README sections, Makefile targets or mentions of Docker, Kubernetes or CI."""
    project = render(with_docker=False, with_kubernetes=False, ci="none")
    for name in ("Dockerfile", ".dockerignore", "compose.yaml", "deploy", ".github"):
        assert not (project / name).exists(), name
    assert not (project / "docs" / "guides" / "deploy-to-kubernetes.md").exists()
    assert "\nimage:" not in (project / "Makefile").read_text()
    text = "\n".join(
        p.read_text() for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"
    ).lower()
    # MinIO may still be named: the S3 section explains pointing the service at one.
    words = ("docker", "compose", "kubernetes", "k8s", "kubectl", "github", "dependabot")
    for word in words:
        assert word not in text, word


def test_rendered_cli_only_project_keeps_a_cli_image(render: Render) -> None:
    project = render(with_server=False)
    dockerfile = (project / "Dockerfile").read_text()
    assert "HEALTHCHECK" not in dockerfile
    assert "EXPOSE" not in dockerfile
    assert not (project / "deploy").exists()
    assert not (project / "docs" / "guides" / "add-an-endpoint.md").exists()
    text = "\n".join(
        p.read_text() for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"
    ).lower()
    for word in ("kubernetes", "k8s", "kubectl", "create_app", "/health"):
        assert word not in text, word


def test_rendered_s3_off_project_has_no_trace_of_s3(render: Render) -> None:
    project = render(with_s3=False)
    storage = project / "src" / "my_service" / "storage"
    assert sorted(p.name for p in storage.glob("*s3*")) == []
    assert not (storage / "_multipart.py").exists()
    assert (storage / "local.py").is_file(), "the protocol and the local backend stay"
    assert not (project / "tests" / "server" / "test_ready_s3.py").exists()
    # docs/async-everywhere.md names aioboto3 as the async alternative to boto3 in general.
    concept = project / "docs" / "async-everywhere.md"
    files = [
        p for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json" and p != concept
    ]
    text = "\n".join(p.read_text() for p in files)
    for word in ("aioboto3", "moto", "s3settings", "s3client", "s3storage"):
        assert word not in text.lower(), word


def test_rendered_project_without_files_and_s3_has_no_storage(render: Render) -> None:
    project = render(with_files=False, with_s3=False)
    assert not (project / "src" / "my_service" / "storage").exists()
    assert not (project / "src" / "my_service" / "api").exists()
    text = "\n".join(
        p.read_text() for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"
    )
    for word in ("my_service.storage", "from ..storage", "from ..api", "/api/v1/objects"):
        assert word not in text, word
