"""Files written whole or not at all: every file the library and its commands write goes here.

`atomic_write(path, write)` lets `write(f)` fill a temporary file in the same folder as `path`,
flushes it and syncs it to the disk, and only then renames it over `path` (`os.replace`, one
atomic step on POSIX and Windows).  A failure or an interruption at any moment leaves either the
old file or the new one, never a half-written one, and no temporary file behind.
"""

from __future__ import annotations

import os
import secrets
from typing import BinaryIO, Callable

__all__ = ["atomic_write", "atomic_write_text"]


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Write the file `path` with `write(f)` (f: a binary file), atomically.

    The temporary file ".{name}.{random}.tmp" is made in the folder of `path` (a rename never
    crosses file systems), with the permissions a new file normally gets.  Any error, in `write`
    or in the rename, removes it and is raised again with `path` named in it; the previous
    contents of `path`, if any, are untouched.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:  # the folder is missing, read-only, ...: name the file the user gave
        if e.errno is None:
            raise
        raise type(e)(e.errno, e.strerror, target) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.errno is not None and e.filename in (tmp, None):
            raise type(e)(e.errno, e.strerror, target) from None
        raise
    _sync_folder(folder)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """`atomic_write` of a UTF-8 text."""
    data = text.encode("utf-8")
    atomic_write(path, lambda f: f.write(data))
