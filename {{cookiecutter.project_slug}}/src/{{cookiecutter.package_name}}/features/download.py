"""Downloads: the `download` section, the SSRF-guarded DownloadClient and the `download` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from pydantic import Field, IPvAnyNetwork

from ..commands import ConfigFile, settings_from
from ..config import Section
from ..resources import ResourceKey
from . import Feature
from .http_client import HTTP_TRACE_CONFIGS
{%- if cookiecutter.with_s3 %}
from .s3 import S3_CLIENT
{%- endif %}

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..clients.download import DownloadClient
    from ..clients.sources import Source
    from ..resources import Resources

# SSRF-guarded downloads (the import endpoint); a connection pool of their own.
DOWNLOADS: ResourceKey[DownloadClient] = ResourceKey("downloads")


class DownloadSettings(Section):
    """Limits of DownloadClient (the import endpoint and the `download` command)."""

    allowed_schemes: tuple[Literal["https", "http"{{ ', "s3"' if cookiecutter.with_s3 }}], ...] = ("https", "http"{{ ', "s3"' if cookiecutter.with_s3 }})
    # Private, loopback and link-local targets are refused unless allowed here (SSRF guard).
    allow_private_networks: bool = False
    allowed_networks: tuple[IPvAnyNetwork, ...] = ()
    # file:// sources are read only below these directories; none: file:// is refused.
    file_roots: tuple[str, ...] = ()
    max_bytes: int = Field(default=1024**3, ge=1)
    max_redirects: int = Field(default=5, ge=0, le=20)
    chunk_size: int = Field(default=1024 * 1024, ge=1024)
    connect_timeout: float = Field(default=10.0, gt=0)
    # Longest wait for the next bytes (also for the response to start); a download has no
    # total timeout, so a large file on a slow link can finish.
    read_timeout: float = Field(default=60.0, gt=0)
    # Attempts to start the download (1 = no retries), with full-jitter backoff in between.
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=10.0, ge=0)
    pool_size: int = Field(default=20, ge=1)


class DownloadFeature(Feature):
    """Opens the DownloadClient the service shares, and adds the `download` command."""

    download: DownloadSettings = DownloadSettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        from ..clients.download import DownloadClient

        # A pool of its own: every download connection goes through the SSRF guard.
        trace_configs = resources.find(HTTP_TRACE_CONFIGS) or ()
        session = DownloadClient.create_session(self.download, trace_configs)
        await stack.enter_async_context(session)
        sources: dict[str, Source] = {}
{%- if cookiecutter.with_s3 %}
        s3 = resources.find(S3_CLIENT)
        if s3 is not None:  # s3:// URLs of the service's own bucket, while S3 is on
            from ..clients.s3_source import S3Source

            sources["s3"] = S3Source(s3)
{%- endif %}
        client = DownloadClient(self.download, session=session, sources=sources)
        resources.provide(DOWNLOADS, client)

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        cli.command()(download)


def download(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="http(s)://, file://{{ ' or s3://' if cookiecutter.with_s3 }} source")],
    dest: Annotated[Path, typer.Argument(help="Target file, or a directory (source name kept)")],
    sha256: Annotated[str | None, typer.Option(help="Expected sha256 (hex) of the content")] = None,
    config: ConfigFile = None,
) -> None:
    """Download URL to DEST atomically, with a progress bar (limits from `download` settings)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from ..clients.download import DownloadClient, DownloadError
    from ..clients.errors import ClientError
    from ..files import FileError

    section = DownloadFeature.of(settings_from(ctx, config)).download
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("download", total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        async def run() -> tuple[Path, str, int]:
            async with DownloadClient(section) as client:
                target, written = await client.to_file(
                    url, dest, expected_sha256=sha256, progress=report
                )
            return target, written.sha256, written.size

        try:
            target, digest, size = asyncio.run(run())
        except (DownloadError, ClientError, FileError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc
    typer.echo(f"{target}  {size} bytes  sha256={digest}")


__all__ = ["DOWNLOADS", "DownloadFeature", "DownloadSettings", "download"]
