"""POST /api/v1/objects/import: objects fetched from a URL by the DownloadClient."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .server import WebFeature

if TYPE_CHECKING:
    from fastapi import FastAPI


class ObjectImportFeature(WebFeature):
    """Installs the import route and the handlers that answer download errors."""

    def install(self, app: FastAPI) -> None:
        from ..api import imports

        imports.install_download_error_handlers(app)
        app.include_router(imports.router)


__all__ = ["ObjectImportFeature"]
