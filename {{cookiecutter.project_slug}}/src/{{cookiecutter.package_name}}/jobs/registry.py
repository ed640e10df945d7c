"""Job kinds: `@job("kind")` registers a typed async handler under a name.

    class ResizeInput(BaseModel):
        key: str
        width: int

    @job("resize")
    async def resize(payload: ResizeInput, ctx: JobContext) -> ResizeResult:
        await ctx.progress(0.5)
        ...

The input model is the annotation of the first parameter: a submitted payload is validated
with it before it is queued, and again (from the stored record) before the handler runs.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from pydantic import BaseModel

if TYPE_CHECKING:
    from ..resources import Resources

Input = TypeVar("Input", bound=BaseModel)
Output = TypeVar("Output", bound=BaseModel | dict[str, Any] | None)
Handler = Callable[[Input, "JobContext"], Awaitable[Output]]


class UnknownJobKind(LookupError):
    """No handler is registered under this name (in this process)."""


@dataclass(frozen=True)
class JobContext:
    """What a running handler gets besides its input."""

    job_id: str
    # The service's shared clients (HTTP session, storage, database...), by ResourceKey.
    resources: Resources
    # Attempt number, from 1: above 1, an earlier run died mid-job (handlers are idempotent).
    attempt: int
    _report: Callable[[float], Awaitable[None]]

    async def progress(self, value: float) -> None:
        """Record how far the job is, from 0 to 1 (shown in the job's record)."""
        await self._report(min(max(value, 0.0), 1.0))


@dataclass(frozen=True)
class JobKind:
    name: str
    input_model: type[BaseModel]
    handler: Callable[[Any, JobContext], Awaitable[object]]


class Registry:
    """Job kinds by name."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def job(self, name: str) -> Callable[[Handler[Input, Output]], Handler[Input, Output]]:
        """Register the decorated handler as job kind `name`."""

        def register(handler: Handler[Input, Output]) -> Handler[Input, Output]:
            if name in self._kinds:
                raise ValueError(f"job kind {name!r} is already registered")
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"job kind {name!r}: the handler must be an async function")
            self._kinds[name] = JobKind(name, _input_model(name, handler), handler)
            return handler

        return register

    def get(self, name: str) -> JobKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownJobKind(f"unknown job kind {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)


def _input_model(name: str, handler: Callable[..., object]) -> type[BaseModel]:
    first = next(iter(inspect.signature(handler).parameters), None)
    model = get_type_hints(handler).get(first) if first else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"job kind {name!r}: annotate the first parameter with a pydantic model")
    return model


# The service's registry; `job` is its decorator.
REGISTRY = Registry()
job = REGISTRY.job


def load_kinds(modules: Iterable[str] = ()) -> None:
    """Import jobs.kinds and `modules`, so their @job handlers are registered."""
    from . import kinds  # noqa: F401 - registers the service's kinds

    for module in modules:
        importlib.import_module(module)


__all__ = [
    "REGISTRY",
    "JobContext",
    "JobKind",
    "Registry",
    "UnknownJobKind",
    "job",
    "load_kinds",
]
