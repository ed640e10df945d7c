"""Logging set-up: text or JSON lines, each carrying the id of the request it belongs to.

Loggers of the libraries a feature runs (the web server's, say) are routed through the same
handler when the feature asks for it (`routed=`), so their lines share the format and the
request id.

Writing a line to stderr can block (a full pipe, a slow terminal or log shipper), so once
`configure_logging` has run, the logging call only queues the record; a background thread
formats and writes it, and `stop_logging` (also run at exit) writes out what is queued.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import logging.config
import logging.handlers
import queue
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .context import correlation_ids, request_id_var

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import LoggingSettings

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
# Loggers that must not keep handlers of their own; features name more with `routed=`.
ROUTED_LOGGERS = ("asyncio",)


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id ("-" outside a request).

    Ids from the open correlation sources (tracing's `trace_id` and `span_id` inside a span)
    become attributes too, so JSON lines carry them as keys of their own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        for key, value in correlation_ids().items():
            setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with a fixed set of keys plus any `extra={...}` fields."""

    # Attributes every LogRecord has; anything else came from `extra=` and is kept.
    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
        "message",
        "asctime",
        "request_id",
        "color_message",  # a copy with terminal colour codes that some libraries add
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


def logging_config(
    settings: LoggingSettings, routed: Mapping[str, bool] = MappingProxyType({})
) -> dict[str, Any]:
    """The dictConfig for `settings`; pure, so tests can inspect it.

    `routed` names more loggers to send through the same handler, each with whether its
    lines are kept (an access log that is turned off is not).
    """
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
            name: {"handlers": [], "propagate": keep, "level": "NOTSET"}
            for name, keep in {**dict.fromkeys(ROUTED_LOGGERS, True), **routed}.items()
        },
    }


class HandOffHandler(logging.handlers.QueueHandler):
    """Queue records for the writer thread, with their message fixed at the call."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # The stdlib version formats the record here and drops exc_info; our formatters run
        # on the writer thread and need it (JSON lines keep the traceback in their own key).
        prepared = copy.copy(record)
        prepared.msg = record.getMessage()  # the arguments may change once the call returns
        prepared.args = None
        return prepared


# The running writer thread and the handler that feeds it (a list: no `global` needed).
_writers: list[tuple[logging.handlers.QueueListener, HandOffHandler]] = []


def configure_logging(
    settings: LoggingSettings, routed: Mapping[str, bool] = MappingProxyType({})
) -> None:
    """Install the logging configuration for this process (the CLI calls it once)."""
    stop_logging()
    logging.config.dictConfig(logging_config(settings, routed))
    root = logging.getLogger()
    outputs = root.handlers[:]
    hand_off = HandOffHandler(queue.SimpleQueue())
    for output in outputs:
        # Filters run on the calling thread: the request id lives in a context variable.
        for request_filter in output.filters[:]:
            output.removeFilter(request_filter)
            hand_off.addFilter(request_filter)
    root.handlers[:] = [hand_off]
    writer = logging.handlers.QueueListener(hand_off.queue, *outputs, respect_handler_level=True)
    writer.start()
    _writers.append((writer, hand_off))


def stop_logging() -> None:
    """Write out every queued line, stop the writer thread and write directly again."""
    while _writers:
        writer, hand_off = _writers.pop()
        writer.stop()
        root = logging.getLogger()
        if hand_off in root.handlers:
            for output in writer.handlers:
                for request_filter in hand_off.filters:
                    output.addFilter(request_filter)
            root.handlers[:] = list(writer.handlers)


atexit.register(stop_logging)


__all__ = [
    "HandOffHandler",
    "JsonFormatter",
    "RequestIdFilter",
    "configure_logging",
    "logging_config",
    "stop_logging",
]
