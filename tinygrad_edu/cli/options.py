"""What the commands share about their options: argument types (a bad value becomes argparse's
one-line error), the check of the output paths before any work, and the writing of results."""

from __future__ import annotations

import argparse
import json
import math
import os
from typing import Any, TypeVar
from collections.abc import Callable

from ..atomic import write_atomic
from . import CommandLineError

T = TypeVar("T")


def positive_float(text: str) -> float:
    """A learning rate η: a finite number > 0."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not x > 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return x


def _at_least(text: str, low: int) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < low:
        raise argparse.ArgumentTypeError(f"must be {low} or more, got {n}")
    return n


def count(text: str) -> int:
    """A number of steps or a seed: a whole number >= 0."""
    return _at_least(text, 0)


def positive_count(text: str) -> int:
    """A number of epochs: a whole number >= 1."""
    return _at_least(text, 1)


def _nearest_existing(path: str) -> str:
    """`path` itself or the nearest folder above it that exists."""
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _check_folder(option: str, folder: str) -> None:
    """A folder to write into: it exists, or can be made (the nearest existing part above it
    is a folder we may write in)."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CommandLineError(f"{option} {folder}: exists and is not a folder; give a folder")
    base = _nearest_existing(folder)
    if not os.path.isdir(base):
        raise CommandLineError(f"{option} {folder}: cannot be made, {base} is a file; give a "
                               "folder")
    if not os.access(base, os.W_OK):
        raise CommandLineError(f"{option} {folder}: {base} is not writable; give another folder")


def _check_file(option: str, path: str) -> None:
    """A file to write: its folder exists and is writable, and it is not itself a folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CommandLineError(f"{option} {path}: is a folder, expected a file name")
    if not os.path.isdir(folder):
        raise CommandLineError(f"{option} {path}: folder {folder} does not exist; create it "
                               "first or give another path")
    if not os.access(folder, os.W_OK):
        raise CommandLineError(f"{option} {path}: folder {folder} is not writable; give "
                               "another path")


def check_paths(args: argparse.Namespace) -> None:
    """Refuse impossible output paths before any work: `--out`, `--render` and `--play` are
    folders (made when missing), `--json` a file in an existing folder.  Options a command does
    not have are skipped."""
    for name in ("out", "render", "play"):
        folder = getattr(args, name, None)
        if folder:
            _check_folder(f"--{name}", folder)
    if getattr(args, "json", None):
        _check_file("--json", args.json)


def writing(option: str, path: Any, write: Callable[[], T]) -> T:
    """Run `write()`, which writes `path` for `option`; a failure becomes one line, exit 2."""
    try:
        return write()
    except OSError as e:
        what = f"{e.filename}: " if e.filename and os.fspath(e.filename) != os.fspath(path) else ""
        raise CommandLineError(f"{option} {path}: could not write {what}{e.strerror or e}; "
                               "check the path and the free space") from None


def write_json(path: str, record: dict[str, Any]) -> None:
    """The `--json` record as strict JSON, written atomically (a failure leaves any old file as
    it was).  JSON has no NaN or infinity: a non-finite number (the cost of a run that
    diverged) is written as null, which every JSON reader accepts and `--init` refuses."""
    text = json.dumps(finite_or_null(record), indent=1, allow_nan=False) + "\n"
    writing("--json", path, lambda: write_atomic(path, text))


def finite_or_null(x: Any) -> Any:
    """`x` with every NaN or infinite float, in lists and dicts at any depth, made None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: finite_or_null(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite_or_null(v) for v in x]
    return x
