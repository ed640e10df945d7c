"""Setting one header on an ASGI `http.response.start` message, cheaply."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import Message


def set_header(message: Message, name: bytes, value: bytes) -> None:
    """Make `name: value` the only `name` header of the response start `message`.

    `name` is lowercase bytes, as ASGI response header names are. This runs for every
    response, so it works on the raw header pairs: Starlette's MutableHeaders copies and
    re-encodes the list on every use, several times the cost.
    """
    headers = [pair for pair in message.get("headers", ()) if pair[0] != name]
    headers.append((name, value))
    message["headers"] = headers
