"""A benchmark server process: one app on uvicorn, with the same server settings for all.

    python _server.py APP PACKAGE [--lag-file FILE] [--max-body-bytes N] [--database-url URL]
                      [--telemetry-endpoint URL [--sample-ratio R]] [--profile FILE]

APP is one of
  generated     create_app(settings) of the rendered project as `serve` builds it: its full
                default middleware stack, start-up objects frozen once the lifespan opened
  bare_fastapi  FastAPI() with the project's health router, no middleware
  ant31box      ant31box 0.2.8's Server with its default middlewares, plus the same health router

Every app runs on uvicorn with uvloop and httptools, one worker, no access log, no proxy-header
or server-header handling by uvicorn. The process binds a free loopback port and prints it.

With --lag-file (generated only) a task samples the event-loop lag every 10 ms for the life
of the server and writes `[[monotonic_time, lag_seconds, run_delay_seconds], ...]` to FILE at
shutdown; run_delay is how long the kernel kept the loop's thread waiting for a CPU during the
tick (Linux schedstat; 0 elsewhere), so a reader can tell the loop's own lag from the
machine's. When the
app has no `PUT/GET /api/v1/objects/{key}`, a streaming stand-in is mounted at
/_bench/objects/{key} (outside the OpenAPI schema) so the benchmark can stream through the
full middleware stack anyway.

With --database-url (generated only) the service's database section points at URL with a pool
of 16 connections, and GET /_bench/db/{item_id} reads one row of the benchmark table through
the service's session dependency (see _db.py).

With --telemetry-endpoint (generated only) the `telemetry` section names that OTLP/HTTP endpoint
and --sample-ratio, so the service traces every request (it fails to start if the render has no
tracing). With --profile, SIGUSR1 starts cProfile on the event loop's thread and SIGUSR2 stops
it and writes the stats to FILE (pstats format), so a benchmark profiles only the load it makes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import json
import logging
import signal
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from _db import CONCURRENCY, mount_read_route, sqlalchemy_url

LAG_INTERVAL = 0.010
OBJECTS_PATH = "/api/v1/objects/{key}"
STAND_IN_PATH = "/_bench/objects/{key}"
CHUNK = 1024 * 1024


def build(
    app: str,
    package: str,
    max_body_bytes: int | None,
    database_url: str | None = None,
    telemetry: dict[str, Any] | None = None,
) -> Any:
    health = importlib.import_module(f"{package}.server.health")
    if app == "generated":
        config = importlib.import_module(f"{package}.service")
        server = importlib.import_module(f"{package}.server")
        server_settings: dict[str, Any] = {}
        if max_body_bytes is not None:
            server_settings["max_body_bytes"] = max_body_bytes
        sections: dict[str, Any] = {}
        if database_url is not None:
            sections["database"] = {"url": sqlalchemy_url(database_url), "pool_size": CONCURRENCY}
        if telemetry is not None:
            # Settings forbid unknown sections: a render without tracing refuses to start.
            sections["telemetry"] = telemetry
        settings = config.Settings(
            logging={"level": "WARNING", "access_log": False}, server=server_settings, **sections
        )
        importlib.import_module(f"{package}.logging").configure_logging(settings.logging)
        if hasattr(settings, "database"):
            # As a deployment does before serving: the objects API needs its index table.
            migrate = importlib.import_module(f"{package}.db.migrate")
            asyncio.run(migrate.upgrade(settings.database))
        # As `serve` builds it: the process serves this one app.
        generated = server.create_app(settings, freeze_startup_objects=True)
        if database_url is not None:
            mount_read_route(generated, package)
        return generated
    logging.basicConfig(level=logging.WARNING)
    if app == "bare_fastapi":
        from fastapi import FastAPI

        bare = FastAPI()
        bare.include_router(health.router)
        return bare
    if app == "ant31box":
        # What ant31box.server.server.serve() builds from the default configuration, minus
        # init() (a Sentry set-up without a DSN and a /tmp directory for Prometheus).
        from ant31box.config import ConfigSchema
        from ant31box.server.server import Server

        box = Server(ConfigSchema().server, "ant31box", "dev").app
        box.include_router(health.router)
        return box
    raise SystemExit(f"unknown app {app}")


class LagSampler:
    """How late each 10 ms tick of the event loop fires: the time callbacks wait to run."""

    SCHEDSTAT = Path("/proc/thread-self/schedstat")

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, float]] = []

    def run_delay(self) -> float:
        """Seconds this thread has spent runnable but waiting for a CPU, 0.0 if unknown."""
        try:
            return int(self.SCHEDSTAT.read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    async def run(self) -> None:
        expected = time.monotonic() + LAG_INTERVAL
        delay = self.run_delay()
        while True:
            await asyncio.sleep(LAG_INTERVAL)
            now, previous, delay = time.monotonic(), delay, self.run_delay()
            self.samples.append((now, max(0.0, now - expected), delay - previous))
            expected = now + LAG_INTERVAL


def sample_lag(app: Any, lag_file: Path) -> None:
    """Run a LagSampler for the life of the app (wraps its lifespan)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        sampler = LagSampler()
        task = asyncio.create_task(sampler.run())
        try:
            async with inner(app) as state:
                yield state
        finally:
            task.cancel()
            lag_file.write_text(json.dumps(sampler.samples))

    app.router.lifespan_context = lifespan


