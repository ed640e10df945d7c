"""Shared resources the lifespan opens once and request handlers borrow."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
{%- if cookiecutter.with_http_client %}

import aiohttp
{%- endif %}

# Imported at runtime: FastAPI reads the annotation of get_resources to inject the request.
from starlette.requests import Request

{%- set example_api = cookiecutter.with_example_api and (cookiecutter.with_files or cookiecutter.with_s3) %}

if TYPE_CHECKING:
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    from ..clients.download import DownloadClient
{%- endif %}
    from ..config import Settings
{%- if cookiecutter.with_s3 and example_api %}
    from ..storage import S3Client, Storage
{%- elif cookiecutter.with_s3 %}
    from ..storage import S3Client
{%- elif example_api %}
    from ..storage import Storage
{%- endif %}

logger = logging.getLogger(__name__)

# A readiness check returns when its dependency is usable and raises when it is not.
ReadinessCheck = Callable[[], Awaitable[None]]


@dataclass
class Resources:
    settings: Settings
{%- if cookiecutter.with_http_client %}
    # The one connection pool for every outgoing HTTP client (BaseClient(session=...)).
    http_session: aiohttp.ClientSession
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    # SSRF-guarded downloads (import endpoint); it has a connection pool of its own.
    downloads: DownloadClient
{%- endif %}
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    shutting_down: bool = False
{%- if cookiecutter.with_s3 %}
    # Open while the app runs when `s3.enabled`; None otherwise.
    s3: S3Client | None = None
{%- endif %}
{%- if example_api %}
    # The objects API's backend (storage.backend){{ "; None while S3 is off" if not cookiecutter.with_files }}.
    storage: Storage | None = None
{%- endif %}

    def begin_shutdown(self) -> None:
        self.shutting_down = True
        logger.info("application stopping")


def get_resources(request: Request) -> Resources:
    """FastAPI dependency: the resources of the running app (set by the lifespan)."""
    resources: Resources = request.app.state.resources
    return resources


__all__ = ["ReadinessCheck", "Resources", "get_resources"]
