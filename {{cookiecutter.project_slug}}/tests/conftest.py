"""Fixtures shared by every test: a clean environment and an event-loop watchdog."""

import asyncio
import logging
import os
from collections.abc import AsyncIterator

import pytest

from {{ cookiecutter.package_name }}.config import ENV_PREFIX

# A single callback holding the loop longer than this fails the test: something blocked.
SLOW_CALLBACK_SECONDS = 0.5


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings must come only from what a test sets, never from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


class _SlowCallbackRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing ") and " took " in message:
            self.messages.append(message)


@pytest.fixture(autouse=True)
async def event_loop_watchdog() -> AsyncIterator[None]:
    """Fail the test when a callback blocks the event loop (asyncio debug mode reports it)."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    recorder = _SlowCallbackRecorder()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(recorder)
    try:
        yield
    finally:
        asyncio_logger.removeHandler(recorder)
    if recorder.messages:
        pytest.fail("event loop blocked: " + "; ".join(recorder.messages), pytrace=False)
