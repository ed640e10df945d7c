"""Directory operations, temporary directories and safe_join."""

import os
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.files import (
    UnsafePathError,
    check_relative,
    copy,
    iter_file,
    makedirs,
    move,
    rmtree,
    safe_join,
    temporary_directory,
)
from {{ cookiecutter.package_name }}.storage import InvalidKeyError, check_key


async def test_copy_move_makedirs_rmtree(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"payload" * 1000)
    nested = await makedirs(tmp_path / "x" / "y")
    copied = await copy(source, nested / "b.bin")
    assert copied.read_bytes() == source.read_bytes()
    moved = await move(copied, tmp_path / "c.bin")
    assert moved.read_bytes() == source.read_bytes()
    assert not copied.exists()
    await rmtree(tmp_path / "x")
    assert not (tmp_path / "x").exists()
    await rmtree(tmp_path / "x", missing_ok=True)
    with pytest.raises(FileNotFoundError):
        await rmtree(tmp_path / "x")


async def test_iter_file_yields_bounded_chunks(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"z" * 10_001)
    sizes = [len(chunk) async for chunk in iter_file(tmp_path / "f", chunk_size=4096)]
    assert sizes == [4096, 4096, 1809]


async def test_temporary_directory_is_removed_with_its_content(tmp_path: Path) -> None:
    async with temporary_directory(parent=tmp_path) as directory:
        (directory / "inner").write_text("x")
        assert directory.parent == tmp_path
    assert not directory.exists()


@pytest.mark.parametrize(
    "good", ["a.txt", "dir/sub/file.bin", "ünïcode/名前.txt", "a..b", ".hidden"]
)
async def test_safe_join_accepts_plain_relative_paths(tmp_path: Path, good: str) -> None:
    assert await safe_join(tmp_path, good) == tmp_path.joinpath(*good.split("/"))


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "a/../../b",
        "a/./b",
        "/etc/passwd",
        "~/x",
        "a//b",
        "",
        "nul\x00byte",
        "back\\slash",
        "x" * 256,
        "a/" * 600,
    ],
)
async def test_safe_join_refuses_traversal_and_odd_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UnsafePathError):
        await safe_join(tmp_path, bad)


async def test_safe_join_refuses_symlinks_that_leave_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "escape")
    os.symlink(root / "real", root / "inside")
    (root / "real").mkdir()
    with pytest.raises(UnsafePathError, match="outside"):
        await safe_join(root, "escape/secret.txt")
    assert await safe_join(root, "inside/ok.txt") == root / "inside" / "ok.txt"


@pytest.mark.parametrize(
    "path",
    ["a.txt", "d/f", "../x", "a\nb", "tab\tname", "é" * 513, "x" * 1024, "x" * 1025, "~", "a/"],
)
def test_file_paths_and_storage_keys_follow_one_rule(path: str) -> None:
    """A key the local backend stores is exactly a path the file helpers accept."""
    try:
        check_relative(path)
    except UnsafePathError:
        with pytest.raises(InvalidKeyError):
            check_key(path)
    else:
        assert check_key(path) == path
