"""The post-gen hook: one manifest drives trimming; planning is pure, deletion is exact."""

import ast
import shutil
import subprocess
import sys
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
        (("with_server", "with_s3", "with_http_client", "with_database", "with_jobs"), False),
        (("with_server", "with_s3", "with_http_client", "with_database"), True),
        (("with_server", "with_s3", "with_http_client"), True),
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


INDEX_PATHS = (
    "src/svc/db/models/objects.py",
    "src/svc/db/object_index.py",
    "src/svc/db/migrations/versions/rev_0002_object_index.py",
    "src/svc/features/object_index.py",
    "tests/db/test_object_index.py",
)


# The parts of the observers (tracing, error reports) that go with the feature they observe:
# test_observer_parts_go_with_what_they_observe lists them, the plans above leave them out.
OBSERVER_MARKS = ("telemetry", "tracing", "error_reporting", "job_spans")


def without_observers(paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(path for path in paths if not any(mark in path for mark in OBSERVER_MARKS))


ONE_TRACE = ("tests/telemetry/test_one_trace.py", "tests/telemetry/test_one_trace_job.py")


@pytest.mark.parametrize(
    ("off", "expected"),
    [
        (
            "with_server",
            (
                "src/svc/telemetry/asgi.py",
                "src/svc/features/telemetry_web.py",
                "tests/telemetry/test_server_spans.py",
                *ONE_TRACE,
                "src/svc/error_reporting/asgi.py",
                "src/svc/features/error_reporting_web.py",
                "tests/error_reporting/test_server_errors.py",
            ),
        ),
        (
            "with_s3",
            (
                "src/svc/telemetry/s3.py",
                "src/svc/features/s3_tracing.py",
                "tests/telemetry/test_s3_spans.py",
                *ONE_TRACE,
            ),
        ),
        (
            "with_http_client",
            (
                "src/svc/features/http_client_tracing.py",
                "tests/telemetry/test_client_spans.py",
                *ONE_TRACE,
            ),
        ),
        ("with_files", ONE_TRACE),
        ("with_example_api", ONE_TRACE),
        (
            "with_database",
            (
                "src/svc/features/database_tracing.py",
                "tests/telemetry/test_database_spans.py",
                *ONE_TRACE,
            ),
        ),
        (
            "with_jobs",
            (
                "src/svc/telemetry/jobs.py",
                "src/svc/features/jobs_tracing.py",
                "tests/telemetry/test_one_trace_job.py",
                "tests/error_reporting/test_job_errors.py",
            ),
        ),
    ],
)
def test_observer_parts_go_with_what_they_observe(off: str, expected: tuple[str, ...]) -> None:
    plan = post_gen.make_plan({**ALL_ON, off: False})
    observed = tuple(p for p in plan.remove if any(mark in p for mark in OBSERVER_MARKS))
    assert observed == expected


def test_otel_off_removes_tracing_and_every_traced_part() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_otel": False})
    assert plan.remove == (
        "src/svc/telemetry",
        "src/svc/features/telemetry.py",
        "tests/telemetry",
        "src/svc/features/telemetry_web.py",
        "src/svc/features/http_client_tracing.py",
        "src/svc/features/s3_tracing.py",
        "src/svc/features/database_tracing.py",
        "src/svc/features/jobs_tracing.py",
        "tests/jobs/test_job_spans.py",
    )
    assert plan.notes == ()


def test_sentry_off_removes_error_reporting() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_sentry": False})
    assert plan.remove == (
        "src/svc/error_reporting",
        "src/svc/features/error_reporting.py",
        "tests/error_reporting",
        "src/svc/features/error_reporting_web.py",
    )


def test_both_observers_off_remove_their_guide() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_otel": False, "with_sentry": False})
    assert "docs/guides/observability.md" in plan.remove


def test_server_off_removes_the_server_and_what_needs_it() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_server": False})
    assert without_observers(plan.remove) == (
        "src/svc/server",
        "src/svc/features/server.py",
        "tests/server",
        "docs/guides/add-an-endpoint.md",
        "src/svc/api",
        "src/svc/features/objects.py",
        "tests/api",
        "src/svc/features/object_import.py",
        "src/svc/features/metrics.py",
        "src/svc/db/dependencies.py",
        "src/svc/db/errors.py",
        "src/svc/db/failures.py",
        "src/svc/features/database_web.py",
        "tests/db/test_dependencies.py",
        "tests/db/test_faults.py",
        "tests/db/test_ready.py",
        *INDEX_PATHS,
        "src/svc/jobs/web.py",
        "src/svc/jobs/respond_async.py",
        "src/svc/features/jobs_web.py",
        "tests/jobs/test_respond_async.py",
        "tests/jobs/test_web.py",
        "deploy/k8s",
        "docs/guides/deploy-to-kubernetes.md",
    )
    assert plan.notes == (
        "with_example_api: trimmed because it needs with_server",
        "with_metrics: trimmed because it needs with_server",
        "with_kubernetes: trimmed because it needs with_server",
    )


S3_PATHS = (
    "src/svc/storage/s3_client.py",
    "src/svc/features/s3.py",
    "src/svc/storage/s3_storage.py",
    "src/svc/storage/_multipart.py",
    "src/svc/storage/_translate.py",
    "src/svc/storage/upload_budget.py",
    "tests/storage/test_s3.py",
    "tests/storage/test_multipart.py",
    "tests/storage/test_settings.py",
    "tests/storage/test_upload_budget.py",
)


# The s3:// download source: kept only while the download client and S3 both are.
S3_SOURCE_PATHS = ("src/svc/clients/s3_source.py", "tests/clients/test_s3_source.py")
DOWNLOAD_PATHS = (
    "src/svc/clients/download.py",
    "src/svc/features/download.py",
    "src/svc/clients/sources.py",
    "tests/clients/test_download.py",
    *S3_SOURCE_PATHS,
)


def test_s3_off_keeps_the_storage_protocol_and_the_local_backend() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False})
    assert without_observers(plan.remove) == (
        *S3_PATHS,
        "tests/server/test_ready_s3.py",
        *S3_SOURCE_PATHS,
    )
    assert plan.notes == ()


