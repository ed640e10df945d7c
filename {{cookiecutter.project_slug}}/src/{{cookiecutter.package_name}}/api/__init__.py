"""The /api/v1/objects example: objects streamed into and out of storage{{ ", or imported from a URL" if cookiecutter.with_http_client and cookiecutter.with_files }}.

`install_api(app)` adds the routes and the handlers that answer storage errors{{ " and download errors" if cookiecutter.with_http_client and cookiecutter.with_files }}
in the error envelope; `upload_limit(settings)` is the body limit its uploads need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import {{ "imports, " if cookiecutter.with_http_client and cookiecutter.with_files }}objects
from .errors import install_error_handlers
from .objects import PREFIX, upload_limit

if TYPE_CHECKING:
    from fastapi import FastAPI


def install_api(app: FastAPI) -> None:
    install_error_handlers(app)
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    imports.install_error_handlers(app)
    app.include_router(imports.router)
{%- endif %}
    app.include_router(objects.router)


__all__ = ["PREFIX", "install_api", "upload_limit"]
