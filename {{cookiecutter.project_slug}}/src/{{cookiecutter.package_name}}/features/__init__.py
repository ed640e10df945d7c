"""How a feature plugs into the service: a settings mixin with hooks.

A feature is a class (one module per feature in this package) that the composition root,
`service.py`, lists among the bases of `Settings`. Its fields are its settings sections
(`greeting: GreetingSettings = GreetingSettings()`), so the loaded settings object *is*
every feature at once and each feature reads its own sections with full types. The hooks
below contribute the rest; a feature overrides only those it needs.

Like mixins, features are listed most specific first, each before the features it uses.
Hooks run in the reverse order, so what a feature uses is open before it, once per feature
class, as `FeatureClass.hook(settings, ...)` and never as `settings.hook(...)`: two features
may both define a hook, and only the per-class call reaches each of them.

Feature modules stay cheap to import (pydantic models and hook functions): the code a hook
runs is imported inside it, so a feature that is off at run time costs no import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from pydantic import BaseModel

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    import typer

    from ..resources import Resources


class Feature(BaseModel):
    """Base of every feature; the default hooks contribute nothing."""

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        """Open long-lived clients on `stack`, publish them and their readiness checks."""

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        """Register this feature's commands on the command-line interface."""

    @classmethod
    def of(cls, settings: object) -> Self:
        """`settings` seen as this feature (they are, when `Settings` lists it)."""
        if not isinstance(settings, cls):
            raise TypeError(f"these settings do not include the {cls.__name__}")
        return settings


def features_of(settings_type: type) -> tuple[type[Feature], ...]:
    """The features a settings class lists as its bases, the ones others use first."""
    return tuple(base for base in reversed(settings_type.__bases__) if issubclass(base, Feature))


__all__ = ["Feature", "features_of"]
