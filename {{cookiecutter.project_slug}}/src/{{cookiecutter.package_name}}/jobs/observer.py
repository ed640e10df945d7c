"""What an observer of jobs (tracing) sees: a job being queued, and a job running.

Only the job's id travels through the broker, plus the message's labels: an observer puts
what it needs to carry (a trace context) into the labels when a job is queued, and gets them
back when the job runs, in this process or in a worker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from .models import JobRecord


class JobObserver(Protocol):
    def queueing(self, kind: str) -> AbstractContextManager[Mapping[str, str]]:
        """Around queueing one job of `kind`: yields the labels its message carries."""

    def running(self, record: JobRecord, labels: Mapping[str, str]) -> AbstractContextManager[None]:
        """Around one run of the job's handler; an exception from the handler passes through."""


class NoObserver:
    """The default: nothing is carried, nothing is recorded."""

    @contextmanager
    def queueing(self, kind: str) -> Iterator[Mapping[str, str]]:
        yield {}

    def running(self, record: JobRecord, labels: Mapping[str, str]) -> AbstractContextManager[None]:
        return nullcontext()


__all__ = ["JobObserver", "NoObserver"]
