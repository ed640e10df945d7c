"""Command-line interface{{ ": `serve`, `version` and `config`" if cookiecutter.with_server else ": `version` and `config`" }}."""

{% if cookiecutter.with_server -%}
import signal
{% endif -%}
from dataclasses import dataclass
from pathlib import Path
{%- if cookiecutter.with_server %}
from types import FrameType
{%- endif %}
from typing import Annotated

import typer

from . import DISTRIBUTION, __version__
from .config import CONFIG_ENV_VAR, ConfigError, Settings, default_settings, load_settings, to_yaml
{%- if cookiecutter.with_server %}
from .logging import configure_logging, stop_logging
{%- endif %}

app = typer.Typer(
    name=DISTRIBUTION,
    help="{{ cookiecutter.project_slug }} command-line interface.",
    no_args_is_help=True,
    add_completion=False,
)


@dataclass(frozen=True)
class CliState:
    config_file: Path | None


@app.callback()
def options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar=CONFIG_ENV_VAR,
            dir_okay=False,
            help="YAML settings file (environment variables still override it).",
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(config_file=config)


def settings_from(ctx: typer.Context) -> Settings:
    """Load the settings once per command; a bad file or key ends the command with exit 2."""
    state: CliState = ctx.obj
    try:
        return load_settings(state.config_file)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
{%- if cookiecutter.with_server %}


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address [default: server.host]")] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Bind port [default: server.port]")
    ] = None,
) -> None:
    """Run the HTTP server (uvicorn, with uvloop and httptools when installed)."""
    # Imported here so `version` and `config` start without loading the web stack.
    import uvicorn

    from .server import create_app

    settings = settings_from(ctx)
    configure_logging(settings.logging)
    # uvicorn restores this handler after its graceful shutdown and raises SIGTERM again.
    previous = signal.signal(signal.SIGTERM, _write_logs_then_terminate)
    try:
        uvicorn.run(
            create_app(settings),
            host=host if host is not None else settings.server.host,
            port=port if port is not None else settings.server.port,
            # "auto" picks uvloop and httptools (dependencies on Linux/macOS).
            loop="auto",
            http="auto",
            # Our logging configuration is already installed; uvicorn must not replace it.
            log_config=None,
            access_log=settings.logging.access_log,
            # The app handles X-Forwarded-* itself (ProxyHeadersMiddleware in create_app).
            proxy_headers=False,
            server_header=False,
            # The ASGI server owns the path prefix (FastAPI's own root_path is deprecated).
            root_path=settings.server.root_path,
            lifespan="on",
            # After SIGTERM, requests still running past this are cancelled (their uploads
            # aborted) so the lifespan can close every client before the process is killed.
            timeout_graceful_shutdown=settings.server.shutdown_timeout,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_logs_then_terminate(signum: int, frame: FrameType | None) -> None:
    # Log lines are written by a background thread (see logging.py); dying by the default
    # action would lose the last ones, such as the shutdown messages.
    stop_logging()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}


@app.command()
def download(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="http(s)://, file://{{ ' or s3://' if cookiecutter.with_s3 }} source")],
    dest: Annotated[Path, typer.Argument(help="Target file, or a directory (source name kept)")],
    sha256: Annotated[str | None, typer.Option(help="Expected sha256 (hex) of the content")] = None,
) -> None:
    """Download URL to DEST atomically, with a progress bar (limits from `download` settings)."""
    import asyncio

    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from .clients.download import DownloadClient, DownloadError
    from .clients.errors import ClientError
    from .files import FileError

    settings = settings_from(ctx)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("download", total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        async def run() -> tuple[Path, str, int]:
            async with DownloadClient(settings.download) as client:
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
{%- endif %}


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


@app.command("config")
def show_config(
    ctx: typer.Context,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Print the built-in defaults instead.")
    ] = False,
) -> None:
    """Print the effective settings as YAML, with secrets redacted."""
    settings = default_settings() if defaults else settings_from(ctx)
    typer.echo(to_yaml(settings), nl=False)


def main() -> None:
    app(prog_name=DISTRIBUTION)


__all__ = ["app", "main"]
