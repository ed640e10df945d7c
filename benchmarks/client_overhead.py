"""client_overhead: BaseClient vs a raw aiohttp.ClientSession, 2,000 GETs at concurrency 50.

Both sides use the session the server's lifespan would open (`create_session`, pool sized to
the concurrency) with its timeouts, and the event loop the server runs on (uvloop), so the
figure is BaseClient's own cost: URL joining, header merging, the retry loop, error checks and
the response object.
The upstream is a canned-response HTTP/1.1 server in a child process, cheap enough that the
client, not the server, sets the pace. Rounds alternate; the figure is the median per-round
ratio of requests per CPU second of this process (BaseClient / raw), which the scheduling of
the upstream on a busy machine does not blur; the wall-clock ratio is printed too (`_wall`).

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/client_overhead.py <package>
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from _harness import cpu_and_wall, emit, median_ratio

try:
    from uvloop import run
except ImportError:  # the server's loop; without the server module, asyncio's
    from asyncio import run

REQUESTS = 2000
CONCURRENCY = 50
ROUNDS = 9
BODY = b'{"id": 1, "name": "item"}'

# Answers every request on a keep-alive connection with the same small JSON body.
UPSTREAM = f"""
import asyncio, socket, sys
try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
RESPONSE = (
    b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
    b"Content-Length: {len(BODY)}\\r\\n\\r\\n" + {BODY!r}
)

class Upstream(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        count = self.buffer.count(b"\\r\\n\\r\\n")
        if count:
            self.buffer = self.buffer[self.buffer.rfind(b"\\r\\n\\r\\n") + 4:]
            self.transport.write(RESPONSE * count)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""


async def timed(call: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """Requests per CPU second and per wall-clock second of REQUESTS calls, CONCURRENCY at once."""
    queue = iter(range(REQUESTS))

    async def worker() -> None:
        for index in queue:
            await call(index)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return REQUESTS / (time.process_time() - cpu), REQUESTS / (time.perf_counter() - wall)


async def measure(package: str, base_url: str) -> dict[str, list[tuple[float, float]]]:
    clients = importlib.import_module(f"{package}.clients")
    config = importlib.import_module(f"{package}.features.http_client")
    settings = config.HttpClientSettings(pool_size=CONCURRENCY, pool_size_per_host=CONCURRENCY)
    async with clients.create_session(settings) as session:
        client = clients.BaseClient.from_settings(base_url, settings, session=session)

        async def raw(index: int) -> None:
            async with session.get(f"{base_url}items/{index}") as response:
                response.raise_for_status()
                await response.read()

        async def base_client(index: int) -> None:
            await client.request("GET", f"items/{index}")

        # Warm up: open the pool's connections, import lazily loaded code.
        await timed(raw)
        await timed(base_client)
        rates: dict[str, list[tuple[float, float]]] = {"raw": [], "client": []}
        for index in range(ROUNDS):
            order = [("raw", raw), ("client", base_client)]
            for name, call in order if index % 2 == 0 else reversed(order):
                rates[name].append(await timed(call))
        return rates


def main() -> int:
    package = sys.argv[1]
    upstream = subprocess.Popen(
        [sys.executable, "-c", UPSTREAM], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert upstream.stdout is not None
        base_url = f"http://127.0.0.1:{int(upstream.stdout.readline())}/api/"
        rates = run(measure(package, base_url))
    finally:
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait(timeout=10)
    cpu, wall = cpu_and_wall("client_overhead", "requests", rates)
    emit(
        {
            "client_vs_raw_aiohttp": median_ratio(cpu["client"], cpu["raw"]),
            "client_vs_raw_aiohttp_wall": median_ratio(wall["client"], wall["raw"]),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