def test_s3_and_server_off_skip_paths_already_removed_with_the_server() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_s3": False, "with_server": False})
    assert "tests/server/test_ready_s3.py" not in plan.remove
    assert plan.remove[:4] == (
        "src/svc/server",
        "src/svc/features/server.py",
        "tests/server",
        "docs/guides/add-an-endpoint.md",
    )
    assert plan.remove[4 : 4 + len(S3_PATHS)] == S3_PATHS


def test_files_and_s3_off_remove_the_whole_storage_package_and_the_example() -> None:
    """Paths inside a directory removed later are folded into it."""
    plan = post_gen.make_plan({**ALL_ON, "with_files": False, "with_s3": False})
    assert without_observers(plan.remove) == (
        "src/svc/files",
        "tests/files",
        "src/svc/features/s3.py",
        "tests/server/test_ready_s3.py",
        "src/svc/relative_paths.py",
        "src/svc/transfer.py",
        "tests/test_relative_paths.py",
        "tests/test_transfer.py",
        "src/svc/storage",
        "tests/storage",
        *DOWNLOAD_PATHS,
        "src/svc/api",
        "src/svc/features/objects.py",
        "tests/api",
        "src/svc/features/object_import.py",
        *INDEX_PATHS,
    )
    assert plan.notes == ("with_example_api: trimmed because it needs with_files or with_s3",)


def test_example_api_off_removes_only_the_api_and_its_index() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_example_api": False})
    assert without_observers(plan.remove) == (
        "src/svc/api",
        "src/svc/features/objects.py",
        "tests/api",
        "src/svc/features/object_import.py",
        *INDEX_PATHS,
    )
    assert plan.notes == ()


def test_declined_dependent_feature_is_trimmed_silently() -> None:
    answers = {
        **ALL_ON,
        "with_server": False,
        "with_metrics": False,
        "with_kubernetes": False,
        "with_example_api": False,
    }
    assert post_gen.make_plan(answers).notes == ()


def test_docker_off_removes_the_image_and_compose_files_and_the_release_workflow() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_docker": False})
    removed = ("Dockerfile", ".dockerignore", "compose.yaml", ".github/workflows/release.yml")
    assert plan == post_gen.Plan(remove=removed, notes=())


