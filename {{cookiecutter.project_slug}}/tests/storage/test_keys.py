"""Key rules and listing cursors: the same for every backend."""

import re

import pytest

from {{ cookiecutter.package_name }}.storage import (
    InvalidCursorError,
    InvalidKeyError,
    check_key,
)
from {{ cookiecutter.package_name }}.storage.keys import (
    KEY_PATTERN,
    MAX_KEY_BYTES,
    decode_cursor,
    encode_cursor,
)

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


@pytest.mark.parametrize("key", GOOD_KEYS + BAD_KEYS, ids=range(len(GOOD_KEYS + BAD_KEYS)))
def test_the_documented_pattern_says_what_check_key_does(key: str) -> None:
    """KEY_PATTERN (with maxLength) goes into the OpenAPI schema: it must not promise more."""
    documented = re.fullmatch(KEY_PATTERN, key) is not None and len(key) <= MAX_KEY_BYTES
    assert documented == (key in GOOD_KEYS)


@pytest.mark.parametrize("cursor", ["", "AA", "QUJD", "_-_-"])
def test_any_base64url_cursor_is_a_position(cursor: str) -> None:
    """A hand-made cursor cannot break a listing: it only says where to continue."""
    assert isinstance(decode_cursor(cursor), str)


@pytest.mark.parametrize(
    "cursor", ["!!!", "not base64?", "A", "x" * 1367, encode_cursor("a")[:-1] + "*"]
)
def test_cursors_that_are_not_base64url_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
