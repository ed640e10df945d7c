"""The objects API on {{ "each backend: the same tests on a local directory and on moto's S3" if cookiecutter.with_files and cookiecutter.with_s3 else "a local directory" if cookiecutter.with_files else "moto's S3 server" }}."""

import asyncio
{%- if cookiecutter.with_database %}
import shutil
{%- endif %}
from collections.abc import AsyncIterator, Awaitable, Callable
{%- if cookiecutter.with_database %}
from concurrent.futures import ThreadPoolExecutor
{%- endif %}
from contextlib import asynccontextmanager
from dataclasses import dataclass
{%- if cookiecutter.with_files or cookiecutter.with_database %}
from pathlib import Path
{%- endif %}
from typing import Any

import httpx
import pytest
{%- if cookiecutter.with_s3 %}
from types_aiobotocore_s3 import S3Client as BotoS3Client
{%- endif %}

{% if cookiecutter.with_database -%}
from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
{% endif -%}
{% if cookiecutter.with_s3 -%}
from {{ cookiecutter.package_name }}.features.s3 import S3Settings
{% endif -%}
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

MIB = 1024 * 1024
{%- if cookiecutter.with_s3 %}
# S3's smallest part, so uploads above 5 MiB go up in parts here.
PART = 5 * MIB
{%- endif %}
BACKENDS = [{{ ((['"local"'] if cookiecutter.with_files else []) + (['"s3"'] if cookiecutter.with_s3 else [])) | join(", ") }}]

Leftovers = Callable[[], Awaitable[list[str]]]


@dataclass
class Backend:
    """One storage backend: the settings that select it and a way to see what it holds."""

    name: str
    # Plain data: Settings.model_validate(config), or a YAML file for a server process.
    config: dict[str, Any]
    # Everything stored, partial or not: objects, files, pending multipart uploads.
    leftovers: Leftovers

    def settings(self, **overrides: Any) -> Settings:
        """The backend's settings with extra sections, e.g. settings(server={...})."""
        return Settings.model_validate({**self.config, **overrides})


def api_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What every backend's settings share: the sections the objects API uses besides storage."""
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    config: dict[str, Any] = {
        # The import source runs on 127.0.0.1: allow exactly that, nothing else private.
        # One attempt: tests of failing sources need no retries.
        "download": {"allowed_networks": ["127.0.0.1/32"], "max_attempts": 1},
    }
{%- else %}
    config: dict[str, Any] = {}
{%- endif %}
{%- if cookiecutter.with_database %}
    # The object index, in an SQLite file of this test's own.
    config["database"] = index_database(request)
{%- endif %}
    return config


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest{{ ", tmp_path: Path" if cookiecutter.with_files }}) -> Backend:
    config = api_config(request)
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}
    if request.param == "local":
        return local_backend(config, tmp_path / "store")
    return s3_backend(config, request)
{%- elif cookiecutter.with_files %}
    return local_backend(config, tmp_path / "store")
{%- else %}
    return s3_backend(config, request)
{%- endif %}
{%- if cookiecutter.with_files %}


def local_backend(config: dict[str, Any], root: Path) -> Backend:
    def files() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    async def leftovers() -> list[str]:
        return await asyncio.to_thread(files)

    storage: dict[str, Any] = {{ '{"backend": "local", "root": str(root)}' if cookiecutter.with_s3 else '{"root": str(root)}' }}
    return Backend("local", {**config, "storage": storage}, leftovers)
{%- endif %}
{%- if cookiecutter.with_s3 %}


def s3_backend(config: dict[str, Any], request: pytest.FixtureRequest) -> Backend:
    """A fresh moto bucket (the shared fixtures), with 5 MiB parts."""
    s3_settings: S3Settings = request.getfixturevalue("s3_settings")
    raw_s3: BotoS3Client = request.getfixturevalue("raw_s3")
    bucket = s3_settings.bucket
    s3 = s3_settings.model_dump(mode="json")
    # The dump redacts secrets; these are the fixture's (moto takes any).
    s3.update(access_key_id="testing", secret_access_key="testing")
    s3.update(multipart_threshold=PART, multipart_part_size=PART)

    async def leftovers() -> list[str]:
        listing, uploads = await asyncio.gather(
            raw_s3.list_objects_v2(Bucket=bucket), raw_s3.list_multipart_uploads(Bucket=bucket)
        )
        return sorted(
            [item["Key"] for item in listing.get("Contents", [])]
            + [f"upload:{item['Key']}" for item in uploads.get("Uploads", [])]
        )

    storage: dict[str, Any] = {{ '{"backend": "s3"}' if cookiecutter.with_files else '{}' }}
    return Backend("s3", {**config, "s3": s3, "storage": storage}, leftovers)
{%- endif %}

{%- if cookiecutter.with_database %}


@pytest.fixture(scope="session")
def migrated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the newest revision, made once: each test gets a copy."""
    path = tmp_path_factory.mktemp("index") / "migrated.db"
    section = DatabaseSettings.model_validate({"url": f"sqlite+aiosqlite:///{path}"})
    # A loop of its own, in a thread: a session fixture may run while a test's loop does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate.upgrade(section)).result()
    return path


def index_database(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The `database` section: a copy of the migrated file in the test's directory."""
    tmp_path: Path = request.getfixturevalue("tmp_path")
    path = tmp_path / "index.db"
    shutil.copyfile(request.getfixturevalue("migrated_index"), path)
    return {"url": f"sqlite+aiosqlite:///{path}"}
{%- endif %}


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, driven in-process through ASGITransport."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def api(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(backend.settings()) as client:
        yield client


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["request_id"] == response.headers["x-request-id"]
