"""A TCP relay in front of a server: take the server away mid-test and bring it back.

Stopping the relay closes its port and cuts every open connection, which is what a client
sees when the server goes down; the server behind it keeps its state, like a restarted
MinIO or PostgreSQL with its disk. Any TCP server: the target URL gives its host and port.
"""

import asyncio
import contextlib
from urllib.parse import urlsplit


class Relay:
    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        if target.hostname is None or target.port is None:
            raise ValueError(f"the relay needs a host and a port: {target_url}")
        self._target = (target.hostname, target.port)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen again, on the same port as before if there was one."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """The outage: nothing listens on the port and open connections are reset."""
        assert self._server is not None
        self._server.close()
        for writer in self._connections:
            writer.transport.abort()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._connections |= {writer, upstream_writer}
        pipes = {
            asyncio.create_task(_pipe(reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        }
        self._pipes |= pipes
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._pipes -= pipes
            self._connections -= {writer, upstream_writer}
            writer.transport.abort()
            upstream_writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # A reset connection ends the pipe like an orderly close does.
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        # The other side said all it had to say: pass the end of stream on.
        if not writer.is_closing() and writer.can_write_eof():
            writer.write_eof()
