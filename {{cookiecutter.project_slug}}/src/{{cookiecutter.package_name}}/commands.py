"""What a command gets from the command line: the settings, loaded once per command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from .config import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from .config import ServiceSettings


@dataclass(frozen=True)
class CliState:
    """Set by the CLI's global options (`--config`), read by every command."""

    settings_type: type[ServiceSettings]
    config_file: Path | None


def settings_from(ctx: typer.Context) -> ServiceSettings:
    """Load the settings; a bad file or key ends the command with exit 2 and the reason."""
    state: CliState = ctx.obj
    try:
        return state.settings_type.load(state.config_file)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


__all__ = ["CliState", "settings_from"]
