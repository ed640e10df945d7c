"""The /api/v1/objects example: objects streamed into and out of storage.

`install_api(app)` adds the routes and the handlers that answer storage errors in the error
envelope; `upload_limit(section)` is the body limit its uploads need. The import route
(`imports.py`) is a feature of its own, present when the download client is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import objects
from .errors import install_storage_error_handlers
from .objects import PREFIX, upload_limit

if TYPE_CHECKING:
    from fastapi import FastAPI


def install_api(app: FastAPI) -> None:
    install_storage_error_handlers(app)
    app.include_router(objects.router)


__all__ = ["PREFIX", "install_api", "upload_limit"]
