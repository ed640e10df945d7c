"""compose.yaml: the compose-spec schema, and the stack it starts (app, MinIO, bucket job,
PostgreSQL and its one-shot migration, Redis and the job worker)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .common import BIN, RENDERS, answers_of, load_yaml, run


@pytest.mark.parametrize("name", RENDERS)
def test_compose_matches_the_compose_spec(projects: dict[str, Path], name: str) -> None:
    compose = projects[name] / "compose.yaml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_check_can_fail(projects: dict[str, Path], tmp_path: Path) -> None:
    spec = load_yaml(projects["defaults"] / "compose.yaml")
    spec["services"]["app"]["depends_on"]["minio"]["condition"] = "service_ready"
    bad = tmp_path / "compose.yaml"
    bad.write_text(yaml.safe_dump(spec))
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", bad)
    assert result.returncode != 0


@pytest.mark.parametrize("name", RENDERS)
def test_compose_stack(projects: dict[str, Path], name: str) -> None:
    answers = answers_of(name)
    project = projects[name]
    prefix = project.name.replace("-", "_").upper() + "_"
    services = load_yaml(project / "compose.yaml")["services"]
    app = services["app"]
    assert app["build"] == "."
    assert app["read_only"] is True
    assert app["tmpfs"] == ["/tmp"]
    assert all(key.startswith(prefix) for key in app["environment"]), "settings via env vars"
    for service in services.values():
        if "build" not in service:
            # Pinned: MinIO's release tags, PostgreSQL's and Redis' minor version, Jaeger's
            # patch version.
            tag = r":(RELEASE\.[0-9TZ-]+|\d+\.\d+-alpine|\d+\.\d+\.\d+)$"
            assert re.search(tag, service["image"]), service["image"]
        else:
            assert service["image"] == app["image"], "one image for the service and its jobs"
    if answers["with_server"]:
        assert app["ports"] == ["127.0.0.1:${APP_PORT:-8080}:8080"], "published on loopback only"
        assert "/health" in " ".join(app["healthcheck"]["test"])
        assert app["environment"][f"{prefix}SERVER__HOST"] == "0.0.0.0"
    else:
        assert "ports" not in app
        assert "healthcheck" not in app
    database = answers["with_database"]
    expected = {"app"} | ({"minio", "minio-bucket"} if answers["with_s3"] else set())
    expected |= {"postgres", "migrate"} if database else set()
    expected |= {"jaeger"} if answers["with_otel"] else set()
    assert set(services) == expected | ({"redis", "worker"} if answers["with_jobs"] else set())
    if answers["with_otel"]:
        assert app["environment"][f"{prefix}TELEMETRY__ENDPOINT"] == "http://jaeger:4318"
        assert services["jaeger"]["ports"] == ["127.0.0.1:${JAEGER_UI_PORT:-16686}:16686"]
    if database:
        check_database_services(services, prefix)
    if answers["with_jobs"]:
        check_job_services(services, prefix)
    else:
        assert "redis" not in (project / "compose.yaml").read_text().lower()
        assert not any("JOBS__" in key for key in app["environment"])
    if answers["with_s3"]:
        assert {
            "minio": {"condition": "service_healthy"},
            "minio-bucket": {"condition": "service_completed_successfully"},
        }.items() <= app["depends_on"].items()
        assert services["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
        bucket = services["minio-bucket"]
        assert bucket["depends_on"] == {"minio": {"condition": "service_healthy"}}
        assert bucket["restart"] == "no", "a one-shot job"
        assert "mc mb --ignore-existing" in bucket["command"][0]
        s3_keys = {key for key in app["environment"] if key.startswith(f"{prefix}S3__")}
        assert s3_keys == {
            f"{prefix}S3__{key}"
            for key in (
                "ENABLED",
                "ENDPOINT_URL",
                "ADDRESSING_STYLE",
                "REGION",
                "BUCKET",
                "ACCESS_KEY_ID",
                "SECRET_ACCESS_KEY",
            )
        }
        assert app["environment"][f"{prefix}S3__ENDPOINT_URL"] == "http://minio:9000"
        assert app["environment"][f"{prefix}S3__ADDRESSING_STYLE"] == "path", "MinIO needs it"
    else:
        assert "minio" not in (project / "compose.yaml").read_text().lower()
    if not database:
        assert "postgres" not in (project / "compose.yaml").read_text().lower()


def check_database_services(services: dict[str, Any], prefix: str) -> None:
    """PostgreSQL healthy with its data in a volume, then `db upgrade` once, then the app."""
    app, migrate, postgres = services["app"], services["migrate"], services["postgres"]
    assert {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }.items() <= app["depends_on"].items()
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert postgres["ports"] == ["127.0.0.1:5432:5432"], "published on loopback only"
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no", "a one-shot job"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["read_only"] is True
    url = app["environment"][f"{prefix}DATABASE__URL"]
    assert url == migrate["environment"][f"{prefix}DATABASE__URL"], "the same database"
    user = postgres["environment"]["POSTGRES_USER"]
    name = postgres["environment"]["POSTGRES_DB"]
    password = postgres["environment"]["POSTGRES_PASSWORD"]
    assert url == f"postgresql+asyncpg://{user}:{password}@postgres:5432/{name}"


def check_job_services(services: dict[str, Any], prefix: str) -> None:
    """Redis healthy (kept in a volume, not published), the app and the worker on its URL."""
    app, worker, redis = services["app"], services["worker"], services["redis"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "ports" not in redis, "only the app and the worker talk to it"
    assert "redis-data:/data" in redis["volumes"]
    assert app["environment"][f"{prefix}JOBS__BROKER"] == "redis"
    assert app["environment"][f"{prefix}JOBS__REDIS_URL"] == "redis://redis:6379/0"
    assert worker["command"] == ["worker"]
    assert worker["environment"] == app["environment"], "it runs the service's jobs"
    assert worker["depends_on"] == app["depends_on"]
    assert app["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["read_only"] is True
    assert worker["tmpfs"] == ["/tmp"]
    assert worker.get("volumes", []) == app.get("volumes", []), "the same objects directory"
    assert "ports" not in worker
    # SIGTERM drains running jobs for jobs.drain_seconds (20 s) before the SIGKILL.
    assert int(worker["stop_grace_period"].removesuffix("s")) > 20