def test_kubernetes_off_removes_the_manifests_and_their_guide() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_kubernetes": False})
    assert plan.remove == ("deploy/k8s", "docs/guides/deploy-to-kubernetes.md")
    assert plan.notes == ()


def test_http_client_off_removes_the_clients_and_the_import_endpoint() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_http_client": False})
    assert without_observers(plan.remove) == (
        "src/svc/clients",
        "src/svc/features/http_client.py",
        "tests/clients",
        "src/svc/features/download.py",
        "src/svc/api/imports.py",
        "src/svc/features/object_import.py",
        "tests/api/source_server.py",
        "tests/api/test_import.py",
        "src/svc/api/import_job.py",
        "tests/api/test_import_job.py",
        "src/svc/jobs/callbacks.py",
        "src/svc/features/job_callbacks.py",
        "tests/jobs/test_callbacks.py",
    )
    assert plan.notes == ()


def test_files_off_removes_the_file_helpers_and_what_is_built_on_them() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_files": False})
    assert without_observers(plan.remove) == (
        "src/svc/files",
        "tests/files",
        "src/svc/storage/local.py",
        "src/svc/storage/_local_blocking.py",
        "tests/storage/test_local.py",
        *DOWNLOAD_PATHS,
        "src/svc/api/imports.py",
        "src/svc/features/object_import.py",
        "tests/api/source_server.py",
        "tests/api/test_import.py",
        "src/svc/api/import_job.py",
        "tests/api/test_import_job.py",
    )
    assert plan.notes == (), "derived parts never print a note"


def test_database_off_removes_the_db_package_and_its_web_part() -> None:
    """The session dependency and the error mapping live inside db/: deleting db/ takes them
    along; the web feature that installs the mapping goes too."""
    plan = post_gen.make_plan({**ALL_ON, "with_database": False})
    assert without_observers(plan.remove) == (
        "src/svc/db",
        "src/svc/features/database.py",
        "tests/db",
        "docs/guides/add-a-table.md",
        "src/svc/features/database_web.py",
        "src/svc/features/object_index.py",
        "tests/api/test_object_index.py",
        "src/svc/jobs/db_store.py",
        "src/svc/features/job_store_db.py",
        "deploy/k8s/migrate-job.yaml",
    )
    assert plan.notes == ()


@pytest.mark.parametrize(
    ("off", "kept"),
    [
        ((), True),
        (("with_s3",), True),
        (("with_database",), True),
        (("with_s3", "with_database"), False),
        (("with_s3", "with_server"), False),
        (("with_server",), True),
    ],
)
def test_the_shared_tcp_relay_stays_while_s3_or_the_database_web_part_is_on(
    off: tuple[str, ...], kept: bool
) -> None:
    plan = post_gen.make_plan({**ALL_ON, **dict.fromkeys(off, False)})
    assert ("tests/relay.py" not in plan.remove) is kept


def test_jobs_off_removes_the_jobs_package_with_its_web_part() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_jobs": False})
    assert without_observers(plan.remove) == (
        "src/svc/jobs",
        "src/svc/features/jobs.py",
        "tests/jobs",
        "docs/guides/add-a-job.md",
        "docs/guides/receive-job-callbacks.md",
        "src/svc/features/jobs_web.py",
        "src/svc/api/import_job.py",
        "tests/api/test_import_job.py",
        "src/svc/features/job_callbacks.py",
        "src/svc/features/job_store_db.py",
        "src/svc/db/models/jobs.py",
        "src/svc/db/migrations/versions/rev_0003_jobs.py",
        "tests/db/test_job_store.py",
        "deploy/k8s/worker-deployment.yaml",
        "deploy/k8s/worker-hpa.yaml",
        "deploy/k8s/worker-pdb.yaml",
    )
    assert plan.notes == ()


def test_the_import_job_needs_the_import_route_and_jobs() -> None:
    """api/import_job.py registers a kind (jobs) that runs the import (object_import)."""
    job = ("src/svc/api/import_job.py", "tests/api/test_import_job.py")

    def gone(plan: post_gen.Plan, path: str) -> bool:
        return any(path == done or path.startswith(done + "/") for done in plan.remove)

    assert not any(gone(post_gen.make_plan(ALL_ON), path) for path in job)
    for answer in ("with_jobs", "with_http_client", "with_example_api"):
        plan = post_gen.make_plan({**ALL_ON, answer: False})
        assert all(gone(plan, path) for path in job), answer


