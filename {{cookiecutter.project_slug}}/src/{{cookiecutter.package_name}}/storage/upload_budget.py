"""UploadBudget: a cap on the upload bytes one process holds in memory at once.

An S3 upload cannot stream straight through: S3 needs each request's length up front, so an
upload buffers up to the multipart threshold (to choose one PUT or parts) and then one part at
a time, and memory grows with the number of uploads times the part size. So every upload
reserves what it may buffer before it reads a byte; when the budget is spent it waits, first
come first served, for at most `wait_seconds`, then fails with `StorageBusyError` (the API
answers 503 with Retry-After) instead of growing the process until the kernel kills it.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from .errors import StorageBusyError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class UploadBudget:
    """At most `capacity` bytes reserved at once; a reservation waits up to `wait_seconds`.

        async with budget.reserve(part_size, key=key):
            ...  # buffer and send at most part_size bytes

    Waiters are served in arrival order, so a large reservation is not starved by small ones.
    A reservation is returned when its block exits, whatever the outcome (error, cancellation).
    """

    def __init__(self, capacity: int, *, wait_seconds: float) -> None:
        if capacity < 1:
            raise ValueError("an upload budget needs at least one byte")
        if wait_seconds < 0:
            raise ValueError("wait_seconds must not be negative")
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self._available = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    def __repr__(self) -> str:
        return (
            f"UploadBudget(capacity={self.capacity}, available={self._available}, "
            f"waiting={len(self._waiters)})"
        )

    @property
    def available(self) -> int:
        """Bytes not reserved right now."""
        return self._available

    @property
    def retry_after(self) -> int:
        """Whole seconds a refused client should wait before it tries again."""
        return max(1, math.ceil(self.wait_seconds))

    async def acquire(self, nbytes: int, *, key: str | None = None) -> None:
        """Reserve `nbytes`, waiting up to `wait_seconds`; `StorageBusyError` past that."""
        if not 0 < nbytes <= self.capacity:
            raise ValueError(f"a reservation must be between 1 and {self.capacity} bytes")
        if not self._waiters and nbytes <= self._available:
            self._available -= nbytes
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (nbytes, waiter)
        self._waiters.append(entry)
        self._wake()  # drops waiters that gave up; may grant this one at once
        try:
            async with asyncio.timeout(self.wait_seconds):
                await waiter
        except TimeoutError:
            if _granted(waiter):
                return  # granted just as the wait ran out
            self._leave(entry)
            raise StorageBusyError(
                f"upload buffer budget spent ({self.capacity} bytes reserved, waited "
                f"{self.wait_seconds:g} s); retry later",
                operation="put",
                key=key,
                retry_after=self.retry_after,
            ) from None
        except BaseException:
            # Cancelled: the bytes go back, whether or not they were granted meanwhile.
            if _granted(waiter):
                self.release(nbytes)
            else:
                self._leave(entry)
            raise

    def release(self, nbytes: int) -> None:
        """Give back `nbytes` reserved by `acquire`."""
        self._available += nbytes
        if self._available > self.capacity:
            self._available = self.capacity
            raise RuntimeError("more upload budget released than reserved")
        self._wake()

    @asynccontextmanager
    async def reserve(self, nbytes: int, *, key: str | None = None) -> AsyncIterator[None]:
        """`acquire(nbytes)` for the block; released when it exits, however it exits."""
        await self.acquire(nbytes, key=key)
        try:
            yield
        finally:
            self.release(nbytes)

    def _leave(self, entry: tuple[int, asyncio.Future[None]]) -> None:
        entry[1].cancel()
        if entry in self._waiters:
            self._waiters.remove(entry)
        # A large reservation leaving the head of the queue may let smaller ones through.
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            nbytes, waiter = self._waiters[0]
            if waiter.done():
                # Its task was cancelled and has not run its cleanup yet.
                self._waiters.popleft()
                continue
            if nbytes > self._available:
                return
            self._waiters.popleft()
            self._available -= nbytes
            waiter.set_result(None)


def _granted(waiter: asyncio.Future[None]) -> bool:
    return waiter.done() and not waiter.cancelled()


__all__ = ["UploadBudget"]
