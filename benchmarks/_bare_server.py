"""The baseline of the startup benchmark: a bare FastAPI app with one /health route.

    python _bare_server.py PORT

Served by `uvicorn.run` with the keyword arguments the generated `serve` command passes under
its default settings (auto loop and HTTP implementation, so uvloop and httptools; INFO logging
with the access log; no proxy-header or server-header handling; lifespan on), on 127.0.0.1
like the default `server.host`. Only FastAPI, pydantic and uvicorn are imported, so the figure
says what the service adds to them.
"""

from __future__ import annotations

import logging
import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Health(BaseModel):
    status: str = "ok"


@app.get("/health")
async def health() -> Health:
    return Health()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="auto",
        http="auto",
        log_config=None,
        access_log=True,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=15,
    )


if __name__ == "__main__":
    main()
