"""loop_lag_db: event-loop lag inside the server while it reads PostgreSQL at concurrency 16.

The loop_lag measurement (see loop_lag.py and _server.py's LagSampler) with a database load:
the generated app runs on uvicorn in a child process with its database section pointed at a
database made for the run (see _db.py: 10,000 rows, dropped at the end) and a stand-in route,
GET /_bench/db/{item_id}, that reads one row by primary key the way a handler of the service
does (SessionDep: one session per request, committed when the handler returns; session.get
on a typed model). wrk keeps 16 such requests in flight, each for a random row, for the
measuring window.

The figures are the 99th percentile and the maximum lag during the window, of the loop's own
making (each tick's lag less the time the kernel kept the loop's thread waiting for a CPU,
Linux schedstat); the raw wall-clock figures are printed too. PostgreSQL runs on the same two
cores: its CPU shows up as that wait, not as the service's lag.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/loop_lag_db.py <package>
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _db import CONCURRENCY, ROUTE, ROWS, check_available, scratch_database
from _harness import app_server, emit, lag_figures, note, wrk_background, wrk_rate

# wrk runs below the server's priority, as in loop_lag: the figure is about what the service
# holds its loop for, not about how the kernel shares two cores with the load generator.
GENERATOR_NICENESS = 10

NAME = "loop_lag_db"
WINDOW_SECONDS = 10.0
# A wrk script: each request reads a random row.
WRK_SCRIPT = """
request = function()
  return wrk.format("GET", "{prefix}" .. math.random(1, {rows}))
end
"""


def wrk_script() -> str:
    return WRK_SCRIPT.format(prefix=ROUTE.removesuffix("{item_id}"), rows=ROWS)


def measure(package: str, url: str) -> int:
    with tempfile.TemporaryDirectory(prefix="loop-lag-db-") as scratch:
        lag_file = Path(scratch) / "lag.json"
        script = Path(scratch) / "reads.lua"
        script.write_text(wrk_script())
        arguments = ("--lag-file", str(lag_file), "--database-url", url)
        with app_server(sys.executable, "generated", package, *arguments) as base:
            os.nice(GENERATOR_NICENESS)
            target = base + ROUTE.format(item_id=1)
            # Warm up (connections opened, statements compiled); wrk_rate fails on any non-2xx.
            rate = wrk_rate(target, 2, connections=CONCURRENCY, script=script)
            note(f"{NAME}: {rate:.0f} reads/s through the service in the warm-up")
            with wrk_background(
                target, connections=CONCURRENCY, niceness=GENERATOR_NICENESS, script=script
            ):
                time.sleep(0.5)  # let the load settle before the window opens
                started = time.monotonic()
                time.sleep(WINDOW_SECONDS)
                ended = time.monotonic()
        # The server wrote its samples at shutdown (when the block above ended).
        samples = json.loads(lag_file.read_text())
    emit(lag_figures(NAME, samples, started, ended))
    return 0


async def with_database(package: str) -> int:
    await check_available(NAME, package)
    async with scratch_database(package) as url:
        # The server is a child process; this loop only waits (the database is dropped after).
        return await asyncio.to_thread(measure, package, url)


def main() -> int:
    return asyncio.run(with_database(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
