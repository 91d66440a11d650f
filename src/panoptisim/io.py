"""Files written whole or not at all, and output folders checked before anything runs.

A file is written under a hidden temporary name beside its destination and renamed into
place (``os.replace``, atomic on POSIX), so an interrupted write never leaves a partial
file under the final name. Files and folders get the modes the user's umask gives a new
file or folder (0644 and 0755 under the usual 022), not the private modes of the
temporary names they are built under.

A folder is built inside a hidden *partial folder* beside its destination,
``.NAME.partial-<pid>-<host>-<random>`` (``<host>``: 8 hex digits of the host name's
digest), and renamed into place when complete. A process killed outright (SIGKILL, power
loss) leaves its partial folder behind; the next folder written into the same parent
removes it once no process of that id runs on this host (:func:`remove_stale_partials`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
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


#: A partial folder's name: its process id, its host's tag and mkdtemp's random letters.
PARTIAL = re.compile(r"^\..+\.partial-(?P<pid>[1-9][0-9]*)-(?P<host>[0-9a-f]{8})-[a-z0-9_]{8}$")


def host_tag() -> str:
    """8 hex digits of this host's name's digest (a partial folder's ``<host>``)."""
    return hashlib.blake2s(socket.gethostname().encode(), digest_size=4).hexdigest()


def partial_prefix(path: Path) -> str:
    """The start of the name of this process's partial folder for ``path``."""
    return f".{Path(path).name}.partial-{os.getpid()}-{host_tag()}-"


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (``os.kill(pid, 0)``; one of another
    user counts, and so does any answer but "no such process")."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove the partial folders in ``parent`` whose process has ended: made on this host
    by a process id that no longer runs. Those of live processes, of other hosts and of
    unknown makers (any other name) are kept. Returns the folders removed."""
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return []
    removed, here = [], host_tag()
    for entry in entries:
        match = PARTIAL.match(entry.name)
        if (match is None or match["host"] != here or process_alive(int(match["pid"]))
                or entry.is_symlink() or not entry.is_dir()):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _check_named(path: Path, option: str) -> None:
    """Refuse a destination without a folder name of its own (``.``, ``..``, ``/``): the
    folder is built under its name beside it and renamed into place."""
    if Path(path).name in ("", ".", ".."):
        raise InputError(f"{option} '{path}' names no new folder: give a folder's name, e.g. "
                         f"'{Path(path) / 'run'}'")


def check_new_folder(path: Path, option: str = "--out") -> None:
    """Refuse (InputError) a destination that is a symbolic link (even to an empty folder,
    or dangling), an existing file or a folder that is not empty, or that cannot be created
    because its nearest existing parent is not a folder this process can write in (tried by
    making and removing a partial folder there: ``os.access`` tells root yes even in /proc)."""
    path = Path(path)
    _check_named(path, option)
    if path.is_symlink():
        raise InputError(f"{option} '{path}' is a symbolic link (to '{os.readlink(path)}'): "
                         f"give the path of a new folder, not a link")
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} '{path}' is an existing file: choose a new folder")
    if path.exists() and any(path.iterdir()):
        raise InputError(f"{option} '{path}' already exists and is not empty: choose a new "
                         f"folder")
    parent = Path(os.path.abspath(path)).parent
    while not parent.is_dir():
        if os.path.lexists(parent):
            raise InputError(f"{option} '{path}' cannot be created: '{parent}' is not a "
                             f"folder")
        parent = parent.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=partial_prefix(path), dir=parent))
    except OSError as exc:
        raise InputError(f"{option} '{path}' cannot be created: '{parent}' is not a writable "
                         f"folder ({exc.strerror})") from None


def written_meanwhile(path: Path, option: str = "--out") -> InputError:
    """The error of a destination that another process filled while this one worked."""
    return InputError(f"{option} '{path}' was written by another run meanwhile: this run's "
                      f"results were not kept; choose a new folder")


@contextmanager
def folder_atomic(path: Path, option: str = "--out") -> Iterator[Path]:
    """Build a folder named ``path.name`` inside this process's partial folder (see the
    module) and rename it to ``path`` only when the ``with`` block completes; on any
    exception (Ctrl-C included) the partial folder is removed, so no folder ever stands
    half-written under its final name. ``path`` may be an empty folder (one the user made:
    the rename replaces it); if another process filled it meanwhile, InputError
    (:func:`written_meanwhile`). Stale partial folders in the parent are removed first
    (:func:`remove_stale_partials`)."""
    path = Path(path)
    _check_named(path, option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(path.parent)
        partial = Path(tempfile.mkdtemp(prefix=partial_prefix(path), dir=path.parent))
    except OSError as exc:
        raise InputError(f"{option} '{path}' cannot be created: {exc.strerror}") from None
    folder = partial / path.name  # the folder's own name while it is built (reports show it)
    try:
        folder.mkdir()  # the umask's mode; the partial folder itself stays private (0700)
        yield folder
        try:
            os.replace(folder, path)  # atomic; replaces an empty folder, never a full one
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise written_meanwhile(path, option) from None
            raise InputError(f"{option} '{path}' cannot be written: {exc.strerror}") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        partial.rmdir()
    except OSError:  # left behind: removed as stale by a later folder
        pass
