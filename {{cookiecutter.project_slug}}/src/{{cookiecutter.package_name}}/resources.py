"""The long-lived clients a running service shares, and the one place that opens them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from .features import Feature, features_of

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A readiness check returns when its dependency is usable and raises when it is not.
ReadinessCheck = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """Raised by a readiness check whose dependency answers but cannot serve yet.

    Its message is the state /ready reports for the check instead of "unavailable", e.g.
    "schema behind head (database at base, head 0001)": say what is wrong, not a secret.
    """


@dataclass(frozen=True)
class ResourceKey(Generic[T]):{{ "  # noqa: UP046 - one spelling for every supported Python" if cookiecutter.python_version != "3.11" }}
    """A typed name for one shared resource: `resources.get(KEY)` has the key's type."""

    name: str


@dataclass
class Resources:
    """What the features opened, by key, plus their readiness checks.

    Features publish here while the service starts; handlers and commands only borrow.
    """

    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    # The last result of each check, so /ready logs a change of state once, not every probe.
    readiness_states: dict[str, str] = field(default_factory=dict)
    shutting_down: bool = False
    _values: dict[str, object] = field(default_factory=dict, repr=False)

    def provide(self, key: ResourceKey[T], value: T) -> None:
        if key.name in self._values:
            raise RuntimeError(f"resource {key.name!r} is already provided")
        self._values[key.name] = value

    def replace(self, key: ResourceKey[T], value: T) -> None:
        """Put `value` in place of the resource under `key`, which must be provided already.

        For a feature that layers itself over another's resource: the object index wraps
        the storage backend, so the routes see the indexed storage.
        """
        if key.name not in self._values:
            raise LookupError(f"resource {key.name!r} is not open in this service")
        self._values[key.name] = value

    def get(self, key: ResourceKey[T]) -> T:
        """The resource under `key`; a missing one is a wiring error, not a request error."""
        try:
            value = self._values[key.name]
        except KeyError:
            raise LookupError(f"resource {key.name!r} is not open in this service") from None
        return cast("T", value)  # provide() stored it under this key, so with its type

    def find(self, key: ResourceKey[T]) -> T | None:
        """The resource under `key`, or None when its feature is off at run time."""
        return cast("T | None", self._values.get(key.name))

    def begin_shutdown(self) -> None:
        self.shutting_down = True
        logger.info("application stopping")


@asynccontextmanager
async def open_resources(settings: Feature) -> AsyncIterator[Resources]:
    """Let every feature of `settings` open its resources; close them in reverse order."""
    resources = Resources()
    async with AsyncExitStack() as stack:
        for feature in features_of(type(settings)):
            await feature.open(settings, resources, stack)
        # Registered last, so it runs first at shutdown: /ready answers 503 (load balancers
        # stop sending traffic) before any client above is closed.
        stack.callback(resources.begin_shutdown)
        yield resources


__all__ = ["NotReady", "ReadinessCheck", "ResourceKey", "Resources", "open_resources"]
