"""The Sentry client of the service: started when it opens, flushed and removed when it closes."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import sentry_sdk
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from .events import enrich
from .scrub import Scrubber

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from sentry_sdk.client import BaseClient
    from sentry_sdk.types import Event, Hint

    from ..features.error_reporting import SentrySettings

# Seconds the close waits for queued reports to be sent (within a usual termination grace).
FLUSH_SECONDS = 2.0


@asynccontextmanager
async def reporting(
    settings: SentrySettings, release: str, secrets: Iterable[str]
) -> AsyncIterator[None]:
    """Report errors to `settings.dsn` while the block runs (one client per open, see below).

    The SDK's client is global to the process: the open that ran last reports (tests open
    several apps one after the other). Starting and closing run in a thread: the close waits
    for the network, and the start may too (the SDK inspects its environment).
    """
    client = await asyncio.to_thread(_start, settings, release, Scrubber(secrets))
    try:
        yield
    finally:
        await asyncio.to_thread(_stop, client)


def _start(settings: SentrySettings, release: str, scrub: Scrubber) -> BaseClient:
    assert settings.dsn is not None

    def before_send(event: Event, hint: Hint) -> Event | None:
        # Runs where the error was logged, so the request's context variables are there.
        scrubbed: Event = scrub(enrich(dict(event)))  # type: ignore[assignment]
        return scrubbed

    sentry_sdk.init(
        dsn=settings.dsn.get_secret_value(),
        release=release,
        environment=settings.environment,
        # None, not 0: no tracing at all, so no trace headers are added or propagated.
        traces_sample_rate=settings.traces_sample_rate or None,
        # Only what is listed: the defaults (excepthook, threading, stdlib http) and the
        # integrations the SDK enables when it finds a framework would report errors the
        # service already logs, a second time, and patch clients OpenTelemetry instruments.
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            # ERROR records become events: the 500 middleware and the job runner log every
            # unhandled error exactly once. No breadcrumbs (one process-wide scope would mix
            # the log lines of concurrent requests) and no Sentry logs (the logs go elsewhere).
            LoggingIntegration(level=None, event_level=logging.ERROR, breadcrumb_level=None),
            # An exception re-raised and logged again (a 500 after the response started) is
            # the same object: reported once.
            DedupeIntegration(),
        ],
        # What the SDK may collect by itself: no user data (IP address), no cookies, no
        # local variables of the frames (whatever a function held: tokens, headers, payloads).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "stack_frame_variables": False,
        },
        before_send=before_send,
        shutdown_timeout=FLUSH_SECONDS,
    )
    return sentry_sdk.get_client()


def _stop(client: BaseClient) -> None:
    client.close(timeout=FLUSH_SECONDS)
    # Another open may have installed its own client since: leave that one alone.
    if sentry_sdk.get_client() is client:
        sentry_sdk.get_global_scope().set_client(None)


__all__ = ["FLUSH_SECONDS", "reporting"]
