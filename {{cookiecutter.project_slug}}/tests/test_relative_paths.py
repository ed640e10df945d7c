"""The one rule for relative paths that storage keys and file paths both follow."""

import pytest

from {{ cookiecutter.package_name }}.relative_paths import MAX_PATH_BYTES, relative_path_problem


@pytest.mark.parametrize("path", ["a", "d/e/f.txt", ".hidden", "a..b", "ü/名前", "x" * 255])
def test_plain_relative_paths_have_no_problem(path: str) -> None:
    assert relative_path_problem(path) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty"),
        ("../x", "segment '..' is not allowed"),
        ("a//b", "segment '' is not allowed"),
        ("/etc", "must be relative"),
        ("~/x", "must be relative"),
        ("a\\b", "backslashes are not allowed"),
        ("a\x00b", "control characters are not allowed"),
        ("a\nb", "control characters are not allowed"),
        ("x" * 256, "a segment is longer than 255 bytes"),
        ("\udc80", "not valid UTF-8"),
    ],
)
def test_each_refusal_says_why(path: str, problem: str) -> None:
    assert relative_path_problem(path) == problem


def test_the_length_limit_counts_utf8_bytes_not_characters() -> None:
    """S3 limits keys in bytes: 517 characters of which most take two bytes are too many."""
    path = "/".join(["é" * 100] * 5) + "/" + "é" * 12
    assert len(path) < MAX_PATH_BYTES < len(path.encode())
    assert relative_path_problem(path) == f"longer than {MAX_PATH_BYTES} bytes"
