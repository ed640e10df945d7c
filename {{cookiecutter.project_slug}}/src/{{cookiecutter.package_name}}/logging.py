"""Logging set-up: text or JSON lines, each carrying the id of the request it belongs to.
{%- if cookiecutter.with_server %}

uvicorn's own loggers are routed through the same handler, so access and error lines share
the format and the request id.
"""
{%- else %}"""
{%- endif %}

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .context import request_id_var

if TYPE_CHECKING:
    from .config import LoggingSettings

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
{%- if cookiecutter.with_server %}
# Loggers that must not keep handlers of their own (uvicorn installs some by default).
ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio")
{%- else %}
# Loggers that must not keep handlers of their own.
ROUTED_LOGGERS = ("asyncio",)
{%- endif %}


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with a fixed set of keys plus any `extra={...}` fields."""

    # Attributes every LogRecord has; anything else came from `extra=` and is kept.
    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
        "message",
        "asctime",
        "request_id",
{%- if cookiecutter.with_server %}
        "color_message",  # uvicorn's copy of the message with terminal colour codes
{%- endif %}
    }

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(settings: LoggingSettings) -> dict[str, Any]:
    """The dictConfig for `settings`; pure, so tests can inspect it."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if settings.format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"level": settings.level, "handlers": ["default"]},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": "NOTSET"} for name in ROUTED_LOGGERS
        }
{%- if cookiecutter.with_server %}
        | {"uvicorn.access": {"handlers": [], "propagate": settings.access_log}},
{%- else %},
{%- endif %}
    }


def configure_logging(settings: LoggingSettings) -> None:
    """Install the logging configuration for this process (the CLI calls it once)."""
    logging.config.dictConfig(logging_config(settings))


__all__ = ["JsonFormatter", "RequestIdFilter", "configure_logging", "logging_config"]
