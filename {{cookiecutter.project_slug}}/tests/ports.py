"""Loopback ports for tests."""

import socket


def unused_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago: bind a server there, or expect refusals."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
