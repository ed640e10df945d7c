"""Command-line interface: `version` and `config` here, the rest from the service's features."""

from pathlib import Path
from typing import Annotated

import typer

from . import DISTRIBUTION, __version__
from .commands import CliState, ConfigFile, settings_from
from .config import CONFIG_ENV_VAR, to_yaml
from .service import FEATURES, Settings

app = typer.Typer(
    name=DISTRIBUTION,
    help="{{ cookiecutter.project_slug }} command-line interface.",
    no_args_is_help=True,
    add_completion=False,
)


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
            help="YAML settings file (environment variables still override it); also "
            "accepted after the command, where it wins.",
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(settings_type=Settings, config_file=config)


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
    config: ConfigFile = None,
) -> None:
    """Print the effective settings as YAML, with secrets redacted."""
    settings = Settings.defaults() if defaults else settings_from(ctx, config)
    typer.echo(to_yaml(settings), nl=False)


for feature in FEATURES:
    feature.add_commands(app)


def main() -> None:
    try:
        app(prog_name=DISTRIBUTION)
    except ModuleNotFoundError as exc:
        importer = _importer_in_this_package(exc)
        if importer is None:
            raise
        # A feature turned on since the last install (a template update, say) brings
        # dependencies the environment lacks: say what to run, not 60 lines of traceback.
        typer.echo(
            f"error: {importer} needs the module {exc.name!r}, which is not installed: "
            "run `make install` (or `uv sync`) to bring the environment up to date",
            err=True,
        )
        raise SystemExit(1) from None


def _importer_in_this_package(exc: ModuleNotFoundError) -> str | None:
    """The module of this package whose import failed, innermost; None if none of ours did."""
    importer = None
    traceback = exc.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.startswith(f"{__package__}.") and module != __name__:
            importer = module
        traceback = traceback.tb_next
    return importer


__all__ = ["app", "main"]
