"""Files written atomically: a reader sees the old file or the new one, never half of one.

The data goes to a temporary file in the same folder (so `os.replace` is a rename on one file
system), is flushed and fsync'ed, then replaces the target in one step.  If writing fails, the
temporary file is removed and the old file is untouched.

A process killed while writing (SIGKILL, a power cut) cannot remove its temporary file, so each
write first removes the ones an earlier write of the same path left behind.  A writer holds a
lock (`flock`) on its temporary file until it is done; the operating system drops the lock when
the process dies, so a temporary file nobody holds is one left behind, and one still held
belongs to a write under way and is kept.  Where there is no `flock` (Windows), a temporary file
is taken as left behind once it is an hour old.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, stale files are found by age
    fcntl = None  # type: ignore[assignment]

__all__ = ["write_atomic", "atomic_target", "remove_left_behind"]

STALE_AGE = 3600.0  # seconds: without flock, a temporary file this old was left behind


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path beside `path`; on success it replaces `path` (fsync'ed first).

    For writers that want a file name, such as matplotlib's ``fig.savefig(tmp, format="png")``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    prefix = "." + os.path.basename(path) + "."
    remove_left_behind(folder, prefix)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as e:  # a missing or read-only folder: name the file the caller asked for
        raise type(e)(e.errno, e.strerror, path) from None
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: no one removes it
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until os.close(fd) or this process's death
    else:  # pragma: no cover - Windows renames no file that is open
        os.close(fd)
    try:
        os.chmod(tmp, _mode_for(path))  # mkstemp makes it private (0600); keep the usual mode
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        if fcntl is not None:
            os.close(fd)


def remove_left_behind(folder: str, prefix: str) -> list[str]:
    """Remove the temporary files `prefix*.tmp` in `folder` that no write holds any more (left
    by a killed one); returns their paths.  Files held by a write under way are kept."""
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}\.tmp")  # mkstemp's 8 characters
    try:
        names = [name for name in os.listdir(folder) if pattern.fullmatch(name)]
    except OSError:  # a missing folder: mkstemp says so next
        return []
    removed = []
    for name in names:
        tmp = os.path.join(folder, name)
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if _left_behind(tmp):
                os.remove(tmp)
                removed.append(tmp)
    return removed


def _left_behind(tmp: str) -> bool:
    """True when no process holds `tmp`'s lock (with flock), or it is `STALE_AGE` old."""
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - os.stat(tmp).st_mtime > STALE_AGE
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a write under way holds it
    finally:
        os.close(fd)
    return True


def _mode_for(path: str) -> int:
    """The mode the file would get from a plain open(): the old file's, else 0666 less umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> str:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically; returns the path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
    return os.fspath(path)