def test_jobs_without_server_keep_the_worker_and_lose_the_route() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_server": False})
    assert "src/svc/jobs" not in plan.remove
    assert "src/svc/features/jobs.py" not in plan.remove
    for path in ("src/svc/jobs/web.py", "src/svc/features/jobs_web.py", "tests/jobs/test_web.py"):
        assert path in plan.remove


def test_database_without_server_keeps_the_db_package_without_the_dependency() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_server": False})
    assert "src/svc/db" not in plan.remove
    assert "src/svc/features/database.py" not in plan.remove
    assert "src/svc/db/dependencies.py" in plan.remove


def test_object_index_needs_the_example_api_and_the_database() -> None:
    """The table, its migration and the indexed storage: only where both are rendered."""
    for answers in ({**ALL_ON, "with_example_api": False}, {**ALL_ON, "with_server": False}):
        plan = post_gen.make_plan(answers)
        assert set(INDEX_PATHS) <= set(plan.remove)
    assert not set(INDEX_PATHS) & set(post_gen.make_plan(ALL_ON).remove)


JOB_STORE_PATHS = (
    "src/svc/jobs/db_store.py",
    "src/svc/features/job_store_db.py",
    "src/svc/db/models/jobs.py",
    "src/svc/db/migrations/versions/rev_0003_jobs.py",
    "tests/db/test_job_store.py",
)
WORKER_PATHS = (
    "deploy/k8s/worker-deployment.yaml",
    "deploy/k8s/worker-hpa.yaml",
    "deploy/k8s/worker-pdb.yaml",
)


def test_the_jobs_table_needs_the_jobs_and_the_database() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_jobs": False})
    assert set(JOB_STORE_PATHS) - {"src/svc/jobs/db_store.py"} <= set(plan.remove)
    assert "src/svc/jobs" in plan.remove, "db_store.py goes with its package"
    assert set(WORKER_PATHS) <= set(plan.remove)
    assert not set(JOB_STORE_PATHS) & set(post_gen.make_plan(ALL_ON).remove)
    kubernetes_off = post_gen.make_plan({**ALL_ON, "with_kubernetes": False})
    assert not set(JOB_STORE_PATHS) & set(kubernetes_off.remove)


@pytest.mark.parametrize(
    ("answers", "revises"),
    [
        ({}, "0002"),
        ({"with_example_api": False}, "0001"),
        ({"with_server": False}, "0001"),
        ({"with_files": False, "with_s3": False}, "0001"),
    ],
)
def test_the_jobs_migration_follows_the_newest_rendered_one(
    render: Render, answers: dict[str, bool], revises: str
) -> None:
    """One line of migrations in every render: 0002 exists only with the objects API."""
    project = render(**answers)
    versions = project / "src" / "my_service" / "db" / "migrations" / "versions"
    names = sorted(p.name for p in versions.glob("rev_*.py"))
    expected = ["rev_0001_baseline.py", "rev_0002_object_index.py", "rev_0003_jobs.py"]
    assert names == [name for name in expected if revises == "0002" or "0002" not in name]
    source = (versions / "rev_0003_jobs.py").read_text()
    assert f'down_revision: str | tuple[str, ...] | None = "{revises}"' in source
    assert f"Revises: {revises}\n" in source


def test_ci_none_removes_the_github_directory() -> None:
    plan = post_gen.make_plan({**ALL_ON, "ci": "none"})
    assert plan == post_gen.Plan(remove=(".github",), notes=())


def test_metrics_off_removes_only_metrics() -> None:
    plan = post_gen.make_plan({**ALL_ON, "with_metrics": False})
    assert plan.remove == (
        "src/svc/server/metrics.py",
        "src/svc/features/metrics.py",
        "tests/server/test_metrics.py",
    )


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
    forbidden = {"subprocess", "random", "uuid", "datetime", "time", "urllib", "socket", "os"}
    for hook in ("pre_gen_project.py", "post_gen_project.py"):
        tree = ast.parse((PROJECT_TEMPLATE.parent / "hooks" / hook).read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.partition(".")[0])
        assert not imported & forbidden, hook


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


