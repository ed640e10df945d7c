"""LocalStorage: plain files under objects/, metadata apart, nothing partial ever visible."""

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.storage import (
    InvalidKeyError,
    KeyConflictError,
    ObjectNotFound,
    ObjectTooLargeError,
)
from {{ cookiecutter.package_name }}.storage.local import STALE_UPLOAD_SECONDS, LocalStorage
from {{ cookiecutter.package_name }}.transfer import SizeLimitError

from .conftest import MIB, chunked, sha256


class SourceFailed(Exception):
    """Raised by a test source halfway through."""


def files_below(root: Path) -> list[str]:
    """Every file below `root`, relative, sorted (a helper: async tests stay off the disk)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def read(storage: LocalStorage, key: str) -> bytes:
    async with await storage.get_stream(key) as stream:
        return b"".join([chunk async for chunk in stream.chunks])


async def failing_after(data: bytes) -> AsyncIterator[bytes]:
    yield data
    raise SourceFailed


async def test_round_trip_keeps_bytes_type_and_sha256(local: LocalStorage) -> None:
    data = os.urandom(3 * MIB + 5)
    info = await local.put_stream("docs/a.bin", chunked(data, 65536), content_type="x/y")
    assert (info.key, info.size, info.etag, info.content_type) == (
        "docs/a.bin",
        len(data),
        sha256(data),
        "x/y",
    )
    assert await read(local, "docs/a.bin") == data
    assert await local.head("docs/a.bin") == info


async def test_objects_are_plain_files_and_metadata_lives_apart(local: LocalStorage) -> None:
    await local.put_stream("a/b.txt", chunked(b"hello", 2), content_type="text/plain")
    assert (local.root / "objects" / "a" / "b.txt").read_bytes() == b"hello"
    digest = hashlib.sha256(b"a/b.txt").hexdigest()
    assert files_below(local.root) == [f"meta/{digest[:2]}/{digest}.json", "objects/a/b.txt"]


@pytest.mark.parametrize("failure", ["source-fails", "too-large"])
async def test_failed_upload_leaves_no_file(local: LocalStorage, failure: str) -> None:
    def source() -> AsyncIterator[bytes]:
        if failure == "source-fails":
            return failing_after(b"x" * MIB)
        return chunked(b"x" * (MIB + 1), 4096)

    await local.put_stream("keep.txt", chunked(b"old", 3))
    before = files_below(local.root)
    with pytest.raises((SourceFailed, ObjectTooLargeError)):
        await local.put_stream("new.bin", source(), max_bytes=MIB)
    with pytest.raises((SourceFailed, ObjectTooLargeError)):
        await local.put_stream("keep.txt", source(), max_bytes=MIB)
    assert files_below(local.root) == before
    assert await read(local, "keep.txt") == b"old"


async def test_too_large_upload_names_its_limit_and_key(local: LocalStorage) -> None:
    with pytest.raises(ObjectTooLargeError) as refused:
        await local.put_stream("big.bin", chunked(b"x" * (MIB + 1), 4096), max_bytes=MIB)
    assert isinstance(refused.value, SizeLimitError), "one base with the files' limit error"
    assert (refused.value.limit, refused.value.key) == (MIB, "big.bin")


async def test_cancelled_upload_leaves_no_file(local: LocalStorage) -> None:
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"x" * MIB
        started.set()
        await asyncio.Event().wait()
        yield b"unreachable"

    task = asyncio.create_task(local.put_stream("big.bin", stalls()))
    await started.wait()
    assert len(files_below(local.root / "tmp")) == 1, "the first chunk is on disk"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files_below(local.root) == []


async def test_overwrite_replaces_bytes_and_type(local: LocalStorage) -> None:
    await local.put_stream("k", chunked(b"one", 3), content_type="text/plain")
    info = await local.put_stream("k", chunked(b"second", 3), content_type="image/png")
    assert await read(local, "k") == b"second"
    assert (await local.head("k")).content_type == "image/png" == info.content_type


@pytest.mark.parametrize(("first", "second"), [("a", "a/b"), ("a/b", "a")])
async def test_a_file_cannot_also_be_a_directory(
    local: LocalStorage, first: str, second: str
) -> None:
    await local.put_stream(first, chunked(b"1", 1))
    before = files_below(local.root)
    with pytest.raises(KeyConflictError):
        await local.put_stream(second, chunked(b"2", 1))
    assert files_below(local.root) == before, "no staging file, no metadata left"


async def test_delete_removes_data_metadata_and_empty_directories(local: LocalStorage) -> None:
    await local.put_stream("x/y/z.txt", chunked(b"z", 1))
    await local.put_stream("x/keep.txt", chunked(b"k", 1))
    await local.delete("x/y/z.txt")
    await local.delete("x/y/z.txt")  # again: missing keys are fine
    await local.delete("x")  # a "directory" is not an object
    assert not (local.root / "objects" / "x" / "y").exists()
    assert [name for name in files_below(local.root) if name.startswith("objects/")] == [
        "objects/x/keep.txt"
    ]
    assert len(files_below(local.root / "meta")) == 1
    with pytest.raises(ObjectNotFound):
        await local.head("x/y/z.txt")


@pytest.mark.parametrize("key", ["missing", "dir", "dir/missing", "file.txt/below"])
async def test_missing_keys_raise_object_not_found(local: LocalStorage, key: str) -> None:
    await local.put_stream("dir/inner", chunked(b"i", 1))
    await local.put_stream("file.txt", chunked(b"f", 1))
    with pytest.raises(ObjectNotFound):
        await local.head(key)
    with pytest.raises(ObjectNotFound):
        await local.get_stream(key)


async def test_listing_is_in_key_order_across_directories(local: LocalStorage) -> None:
    keys = ["a-c", "a/b", "a/b0/c", "a0", "b", "a/b.txt", "a/a/a/a", "Z", "é"]
    for key in keys:
        await local.put_stream(key, chunked(key.encode(), 2))
    page = await local.list_page(limit=100)
    assert [item.key for item in page.items] == sorted(keys)
    assert page.next_cursor is None
    assert [item.size for item in page.items] == [len(k.encode()) for k in sorted(keys)]


async def test_pages_follow_each_other_without_gaps_or_repeats(local: LocalStorage) -> None:
    keys = [*sorted(f"p/{i % 3}/{i:03}" for i in range(25)), "p0", "q/1"]
    for key in keys:
        await local.put_stream(key, chunked(b".", 1))
    seen: list[str] = []
    cursor = None
    while True:
        page = await local.list_page("p", limit=4, cursor=cursor)
        assert len(page.items) <= 4
        seen += [item.key for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(key for key in keys if key.startswith("p"))
    only = await local.list_page("p/1/", limit=100)
    assert [item.key for item in only.items] == [k for k in keys if k.startswith("p/1/")]


def open_writer_when_read(fifo: Path) -> int | None:
    """The FIFO's write end once a reader waits on it; None while nobody reads it."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: no reader yet
        return None


