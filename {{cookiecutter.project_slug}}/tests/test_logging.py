"""Log lines carry the request id, in text and JSON form{{ "; uvicorn's loggers are routed too" if cookiecutter.with_server }}."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.config import LoggingSettings
from {{ cookiecutter.package_name }}.context import request_id_var
{% if cookiecutter.with_server -%}
from {{ cookiecutter.package_name }}.features.server import uvicorn_loggers
{% endif -%}
from {{ cookiecutter.package_name }}.logging import (
    HandOffHandler,
    configure_logging,
    logging_config,
    stop_logging,
)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Install our configuration writing to a buffer, then restore logging as it was."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def configure(
    settings: LoggingSettings, stream: io.StringIO, routed: dict[str, bool] | None = None
) -> None:
    config = logging_config(settings, routed or {})
    config["handlers"]["default"]["stream"] = stream
    logging.config.dictConfig(config)


def test_text_lines_carry_the_request_id(stream: io.StringIO) -> None:
    configure(LoggingSettings(format="text"), stream)
    token = request_id_var.set("req-123")
    try:
        logging.getLogger("app.test").info("hello %s", "world")
    finally:
        request_id_var.reset(token)
    logging.getLogger("app.test").info("outside")
    first, second = stream.getvalue().splitlines()
    assert "[req-123] hello world" in first
    assert "[-] outside" in second


def test_json_lines_are_objects_with_request_id_and_extras(stream: io.StringIO) -> None:
    configure(LoggingSettings(format="json"), stream)
    token = request_id_var.set("req-456")
    try:
        logging.getLogger("app.test").warning("stored", extra={"key": "a/b", "size": 3})
    finally:
        request_id_var.reset(token)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "stored"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "req-456"
    assert entry["key"] == "a/b"
    assert entry["size"] == 3


def test_json_lines_include_exceptions(stream: io.StringIO) -> None:
    configure(LoggingSettings(format="json"), stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("app.test").exception("failed")
    entry = json.loads(stream.getvalue())
    assert "RuntimeError: boom" in entry["exception"]


@pytest.fixture
def installed() -> Iterator[None]:
    """Room for `configure_logging` itself (writer thread included), undone afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield
    stop_logging()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


@pytest.mark.usefixtures("installed")
def test_the_caller_only_queues_and_the_writer_keeps_every_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LoggingSettings(format="json"))
    assert [type(handler) for handler in logging.getLogger().handlers] == [HandOffHandler]
    sizes = [1, 2]
    token = request_id_var.set("req-789")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("app.test").exception("sizes %s", sizes, extra={"key": "k"})
    finally:
        request_id_var.reset(token)
    sizes.append(3)  # after the call: the queued line must not see it
    stop_logging()
    entry = json.loads(capsys.readouterr().err)
    assert entry["message"] == "sizes [1, 2]"
    assert entry["request_id"] == "req-789", "stamped on the calling side"
    assert entry["key"] == "k"
    assert "RuntimeError: boom" in entry["exception"]


@pytest.mark.usefixtures("installed")
def test_after_stop_lines_are_written_directly(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="text"))
    stop_logging()
    assert not any(isinstance(h, HandOffHandler) for h in logging.getLogger().handlers)
    logging.getLogger("app.test").warning("late line")
    assert "[-] late line" in capsys.readouterr().err


def test_level_filters_lines(stream: io.StringIO) -> None:
    configure(LoggingSettings(level="WARNING"), stream)
    logging.getLogger("app.test").info("quiet")
    logging.getLogger("app.test").warning("loud")
    assert stream.getvalue().count("\n") == 1
{%- if cookiecutter.with_server %}


def test_uvicorn_loggers_go_through_the_same_handler(stream: io.StringIO) -> None:
    settings = LoggingSettings(format="json")
    configure(settings, stream, uvicorn_loggers(settings))
    logging.getLogger("uvicorn.error").info("server line")
    assert json.loads(stream.getvalue())["logger"] == "uvicorn.error"
    assert logging.getLogger("uvicorn.error").handlers == []


def test_access_log_can_be_turned_off(stream: io.StringIO) -> None:
    settings = LoggingSettings(access_log=False)
    configure(settings, stream, uvicorn_loggers(settings))
    logging.getLogger("uvicorn.access").info("GET / 200")
    assert stream.getvalue() == ""
{%- endif %}
