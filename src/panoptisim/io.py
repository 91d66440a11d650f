"""Files written whole or not at all, and output folders checked before anything runs.

A file is written under a hidden temporary name beside its destination and renamed into
place (``os.replace``, atomic on POSIX), so an interrupted write never leaves a partial
file under the final name. Files and folders get the modes the user's umask gives a new
file or folder (0644 and 0755 under the usual 022), not the private modes of the
temporary names they are built under.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim.errors import InputError


def umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux's
    /proc/self/status), else set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets under the user's umask (0644 under 022)."""
    return 0o666 & ~umask()


def folder_mode() -> int:
    """The mode a new folder gets under the user's umask (0755 under 022)."""
    return 0o777 & ~umask()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (parent folders are created; the mode a new
    file gets under the user's umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_text(doc: Any) -> str:
    """Deterministic JSON text: two-space indent, keys in insertion order, no NaN."""
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def write_json_atomic(path: Path, doc: Any) -> None:
    """Deterministic JSON (see :func:`json_text`), written atomically."""
    write_bytes_atomic(path, json_text(doc).encode())


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """A Parquet file, written atomically (built in memory: for small tables)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    write_bytes_atomic(path, sink.getvalue().to_pybytes())


def check_new_folder(path: Path, option: str = "--out") -> None:
    """Refuse (InputError) a destination folder that exists and is not empty, or that cannot
    be created because its nearest existing parent is not a writable folder."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"{option} '{path}' already exists and is not empty: choose a new "
                         f"folder")
    parent = path.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"{option} '{path}' cannot be created: '{parent}' is not a writable "
                         f"folder")


@contextmanager
def folder_atomic(path: Path, option: str = "--out") -> Iterator[Path]:
    """Build a folder under a hidden sibling name (``.NAME.partial-*``) and rename it to
    ``path`` only when the ``with`` block completes; on any exception (Ctrl-C included) the
    partial folder is removed, so no folder ever stands half-written under its final name.
    ``path`` may exist if it is empty (a folder the user made)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    except OSError as exc:
        raise InputError(f"{option} '{path}' cannot be created: {exc.strerror}") from None
    try:
        yield tmp
        os.chmod(tmp, folder_mode())  # mkdtemp's folder is private (0700)
        if path.exists():  # an empty folder the user made
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
