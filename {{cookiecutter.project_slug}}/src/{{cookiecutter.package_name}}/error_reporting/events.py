"""What an error report says about where it happened: request id, trace ids, route."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..context import correlation_ids, request_id_var

# Described when a report is made, not when the request starts: the route is only known
# once the router has matched it.
Describe = Callable[[], tuple[str | None, Mapping[str, Any]]]


@dataclass(frozen=True)
class _Serving:
    task: asyncio.Task[Any] | None
    describe: Describe


_serving: ContextVar[_Serving | None] = ContextVar("error_reporting_serving", default=None)


@contextmanager
def serving(describe: Describe) -> Iterator[None]:
    """Reports made in this task until the block exits describe its request with `describe`.

    Tied to the task as well as the context: a job task started while a request is served
    inherits the context, but its failure is no error of that request's route.
    """
    token = _serving.set(_Serving(_current_task(), describe))
    try:
        yield
    finally:
        _serving.reset(token)


def enrich(event: dict[str, Any]) -> dict[str, Any]:
    """Tag `event` with the request id, the trace ids and the route of the current request."""
    tags: dict[str, Any] = event.setdefault("tags", {})
    request_id = request_id_var.get()
    if request_id is not None:
        tags["request_id"] = request_id
    tags.update(correlation_ids())
    current = _serving.get()
    if current is not None and current.task is _current_task():
        route, request = current.describe()
        if route is not None:
            tags["route"] = route
            event["transaction"] = route
        event["request"] = dict(request)
    return event


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: a report from a plain thread
        return None


__all__ = ["Describe", "enrich", "serving"]
