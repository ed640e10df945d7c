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
    app(prog_name=DISTRIBUTION)


__all__ = ["app", "main"]
