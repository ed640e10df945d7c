"""The blocking filesystem steps of LocalStorage (local.py runs each in a worker thread).

Listing a directory in key order, metadata records, pruning empty directories and sweeping
uploads a crash left behind.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from ..transfer import atomic_write_blocking

logger = logging.getLogger(__name__)

# A metadata file that cannot be read or parsed counts as missing.
_UNREADABLE_ERRORS = (OSError, ValueError)


def sorted_entries(directory: Path) -> list[tuple[str, os.DirEntry[str]]]:
    """Regular files and directories (as "name/"); symlinks and odd names are not objects."""
    entries = []
    with os.scandir(directory) as scan:
        for entry in scan:
            try:
                entry.name.encode()
            except UnicodeEncodeError:
                continue  # not UTF-8: no key can name it
            if entry.is_dir(follow_symlinks=False):
                entries.append((entry.name + "/", entry))
            elif entry.is_file(follow_symlinks=False):
                entries.append((entry.name, entry))
    entries.sort(key=lambda item: item[0])
    return entries


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Replace `path` atomically with `record`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write_blocking(path) as file:
        file.write(json.dumps(record).encode())


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        with path.open(encoding="utf-8") as file:
            record = json.load(file)
    except _UNREADABLE_ERRORS:
        return None
    return record if isinstance(record, dict) else None


def prune(directory: Path, *, stop: Path) -> None:
    """Remove empty directories from `directory` up to (not including) `stop`."""
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (or already gone): stop here
        directory = directory.parent


def sweep(directory: Path, older_than: float) -> None:
    with os.scandir(directory) as scan:
        stale = [
            Path(entry.path)
            for entry in scan
            if entry.is_file(follow_symlinks=False)
            and entry.stat(follow_symlinks=False).st_mtime < older_than
        ]
    for path in stale:
        logger.info("removing an upload left behind by a crash: %s", path)
        path.unlink(missing_ok=True)


__all__ = ["prune", "read_json", "sorted_entries", "sweep", "write_json"]
