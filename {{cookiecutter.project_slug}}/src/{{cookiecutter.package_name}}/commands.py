"""What a command gets from the command line: the settings, loaded once per command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .config import CONFIG_ENV_VAR, ConfigError

if TYPE_CHECKING:
    from .config import ServiceSettings

# `--config` after the command (`serve --config x.yaml`); every command that loads settings
# takes it and passes it to `settings_from`. It wins over `--config` before the command
# and over the environment variable: it is the one written last, closest to the command.
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        dir_okay=False,
        help=f"YAML settings file (instead of a global --config or {CONFIG_ENV_VAR}).",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class CliState:
    """Set by the CLI's global options (`--config`), read by every command."""

    settings_type: type[ServiceSettings]
    config_file: Path | None


def settings_from(ctx: typer.Context, config_file: Path | None = None) -> ServiceSettings:
    """Load the settings; a bad file or key ends the command with exit 2 and the reason.

    `config_file` is the command's own `--config` (`ConfigFile`); when given, it is read
    instead of the one named before the command.
    """
    state: CliState = ctx.obj
    try:
        return state.settings_type.load(config_file or state.config_file)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


__all__ = ["CliState", "ConfigFile", "settings_from"]
