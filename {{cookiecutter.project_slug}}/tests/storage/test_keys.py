"""Key rules and listing cursors: the same for every backend."""

import pytest

from {{ cookiecutter.package_name }}.storage import (
    InvalidCursorError,
    InvalidKeyError,
    check_key,
)
from {{ cookiecutter.package_name }}.storage.keys import decode_cursor, encode_cursor

GOOD_KEYS = [
    "a",
    "reports/2025/q1.pdf",
    "with space/and-dash_and.dots",
    "ünïcödé/名前.txt",
    ".hidden/..dots.../x.",
    "a" * 255,
    "/".join(["s" * 200] * 5),
]
BAD_KEYS = [
    "",
    "..",
    "../etc/passwd",
    "a/../../b",
    "a/./b",
    "a//b",
    "a/",
    "/etc/passwd",
    "~/x",
    "a\\b",
    "nul\x00byte",
    "line\nbreak",
    "a" * 256,
    "/".join(["s" * 250] * 5),
]


@pytest.mark.parametrize("key", GOOD_KEYS, ids=range(len(GOOD_KEYS)))
def test_plain_relative_keys_are_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_keys_that_could_leave_the_root_are_refused(key: str) -> None:
    with pytest.raises(InvalidKeyError):
        check_key(key)


def test_refusal_is_a_value_error_with_a_short_message() -> None:
    with pytest.raises(ValueError, match=r"invalid key 'x{77}\.\.\.': longer than 1024 bytes"):
        check_key("x" * 2000)


@pytest.mark.parametrize("key", ["a", "reports/2025/q1.pdf", "ünï/名前", "/".join(["a" * 255] * 4)])
def test_cursors_round_trip_and_are_url_safe(key: str) -> None:
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("cursor", ["", "!!!", "not base64?", "AA", encode_cursor("a")[:-1] + "*"])
def test_cursors_no_listing_made_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
