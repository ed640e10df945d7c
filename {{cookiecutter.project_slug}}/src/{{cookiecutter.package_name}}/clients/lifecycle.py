"""The session a client sends through, and the client's state: unopened → open → closed.

A session passed in is borrowed: the client never closes it (the lifespan does). A session the
client creates is owned: opened on `async with` or the first request, closed by `aclose()`.
A closed client stays closed, like httpx's: reopening it or sending through it raises.

Event loops: a client works in one loop. aiohttp sessions and their pooled sockets are bound
to the loop that created them, so an owned session remembers the loop it was opened in (we
record it ourselves rather than read aiohttp's private `session._loop`), and a request from
any other loop raises a RuntimeError saying so. For a borrowed session the client cannot know
the loop without that private attribute; the transport re-raises aiohttp's own RuntimeError
from another (or an ended) loop with the same advice. Earlier versions reopened a new session
per loop and closed the old one through an async-generator finaliser; that made a closed
client quietly usable again and depended on aiohttp internals, so one client per loop is the
rule now (an `asyncio.run()` per command creates its client inside).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable

import aiohttp

from .transport import OTHER_LOOP


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class SessionLifecycle:
    """Who owns the session, which loop it lives in and whether the client may still send."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        factory: Callable[[], aiohttp.ClientSession],
        *,
        owner: str,
    ) -> None:
        self._session = session
        self._factory = factory
        self._owner = owner  # the client's name, for error messages
        self.owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = _State.UNOPENED

    @property
    def state(self) -> str:
        return self._state.value

    @property
    def current(self) -> aiohttp.ClientSession | None:
        """The session, borrowed or owned, once there is one (None after close)."""
        return self._session

    @property
    def has_open_session(self) -> bool:
        """True while a session this client created is open (borrowed ones do not count)."""
        session = self._session
        return self.owns_session and session is not None and not session.closed

    def open(self) -> None:
        """Enter the open state; an owned session is created now, in the running loop."""
        if self._state is _State.CLOSED:
            raise RuntimeError(f"{self._owner} is closed; create a new one instead")
        if self._state is _State.UNOPENED:
            if self.owns_session:
                self._session = self._factory()
                self._loop = asyncio.get_running_loop()
            self._state = _State.OPEN

    def session(self) -> aiohttp.ClientSession:
        """The session to send through in the running loop (opening the client if needed)."""
        if self._state is not _State.OPEN:
            self.open()
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            raise RuntimeError(f"the session of this {self._owner} {OTHER_LOOP}")
        assert self._session is not None  # set whenever the state is OPEN
        return self._session

    async def aclose(self) -> None:
        """Close an owned session (a borrowed one is left open); safe to call more than once."""
        if self._state is _State.CLOSED:
            return
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop() and not loop.is_closed():
            raise RuntimeError(f"close this {self._owner} in the event loop that opened it")
        self._state = _State.CLOSED
        session, self._session = self._session, None
        # A loop that ended without aclose() took the session's sockets with it: nothing to do.
        if self.owns_session and session is not None and (loop is None or not loop.is_closed()):
            await session.close()


__all__ = ["SessionLifecycle"]