def test_rendered_database_off_project_has_no_trace_of_the_database(render: Render) -> None:
    project = render(with_database=False)
    assert not (project / "src" / "my_service" / "db").exists()
    files = [p for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"]
    text = "\n".join(p.read_text() for p in files).lower()
    for word in ("sqlalchemy", "alembic", "asyncpg", "aiosqlite", "database__url", "db upgrade"):
        assert word not in text, word


def test_rendered_example_api_off_project_has_the_migration_chain_and_no_table(
    render: Render,
) -> None:
    project = render(with_example_api=False, with_jobs=False)
    db = project / "src" / "my_service" / "db"
    assert sorted(p.name for p in (db / "models").iterdir()) == ["__init__.py"]
    versions = sorted(p.name for p in (db / "migrations" / "versions").iterdir())
    assert versions == ["__init__.py", "rev_0001_baseline.py"]
    files = [p for p in project.rglob("*") if p.is_file() and p.name != ".cruft.json"]
    text = "\n".join(p.read_text() for p in files).lower()
    for word in ("object_index", "objectrecord", "reconcile"):
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


SHA = "1234567890abcdef1234567890abcdef12345678"
OTHER_SHA = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"


def git_dir(repo: Path, head: str, refs: dict[str, str] | None = None, packed: str = "") -> Path:
    """A checkout's `.git` directory written by hand: HEAD, loose refs, packed-refs."""
    git = repo / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text(head + "\n")
    for name, sha in (refs or {}).items():
        (git / name).parent.mkdir(parents=True, exist_ok=True)
        (git / name).write_text(sha + "\n")
    if packed:
        (git / "packed-refs").write_text(packed)
    return git


def test_head_commit_reads_a_detached_head(tmp_path: Path) -> None:
    git_dir(tmp_path, SHA)
    assert post_gen.head_commit(tmp_path) == SHA


def test_head_commit_follows_a_loose_branch_ref(tmp_path: Path) -> None:
    git_dir(tmp_path, "ref: refs/heads/main", {"refs/heads/main": SHA})
    assert post_gen.head_commit(tmp_path) == SHA


def test_head_commit_reads_packed_refs(tmp_path: Path) -> None:
    packed = f"# pack-refs with: peeled fully-peeled sorted\n{OTHER_SHA} refs/heads/dev\n"
    packed += f"{SHA} refs/heads/main\n^{OTHER_SHA}\n"
    git_dir(tmp_path, "ref: refs/heads/main", packed=packed)
    assert post_gen.head_commit(tmp_path) == SHA


def test_head_commit_follows_a_worktree_git_file(tmp_path: Path) -> None:
    """A worktree's `.git` is a file naming its gitdir; branch refs live in the common dir."""
    common = git_dir(tmp_path / "main", "ref: refs/heads/main", {"refs/heads/feature": SHA})
    worktree_git = common / "worktrees" / "wt"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (worktree_git / "commondir").write_text("../..\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {worktree_git}\n")
    assert post_gen.head_commit(checkout) == SHA


def test_head_commit_is_none_without_git_or_the_ref(tmp_path: Path) -> None:
    assert post_gen.head_commit(tmp_path) is None
    git_dir(tmp_path, "ref: refs/heads/gone")
    assert post_gen.head_commit(tmp_path) is None


def plain_cookiecutter_answers(template: str, repo_dir: Path | str) -> dict[str, object]:
    """What plain cookiecutter passes the hook: `_template`, `_repo_dir`, no `_commit`."""
    return {
        **ALL_ON,
        "project_slug": "my-service",
        "__prompts__": {"project_name": "Project name"},
        "_template": template,
        "_repo_dir": str(repo_dir),
        "_output_dir": "/tmp/out",
        "_checkout": None,
    }


def test_cruft_state_of_a_local_checkout_links_to_its_absolute_path(tmp_path: Path) -> None:
    git_dir(tmp_path, SHA)
    state = post_gen.cruft_state(plain_cookiecutter_answers(str(tmp_path), tmp_path))
    assert state is not None
    assert state["template"] == str(tmp_path)
    assert state["commit"] == SHA
    context = state["context"]["cookiecutter"]
    assert context["_commit"] == SHA
    assert context["_template"] == str(tmp_path)
    assert "_repo_dir" not in context
    assert "_output_dir" not in context
    assert "__prompts__" in context


def test_cruft_state_expands_a_gh_abbreviation(tmp_path: Path) -> None:
    git_dir(tmp_path, SHA)
    state = post_gen.cruft_state(plain_cookiecutter_answers("gh:ant31/box", tmp_path))
    assert state is not None
    assert state["template"] == "https://github.com/ant31/box"
    assert state["context"]["cookiecutter"]["_template"] == "https://github.com/ant31/box"


def test_cruft_state_is_none_under_cruft_without_repo_dir_or_commit(tmp_path: Path) -> None:
    git_dir(tmp_path / "t", SHA)
    answers = plain_cookiecutter_answers(str(tmp_path / "t"), tmp_path / "t")
    assert post_gen.cruft_state({**answers, "_commit": SHA}) is None, "cruft writes its own"
    without = {k: v for k, v in answers.items() if k != "_repo_dir"}
    assert post_gen.cruft_state(without) is None
    assert post_gen.cruft_state(plain_cookiecutter_answers(".", ".")) is None, "relative path"
    (tmp_path / "zip").mkdir()
    assert post_gen.cruft_state(plain_cookiecutter_answers("x.zip", tmp_path / "zip")) is None


def test_relative_template_path_prints_how_to_link_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = plain_cookiecutter_answers(".", ".")
    assert post_gen.main(answers, tmp_path) == 0
    assert not (tmp_path / ".cruft.json").exists()
    out = capsys.readouterr().out
    assert out == post_gen.LINK_NOTE + "\n" + post_gen.next_steps(answers, linked=False) + "\n"
    assert "cruft link <template-url>" in out


def test_plain_cookiecutter_from_a_checkout_writes_cruft_json_and_prints_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template"
    git_dir(template, SHA)
    (tmp_path / "project").mkdir()
    answers = plain_cookiecutter_answers(str(template), template)
    post_gen.main(answers, tmp_path / "project")
    assert (tmp_path / "project" / ".cruft.json").is_file()
    out = capsys.readouterr().out
    assert out == post_gen.next_steps(answers, linked=True) + "\n", "only the next steps"
    assert "make update-template" in out


def test_rendering_prints_the_next_steps_the_same_way_every_time(
    tmp_path: Path, cookiecutter_config: Path
) -> None:
    """Issue 14: after `cookiecutter`, the next steps (cd, make run, make test, cruft link)."""
    outputs = []
    for name in ("a", "b"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cookiecutter",
                "--no-input",
                "--config-file",
                str(cookiecutter_config),
                "--output-dir",
                str(tmp_path / name),
                str(PROJECT_TEMPLATE.parent),
                "project_name=Billing API",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1], "deterministic"
    steps = outputs[0][outputs[0].index("next steps:") :].splitlines()
    assert steps[1] == "  cd billing-api"
    assert steps[2].startswith("  make run ")
    assert steps[3].startswith("  make test ")
    assert "cruft link" in steps[4] or "make update-template" in steps[4]
    assert (tmp_path / "a" / "billing-api" / "Makefile").is_file()


def test_under_cruft_the_hook_writes_no_cruft_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The context cruft really builds (its own function) makes the hook write nothing.

    The template is a git checkout and `_repo_dir` is added, so only `_commit` tells the hook
    it runs under cruft: without it, the same answers write `.cruft.json` (test above).
    """
    from cruft._commands.utils.cookiecutter import generate_cookiecutter_context

    template = tmp_path / "template"
    shutil.copytree(PROJECT_TEMPLATE.parent / "hooks", template / "hooks")
    shutil.copy(PROJECT_TEMPLATE.parent / "cookiecutter.json", template / "cookiecutter.json")
    (template / "{{cookiecutter.project_slug}}").mkdir()
    git_dir(template, SHA)
    context = generate_cookiecutter_context(str(template), SHA, template, no_input=True)
    answers = {**context["cookiecutter"], "_repo_dir": str(template)}
    assert answers["_commit"] == SHA
    project = tmp_path / "project"
    project.mkdir()
    assert post_gen.main(answers, project) == 0
    assert list(project.iterdir()) == []
    assert capsys.readouterr().out == ""
