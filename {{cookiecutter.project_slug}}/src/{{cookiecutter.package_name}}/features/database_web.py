"""What the database adds to the HTTP app: its failures answered as 503/504 in the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .database import DatabaseFeature
from .server import WebFeature

if TYPE_CHECKING:
    from fastapi import FastAPI


class DatabaseWebFeature(WebFeature):
    """A database that is down, busy or too slow is a 503 or 504, never a 500 or a hang."""

    def install(self, app: FastAPI) -> None:
        from ..db.errors import install_database_error_handlers

        install_database_error_handlers(app)
        # For the log lines of db/errors.py: the URL without its password.
        app.state.database_settings = DatabaseFeature.of(self).database


__all__ = ["DatabaseWebFeature"]
