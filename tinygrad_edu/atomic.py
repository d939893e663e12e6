"""Files written atomically: a reader sees the old file or the new one, never half of one.

The data goes to a temporary file in the same folder (so `os.replace` is a rename on one file
system), is flushed and fsync'ed, then replaces the target in one step.  If writing fails, the
temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

__all__ = ["write_atomic", "atomic_target"]


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside `path`; on success it replaces `path` (fsync'ed first).

    For writers that want a file name, such as matplotlib's ``fig.savefig(tmp, format="png")``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                   dir=folder)
    except OSError as e:  # a missing or read-only folder: name the file the caller asked for
        raise type(e)(e.errno, e.strerror, path) from None
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


def _mode_for(path: str) -> int:
    """The mode the file would get from a plain open(): the old file's, else 0666 less umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, data: str | bytes) -> str:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically; returns the path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
    return os.fspath(path)
