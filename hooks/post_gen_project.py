"""Trim the features the user declined, driven by ONE declarative manifest.

The hook only deletes files and directories inside the generated project (and, under plain
cookiecutter only, writes `.cruft.json`, or prints how to link the project later when the
template is no git checkout at an absolute path, then prints the next steps). It runs no
commands, uses no network, clock, randomness or environment, so `cruft update` can re-run it
on two temporary renders and get byte-identical trees.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Feature:
    """A feature is kept when its answer equals `value` and every requirement group holds.

    `requires` is a tuple of groups; a group holds when at least one of its answers is on.
    A `derived` part has no prompt of its own (`answer` is just its name): it is kept exactly
    when its requirements hold, e.g. the download client needs both HTTP client and files.
    `paths` are relative to the project root; `{package}` is the import package name.
    """

    answer: str
    paths: tuple[str, ...]
    value: object = True
    requires: tuple[tuple[str, ...], ...] = ()
    derived: bool = False


# Order matters: a feature's requirements come before it.
MANIFEST: tuple[Feature, ...] = (
    Feature(
        answer="with_server",
        paths=(
            "src/{package}/server",
            "src/{package}/features/server.py",
            "tests/server",
            "docs/guides/add-an-endpoint.md",
        ),
    ),
    Feature(
        answer="with_http_client",
        paths=(
            "src/{package}/clients",
            "src/{package}/features/http_client.py",
            "tests/clients",
        ),
    ),
    Feature(
        answer="with_files",
        paths=(
            "src/{package}/files",
            "tests/files",
            "src/{package}/storage/local.py",
            "src/{package}/storage/_local_blocking.py",
            "tests/storage/test_local.py",
        ),
    ),
    Feature(
        answer="with_s3",
        paths=(
            "src/{package}/storage/s3_client.py",
            "src/{package}/features/s3.py",
            "src/{package}/storage/s3_storage.py",
            "src/{package}/storage/_multipart.py",
            "src/{package}/storage/_translate.py",
            "src/{package}/storage/upload_budget.py",
            "tests/storage/test_s3.py",
            "tests/storage/test_multipart.py",
            "tests/storage/test_settings.py",
            "tests/storage/test_upload_budget.py",
            "tests/server/test_ready_s3.py",
        ),
    ),
    # What files/ and storage/ share: one rule for relative paths (keys too), one chunk size,
    # one size limit, one atomic write. S3 needs them without files/: either feature keeps them.
    Feature(
        answer="transfer",
        derived=True,
        requires=(("with_files", "with_s3"),),
        paths=(
            "src/{package}/relative_paths.py",
            "src/{package}/transfer.py",
            "tests/test_relative_paths.py",
            "tests/test_transfer.py",
        ),
    ),
    # The Storage protocol and what both backends share.
    Feature(
        answer="storage",
        derived=True,
        requires=(("with_files", "with_s3"),),
        paths=(
            "src/{package}/storage",
            "tests/storage",
        ),
    ),
    Feature(
        answer="download_client",
        derived=True,
        requires=(("with_http_client",), ("with_files",)),
        paths=(
            "src/{package}/clients/download.py",
            "src/{package}/features/download.py",
            "src/{package}/clients/sources.py",
            "tests/clients/test_download.py",
        ),
    ),
    # s3:// downloads: the service's own bucket as a DownloadClient source.
    Feature(
        answer="download_s3_source",
        derived=True,
        requires=(("download_client",), ("with_s3",)),
        paths=(
            "src/{package}/clients/s3_source.py",
            "tests/clients/test_s3_source.py",
        ),
    ),
    Feature(
        answer="with_example_api",
        requires=(("with_server",), ("with_files", "with_s3")),
        paths=(
            "src/{package}/api",
            "src/{package}/features/objects.py",
            "tests/api",
        ),
    ),
    # POST /api/v1/objects/import fetches through the DownloadClient.
    Feature(
        answer="object_import",
        derived=True,
        requires=(("with_example_api",), ("download_client",)),
        paths=(
            "src/{package}/api/imports.py",
            "src/{package}/features/object_import.py",
            "tests/api/source_server.py",
            "tests/api/test_import.py",
        ),
    ),
    Feature(
        answer="with_metrics",
        requires=(("with_server",),),
        paths=(
            "src/{package}/server/metrics.py",
            "src/{package}/features/metrics.py",
            "tests/server/test_metrics.py",
        ),
    ),
    Feature(
        answer="with_database",
        paths=(
            "src/{package}/db",
            "src/{package}/features/database.py",
            "tests/db",
            "docs/guides/add-a-table.md",
        ),
    ),
    # The session dependency for route handlers, and its test, need FastAPI.
    Feature(
        answer="database_web",
        derived=True,
        requires=(("with_database",), ("with_server",)),
        paths=(
            "src/{package}/db/dependencies.py",
            "src/{package}/db/errors.py",
            "src/{package}/db/failures.py",
            "src/{package}/features/database_web.py",
            "tests/db/test_dependencies.py",
            "tests/db/test_faults.py",
            "tests/db/test_ready.py",
        ),
    ),
    # The objects API's index table: its model, migration, storage layer and tests.
    Feature(
        answer="object_index",
        derived=True,
        requires=(("with_example_api",), ("with_database",)),
        paths=(
            "src/{package}/db/models/objects.py",
            "src/{package}/db/object_index.py",
            "src/{package}/db/migrations/versions/rev_0002_object_index.py",
            "src/{package}/features/object_index.py",
            "tests/db/test_object_index.py",
            "tests/api/test_object_index.py",
        ),
    ),
    # Background jobs: handlers, the job store, the queue (taskiq) and the `worker` command.
    Feature(
        answer="with_jobs",
        paths=(
            "src/{package}/jobs",
            "src/{package}/features/jobs.py",
            "tests/jobs",
            "docs/guides/add-a-job.md",
            "docs/guides/receive-job-callbacks.md",
        ),
    ),
    # GET /api/v1/jobs/{id} needs FastAPI.
    Feature(
        answer="jobs_web",
        derived=True,
        requires=(("with_jobs",), ("with_server",)),
        paths=(
            "src/{package}/jobs/web.py",
            "src/{package}/jobs/respond_async.py",
            "src/{package}/features/jobs_web.py",
            "tests/jobs/test_respond_async.py",
            "tests/jobs/test_web.py",
        ),
    ),
    # POST /api/v1/objects/import with `Prefer: respond-async`: the import as a job.
    Feature(
        answer="object_import_job",
        derived=True,
        requires=(("object_import",), ("with_jobs",)),
        paths=(
            "src/{package}/api/import_job.py",
            "tests/api/test_import_job.py",
        ),
    ),
    # Signed callbacks go out through BaseClient and the SSRF guard (clients/address_policy.py).
    Feature(
        answer="job_callbacks",
        derived=True,
        requires=(("with_jobs",), ("with_http_client",)),
        paths=(
            "src/{package}/jobs/callbacks.py",
            "src/{package}/features/job_callbacks.py",
            "tests/jobs/test_callbacks.py",
        ),
    ),
    # Job state in the service's database: the `jobs` table, its migration and the store.
    Feature(
        answer="job_store_db",
        derived=True,
        requires=(("with_jobs",), ("with_database",)),
        paths=(
            "src/{package}/jobs/db_store.py",
            "src/{package}/features/job_store_db.py",
            "src/{package}/db/models/jobs.py",
            "src/{package}/db/migrations/versions/rev_0003_jobs.py",
            "tests/db/test_job_store.py",
        ),
    ),
    # The SSRF guard: for downloads and for job callbacks, only where one of them is.
    Feature(
        answer="address_policy",
        derived=True,
        requires=(("download_client", "job_callbacks"),),
        paths=("src/{package}/clients/address_policy.py",),
    ),
    # The column types the tables share: only where there is a table.
    Feature(
        answer="db_columns",
        derived=True,
        requires=(("object_index", "job_store_db"),),
        paths=("src/{package}/db/columns.py",),
    ),
    # Tracing (OpenTelemetry): the tracer provider and its OTLP exporter, inert until configured.
    Feature(
        answer="with_otel",
        paths=(
            "src/{package}/telemetry",
            "src/{package}/features/telemetry.py",
            "tests/telemetry",
        ),
    ),
    # Each traced part is a module of its own, kept with tracing and the part it traces.
    Feature(
        answer="telemetry_web",
        derived=True,
        requires=(("with_otel",), ("with_server",)),
        paths=(
            "src/{package}/telemetry/asgi.py",
            "src/{package}/features/telemetry_web.py",
            "tests/telemetry/test_server_spans.py",
        ),
    ),
    Feature(
        answer="http_client_tracing",
        derived=True,
        requires=(("with_otel",), ("with_http_client",)),
        paths=(
            "src/{package}/features/http_client_tracing.py",
            "tests/telemetry/test_client_spans.py",
        ),
    ),
    Feature(
        answer="s3_tracing",
        derived=True,
        requires=(("with_otel",), ("with_s3",)),
        paths=(
            "src/{package}/telemetry/s3.py",
            "src/{package}/features/s3_tracing.py",
            "tests/telemetry/test_s3_spans.py",
        ),
    ),
    Feature(
        answer="database_tracing",
        derived=True,
        requires=(("with_otel",), ("with_database",)),
        paths=(
            "src/{package}/features/database_tracing.py",
            "tests/telemetry/test_database_spans.py",
        ),
    ),
    Feature(
        answer="jobs_tracing",
        derived=True,
        requires=(("with_otel",), ("with_jobs",)),
        paths=(
            "src/{package}/telemetry/jobs.py",
            "src/{package}/features/jobs_tracing.py",
            "tests/jobs/test_job_spans.py",
        ),
    ),
    # One request followed through every hop (server, download, S3, database): an import.
    Feature(
        answer="telemetry_one_trace",
        derived=True,
        requires=(("with_otel",), ("object_import",), ("object_index",), ("with_s3",)),
        paths=("tests/telemetry/test_one_trace.py",),
    ),
    # ... and as a job: the queued job and its run join the request's trace.
    Feature(
        answer="telemetry_one_trace_job",
        derived=True,
        requires=(("telemetry_one_trace",), ("object_import_job",)),
        paths=("tests/telemetry/test_one_trace_job.py",),
    ),
    # Error reports (Sentry): unhandled server and job errors, scrubbed, inert until a DSN is set.
    Feature(
        answer="with_sentry",
        paths=(
            "src/{package}/error_reporting",
            "src/{package}/features/error_reporting.py",
            "tests/error_reporting",
        ),
    ),
    # The request's route and details in a report need the server; a failed job needs jobs.
    Feature(
        answer="error_reporting_web",
        derived=True,
        requires=(("with_sentry",), ("with_server",)),
        paths=(
            "src/{package}/error_reporting/asgi.py",
            "src/{package}/features/error_reporting_web.py",
            "tests/error_reporting/test_server_errors.py",
        ),
    ),
    Feature(
        answer="error_reporting_jobs",
        derived=True,
        requires=(("with_sentry",), ("with_jobs",)),
        paths=("tests/error_reporting/test_job_errors.py",),
    ),
    Feature(
        answer="observability_guide",
        derived=True,
        requires=(("with_otel", "with_sentry"),),
        paths=("docs/guides/observability.md",),
    ),
    # A CLI-only image is kept (no EXPOSE or HEALTHCHECK); compose.yaml then runs a command.
    Feature(
        answer="with_docker",
        paths=(
            "Dockerfile",
            ".dockerignore",
            "compose.yaml",
        ),
    ),
    # The manifests run the HTTP server and probe /health and /ready.
    Feature(
        answer="with_kubernetes",
        requires=(("with_server",),),
        paths=(
            "deploy/k8s",
            "docs/guides/deploy-to-kubernetes.md",
        ),
    ),
    # The migration Job: `db upgrade` once per release, before the new pods become ready.
    Feature(
        answer="kubernetes_database",
        derived=True,
        requires=(("with_kubernetes",), ("with_database",)),
        paths=("deploy/k8s/migrate-job.yaml",),
    ),
    # The worker Deployment (with its own HPA and PDB) that runs the jobs off the Redis broker.
    Feature(
        answer="kubernetes_jobs",
        derived=True,
        requires=(("with_kubernetes",), ("with_jobs",)),
        paths=(
            "deploy/k8s/worker-deployment.yaml",
            "deploy/k8s/worker-hpa.yaml",
            "deploy/k8s/worker-pdb.yaml",
        ),
    ),
    Feature(
        answer="ci",
        value="github",
        paths=(".github",),
    ),
    # The release workflow builds and pushes the image from the Dockerfile.
    Feature(
        answer="release_workflow",
        derived=True,
        requires=(("ci",), ("with_docker",)),
        paths=(".github/workflows/release.yml",),
    ),
    # Shared test helpers: kept while ANY feature whose tests use them is kept (one group of
    # alternatives). `unused_port` serves the server, S3 (moto), client, database and jobs tests.
    Feature(
        answer="test_ports",
        derived=True,
        requires=(("with_server", "with_s3", "with_http_client", "with_database", "with_jobs"),),
        paths=("tests/ports.py",),
    ),
    # A TCP relay a test can cut: S3 (moto) and PostgreSQL going down mid-request (the
    # database's fault tests go through the server).
    Feature(
        answer="test_relay",
        derived=True,
        requires=(("with_s3", "database_web"),),
        paths=("tests/relay.py",),
    ),
)

# Everything else under the project template is core: always kept, whatever the answers.
# Together with MANIFEST this names every file of the project template (a test checks it);
# a directory here means all of its files. A new file must be added here or to a feature.
CORE: tuple[str, ...] = (
    ".gitignore",
    ".pre-commit-config.yaml",
    "LICENSE",
    "Makefile",
    "README.md",
    "config.example.yaml",
    "pyproject.toml",
    "docs/async-everywhere.md",
    "docs/guides/add-a-feature.md",
    "docs/guides/add-a-setting.md",
    "docs/guides/add-an-upstream-client.md",
    "scripts/update_template.py",
    "src/{package}/__init__.py",
    "src/{package}/__main__.py",
    "src/{package}/cli.py",
    "src/{package}/commands.py",
    "src/{package}/config.py",
    "src/{package}/context.py",
    "src/{package}/features/__init__.py",
    "src/{package}/logging.py",
    "src/{package}/py.typed",
    "src/{package}/resources.py",
    "src/{package}/service.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_cli.py",
    "tests/test_config.py",
    "tests/test_features.py",
    "tests/test_logging.py",
)


@dataclass(frozen=True)
class Plan:
    remove: tuple[str, ...]
    notes: tuple[str, ...]


def unmet(feature: Feature, kept: Mapping[str, bool], answers: Mapping[str, Any]) -> list[str]:
    """Requirement groups of `feature` that no kept feature (or plain yes answer) satisfies."""

    def is_on(name: str) -> bool:
        return kept.get(name, answers.get(name) is True)

    return [" or ".join(group) for group in feature.requires if not any(map(is_on, group))]


def resolve(answers: Mapping[str, Any]) -> dict[str, bool]:
    """Return which features are kept, after applying their requirements."""
    kept: dict[str, bool] = {}
    for feature in MANIFEST:
        wanted = feature.derived or answers.get(feature.answer) == feature.value
        kept[feature.answer] = wanted and not unmet(feature, kept, answers)
    return kept


def make_plan(answers: Mapping[str, Any]) -> Plan:
    """Pure: list the paths to delete and one note per feature trimmed for a missing requirement."""
    kept = resolve(answers)
    package = str(answers["package_name"])
    remove: list[str] = []
    notes: list[str] = []
    for feature in MANIFEST:
        if kept[feature.answer]:
            continue
        if not feature.derived and answers.get(feature.answer) == feature.value:
            missing = " and ".join(unmet(feature, kept, answers))
            notes.append(f"{feature.answer}: trimmed because it needs {missing}")
        for pattern in feature.paths:
            path = pattern.format(package=package)
            # Skip paths inside a directory that is already going away, and forget earlier
            # paths inside this one: deleting the directory deletes them.
            if not any(path == done or path.startswith(done + "/") for done in remove):
                remove = [done for done in remove if not done.startswith(path + "/")]
                remove.append(path)
    return Plan(remove=tuple(remove), notes=tuple(notes))


def delete(root: Path, relative_paths: Sequence[str]) -> None:
    """Delete each path (file or directory); a missing path means the manifest is stale."""
    for relative in relative_paths:
        target = root / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        else:
            raise FileNotFoundError(f"manifest path not in the rendered project: {relative}")
        prune_empty_parents(root, target.parent)


def prune_empty_parents(root: Path, directory: Path) -> None:
    """Remove directories left empty by a deletion, up to (not including) the project root."""
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


# cookiecutter's repository abbreviations; cruft needs a URL that git can clone.
ABBREVIATIONS = (
    ("gh:", "https://github.com/"),
    ("gl:", "https://gitlab.com/"),
    ("bb:", "https://bitbucket.org/"),
)
SHA_RE = re.compile(r"[0-9a-f]{40}")


def cruft_state(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `.cruft.json` that `cruft create` would have written, or None.

    Only for plain cookiecutter: cruft passes `_commit` (and writes the file itself), while
    cookiecutter passes `_repo_dir`. The commit is read from the template checkout's git files;
    without it (a zip download, a relative local path) `cruft update` could not work anyway.
    """
    if under_cruft(answers) or "_repo_dir" not in answers:
        return None
    template = str(answers.get("_template", ""))
    for short, url in ABBREVIATIONS:
        if template.startswith(short):
            template = url + template[len(short) :]
    repo_dir = Path(str(answers["_repo_dir"]))
    if not repo_dir.is_absolute():
        return None
    if not re.match(r"^[a-z][a-z0-9+.-]*://|^git@", template):
        template = str(repo_dir)
    commit = head_commit(repo_dir)
    if commit is None:
        return None
    context = {k: v for k, v in answers.items() if not k.startswith("_") or k == "__prompts__"}
    context.update(_template=template, _commit=commit)
    return {
        "template": template,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }


def head_commit(repo_dir: Path) -> str | None:
    """The commit checked out in `repo_dir`, read from git's files (no git command runs)."""
    git = repo_dir / ".git"
    if git.is_file():  # a worktree or submodule: "gitdir: <path>"
        git = (repo_dir / git.read_text().removeprefix("gitdir:").strip()).resolve()
    try:
        head = (git / "HEAD").read_text().strip()
    except OSError:
        return None
    if SHA_RE.fullmatch(head):
        return head
    ref = head.removeprefix("ref:").strip()
    common = git
    if (git / "commondir").is_file():
        common = (git / (git / "commondir").read_text().strip()).resolve()
    for base in (git, common):
        if (base / ref).is_file():
            return (base / ref).read_text().strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and SHA_RE.fullmatch(sha):
                return sha
    return None


LINK_NOTE = (
    "note: no .cruft.json written (the template path is relative or not a git checkout); "
    "link this project to its template later with `cruft link <template-url>`"
)


def under_cruft(answers: Mapping[str, Any]) -> bool:
    """cruft passes `_commit` and writes `.cruft.json` itself; plain cookiecutter does not."""
    return "_commit" in answers


def next_steps(answers: Mapping[str, Any], linked: bool) -> str:
    """What to type after rendering: printed only, the same text for the same answers."""
    served = answers.get("with_server")
    run = "serves the API on http://127.0.0.1:8080" if served else "runs the CLI"
    if linked:
        update = "make update-template  # later: pull template improvements (see .cruft.json)"
    else:
        update = "cruft link <template-url>  # once, to get template updates later"
    return "\n".join(
        (
            "next steps:",
            f"  cd {answers['project_slug']}",
            f"  make run   # installs everything on first use, then {run}",
            "  make test  # the test suite; `make help` lists every target",
            f"  {update}",
        )
    )


def main(answers: Mapping[str, Any], root: Path) -> int:
    plan = make_plan(answers)
    for note in plan.notes:
        print(note)
    delete(root, plan.remove)
    if under_cruft(answers):
        # cruft also runs this hook on the temporary renders of `cruft update`: print nothing.
        return 0
    state = cruft_state(answers)
    if state is not None:
        # Same layout as cruft's own file, so `cruft update` works on this project later.
        text = json.dumps(state, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"
        (root / ".cruft.json").write_text(text, encoding="utf-8")
    elif "_repo_dir" in answers:
        print(LINK_NOTE)
    print(next_steps(answers, linked=state is not None))
    return 0


if __name__ == "__main__":
    # Cookiecutter runs post-gen hooks with the generated project as the working directory.
    # tojson escapes ' as \u0027, so no answer can close this raw string.
    sys.exit(main(json.loads(r'''{{ cookiecutter | tojson }}'''), Path.cwd()))  # fmt: skip
