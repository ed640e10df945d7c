"""Reports as the ingest endpoint receives them: once, tagged, scrubbed, only while open."""

import asyncio
import logging
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from {{ cookiecutter.package_name }} import DISTRIBUTION, __version__
from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.context import correlation_source, request_id_var
from {{ cookiecutter.package_name }}.features.error_reporting import (
    ErrorReportingFeature,
    SentrySettings,
)
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.service import Settings

from .ingest import Ingest

logger = logging.getLogger("{{ cookiecutter.package_name }}.tests")
# Credentials an error message carries (constants: the report holds the source lines around
# each frame, and real credentials are not in the source).
QUERY_TOKEN = "query-token-1"
QUERY_KEY = "query-key-2"
HEADER_TOKEN = "header-token-3"
TRACE = {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}


@asynccontextmanager
async def reporting(settings: Settings) -> AsyncIterator[None]:
    """Only this feature open, as the service opens it (first, with the whole settings)."""
    async with AsyncExitStack() as stack:
        await ErrorReportingFeature.open(settings, Resources(), stack)
        yield


def log_error(message: str, *args: object) -> None:
    try:
        raise RuntimeError(message % args)
    except RuntimeError:
        logger.exception(message, *args)


def configured(ingest: Ingest, **sentry: object) -> Settings:
    return Settings(sentry=SentrySettings.model_validate({"dsn": ingest.dsn, **sentry}))


async def test_a_logged_error_is_reported_once_with_its_ids(ingest: Ingest) -> None:
    token = request_id_var.set("req-42")
    try:
        async with reporting(configured(ingest, environment="staging")):
            with correlation_source(lambda: TRACE):
                log_error("failed to %s", "sync")
            logger.warning("a warning is no report")
    finally:
        request_id_var.reset(token)
    assert len(ingest.events) == 1
    event = ingest.events[0]
    assert event["release"] == f"{DISTRIBUTION}@{__version__}"
    assert event["environment"] == "staging"
    assert event["tags"]["request_id"] == "req-42"
    assert event["tags"]["trace_id"] == TRACE["trace_id"]
    assert event["tags"]["span_id"] == TRACE["span_id"]
    assert "route" not in event["tags"], "no request is served here"
    assert event["exception"]["values"][-1]["value"] == "failed to sync"


async def test_credentials_never_leave_the_process(ingest: Ingest) -> None:
    settings = configured(ingest)
    async with reporting(settings):
        log_error(
            "GET https://api.example.com/x?access_token=%s&api_key=%s&page=2 with %s",
            QUERY_TOKEN,
            QUERY_KEY,
            ingest.dsn,
        )
        logger.error("upstream said %s", f"Authorization: Bearer {HEADER_TOKEN}")
    assert len(ingest.events) == 2
    raw = ingest.raw()
    for secret in (QUERY_TOKEN, QUERY_KEY, ingest.dsn, HEADER_TOKEN):
        assert secret not in raw
    assert "page=2" in raw, "what is not a credential stays"


async def test_each_open_reports_and_a_closed_one_does_not(ingest: Ingest) -> None:
    for round_ in range(2):
        async with reporting(configured(ingest, release=f"r{round_}")):
            log_error("round %s", round_)
    log_error("after the close")
    assert [event["release"] for event in ingest.events] == ["r0", "r1"]


async def test_unconfigured_means_not_even_imported(ingest: Ingest, tmp_path: Path) -> None:
    """Started without a DSN (the SDK's own SENTRY_DSN set, to be sure it is not read), a
    service logs an error: no report, and sentry_sdk was never imported."""
    script = textwrap.dedent(
        """
        import asyncio, logging, sys
        from {{ cookiecutter.package_name }}.resources import open_resources
        from {{ cookiecutter.package_name }}.service import Settings
{%- if cookiecutter.with_server %}
        import httpx
        from {{ cookiecutter.package_name }}.server import create_app
{%- endif %}

        async def main() -> None:
            settings = Settings.load()
            async with open_resources(settings):
                logging.getLogger("{{ cookiecutter.package_name }}").error("boom")
{%- if cookiecutter.with_server %}
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                    assert (await c.get("/health")).status_code == 200
{%- endif %}

        asyncio.run(main())
        assert "sentry_sdk" not in sys.modules, "imported without a DSN"
        print("not imported")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env["SENTRY_DSN"] = ingest.dsn
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert b"not imported" in output
    assert ingest.events == []