def release(writer: int) -> None:
    os.write(writer, b"{}")
    os.close(writer)


async def test_listing_skips_objects_deleted_while_it_runs(local: LocalStorage) -> None:
    """A file or directory removed by a delete mid-walk is left out, not a StorageError.

    The walk reads "a" first; its metadata file is a FIFO, so the walk waits there (after it
    read the directory) until the deletes of "b" and "c/d" (which prunes c/) are done.
    """
    for key in ("race/a", "race/b", "race/c/d"):
        await local.put_stream(key, chunked(b".", 1))
    digest = sha256(b"race/a")
    fifo = local.root / "meta" / digest[:2] / f"{digest}.json"
    fifo.unlink()
    os.mkfifo(fifo)
    listing = asyncio.ensure_future(local.list_page("race/"))
    while (writer := await asyncio.to_thread(open_writer_when_read, fifo)) is None:
        assert not listing.done(), listing
        await asyncio.sleep(0.01)
    try:
        await local.delete("race/b")
        await local.delete("race/c/d")
    finally:
        await asyncio.to_thread(release, writer)
    page = await listing
    assert [item.key for item in page.items] == ["race/a"]


async def test_metadata_that_does_not_match_the_file_is_ignored(local: LocalStorage) -> None:
    info = await local.put_stream("k", chunked(b"original", 4), content_type="text/plain")
    data_file = local.root / "objects" / "k"
    data_file.write_bytes(b"changed by hand")  # same inode, new size and time
    changed = await local.head("k")
    assert changed.content_type is None
    assert changed.etag != info.etag
    assert changed.size == len(b"changed by hand")


async def test_open_stream_reads_the_version_it_opened(local: LocalStorage) -> None:
    await local.put_stream("k", chunked(b"A" * MIB, MIB), content_type="text/a")
    async with await local.get_stream("k") as stream:
        await local.put_stream("k", chunked(b"B" * 10, 10), content_type="text/b")
        data = b"".join([chunk async for chunk in stream.chunks])
    assert (stream.info.size, stream.info.content_type, data) == (MIB, "text/a", b"A" * MIB)
    assert await read(local, "k") == b"B" * 10


async def test_symlink_out_of_the_root_is_refused(local: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    (local.root / "objects" / "link").symlink_to(outside)
    with pytest.raises(InvalidKeyError):
        await local.get_stream("link/secret")
    with pytest.raises(InvalidKeyError):
        await local.put_stream("link/new", chunked(b"x", 1))
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (await local.list_page()).items == ()


async def test_open_removes_only_stale_uploads(tmp_path: Path) -> None:
    tmp = tmp_path / "store" / "tmp"
    tmp.mkdir(parents=True)
    (tmp / "stale.upload").write_bytes(b"x")
    (tmp / "fresh.upload").write_bytes(b"y")
    old = time.time() - STALE_UPLOAD_SECONDS - 60
    os.utime(tmp / "stale.upload", (old, old))
    async with LocalStorage(tmp_path / "store"):
        pass
    assert files_below(tmp) == ["fresh.upload"]