def has_objects_api(app: Any) -> bool:
    methods = app.openapi().get("paths", {}).get(OBJECTS_PATH, {})
    return "put" in methods and "get" in methods


def mount_stand_in(app: Any) -> None:
    """Streaming PUT/GET of one file per key, in 1 MiB chunks, file I/O in worker threads."""
    import anyio
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse

    directory = Path(tempfile.mkdtemp(prefix="bench-objects-"))

    def path_of(key: str) -> Path:
        return directory / key.replace("/", "_")

    async def put_object(request: Request) -> Response:
        size = 0
        async with await anyio.open_file(path_of(request.path_params["key"]), "wb") as file:
            async for chunk in request.stream():
                size += len(chunk)
                await file.write(chunk)
        return JSONResponse({"size": size}, status_code=201)

    async def get_object(request: Request) -> Response:
        path = path_of(request.path_params["key"])

        async def chunks() -> AsyncIterator[bytes]:
            async with await anyio.open_file(path, "rb") as file:
                while chunk := await file.read(CHUNK):
                    yield chunk

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    app.add_route(STAND_IN_PATH, put_object, methods=["PUT"], include_in_schema=False)
    app.add_route(STAND_IN_PATH, get_object, methods=["GET"], include_in_schema=False)


def profile_on_signals(stats_file: Path) -> None:
    """SIGUSR1 starts profiling the main thread (the event loop's); SIGUSR2 stops and dumps."""
    profiler = cProfile.Profile()

    def start(*_: object) -> None:
        profiler.enable()

    def stop(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(stats_file)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("package")
    parser.add_argument("--lag-file", type=Path)
    parser.add_argument("--max-body-bytes", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--telemetry-endpoint")
    parser.add_argument("--sample-ratio", type=float)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    telemetry = None
    if args.telemetry_endpoint is not None:
        telemetry = {"endpoint": args.telemetry_endpoint, "sample_ratio": args.sample_ratio}
    app = build(args.app, args.package, args.max_body_bytes, args.database_url, telemetry)
    if args.profile is not None:
        profile_on_signals(args.profile)
    if args.lag_file is not None:
        sample_lag(app, args.lag_file)
        if not has_objects_api(app):
            mount_stand_in(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_config=None,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        lifespan="on",
    )
    print(sock.getsockname()[1], flush=True)
    # uvicorn shuts down gracefully on SIGINT, then re-raises it: that is the normal end.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
