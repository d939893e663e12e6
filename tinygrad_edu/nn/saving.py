"""Saving and loading a network's parameters (the weights w and biases b of §1-3) as `.npz`.

One array per entry of `module.state_dict()`, stored under its name ("layers.0.weight", ...), in
numpy's zip format; frozen entries (`requires_grad=False`) are saved too, and the archive's
comment names them ("tinygrad_edu frozen: 0.weight 0.bias"), so `load` freezes exactly those and
unfreezes the rest (a file without that comment leaves the flags as they are).  `save` writes the
file atomically (`tinygrad_edu.atomic`): a failed or interrupted save leaves the previous file as
it was, and the next save removes the temporary file a killed one left behind.

`load` trusts nothing in the file.  It first reads only the zip directory and each array's
header (name, shape, dtype: a few hundred bytes each) and compares them with the module:
missing, extra, mis-shaped and non-numeric entries are refused with a message naming them
before a single array is read, so a small file that declares a huge array costs nothing.  Then
the arrays are read with `allow_pickle=False` (loading never runs code from the file), and any
damage found on the way (an empty or truncated file, a corrupt member) is reported as one
`ValueError` naming the file and the entry.  The module is changed only when everything was
read.  `tinygrad_edu.nn` re-exports `save` and `load`.

Works with any object that has `state_dict()` (name -> float64 array) and
`load_state_dict(d)`, the contract of `tinygrad_edu.nn.Module`; the frozen flags go through its
`state_requires_grad()` and `set_state_requires_grad(flags)` when it has them.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from typing import Any, Protocol

import numpy as np

from ..atomic import atomic_target
from .module import state_problems

_NPY = np.lib.format
_NUMERIC = "fiub"  # float, signed and unsigned int, bool: what a parameter can be read from
_DAMAGE = (EOFError, OSError, zipfile.BadZipFile, zlib.error)  # a member that cannot be read
_FROZEN = b"tinygrad_edu frozen:"  # the archive comment naming the frozen entries


class HasState(Protocol):
    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> Any: ...


def save(module: HasState, path: str | os.PathLike[str]) -> None:
    """Write every entry of `module.state_dict()` to `path` (exactly that path: no ".npz" added).

    Atomic: the arrays go to a temporary file in the same folder, which replaces `path` only
    once it is complete and on the disk; on any error the old `path` is left as it was.
    """
    state = module.state_dict()
    arrays: dict[str, np.ndarray] = {}
    for name, value in state.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in _NUMERIC:
            raise TypeError(f"save: state_dict entry {name!r} is not numeric (dtype {arr.dtype})")
        arrays[name] = arr.astype(np.float64)
    flags = _requires_grad(module)
    comment = None if flags is None else _frozen_comment(flags)
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as f:
            # a file object: np.savez adds no ".npz" to the name (numpy's stub types **kwds as
            # allow_pickle, hence the ignore)
            np.savez(f, **arrays)  # type: ignore[arg-type]
        if comment is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.comment = comment


def _requires_grad(module: Any) -> dict[str, bool] | None:
    """name -> requires_grad of each state entry, None for an object that does not say."""
    flags = getattr(module, "state_requires_grad", None)
    return flags() if callable(flags) else None


def _frozen_comment(flags: dict[str, bool]) -> bytes:
    """The archive comment naming the frozen entries (a zip comment holds 65,535 bytes)."""
    comment = _FROZEN + " ".join(name for name, trained in flags.items()
                                 if not trained).encode("utf-8")
    if len(comment) > 0xFFFF:
        raise ValueError(f"save: the names of the frozen entries take {len(comment)} bytes, "
                         "more than a zip comment holds (65,535); unfreeze some before saving")
    return comment


def _frozen(archive: zipfile.ZipFile, expected: dict[str, Any]) -> set[str] | None:
    """The entries the archive's comment names frozen; None when it has no such comment."""
    comment = archive.comment
    if not comment.startswith(_FROZEN):
        return None
    try:
        names = comment[len(_FROZEN):].decode("utf-8").split()
    except UnicodeDecodeError:
        raise _Refused("its comment naming the frozen entries is not UTF-8 text") from None
    unknown = [name for name in names if name not in expected]
    if unknown:
        raise _Refused(f"its comment names {', '.join(unknown)} frozen, which the module does "
                       "not have")
    return set(names)


class _Refused(ValueError):
    """A problem with one entry of the file (its message says which and why)."""


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an .npy member declares, from its header alone (no array data)."""
    with archive.open(info) as f:
        version = _NPY.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = _NPY.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = _NPY.read_array_header_2_0(f)
        else:
            raise _Refused(f"its .npy format version {version} is not one save() writes")
    return tuple(shape), dtype


def _headers(archive: zipfile.ZipFile) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """name -> (shape, dtype) of every member; refuses a member that is not an .npy array."""
    found: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise _Refused(f"entry {info.filename!r} is not an array (an .npz holds only .npy "
                           "files)")
        name = info.filename[:-len(".npy")]
        if name in found:
            raise _Refused(f"entry {name!r} appears twice")
        try:
            found[name] = _header(archive, info)
        except _Refused as e:
            raise _Refused(f"entry {name!r}: {e}") from None
        except _DAMAGE as e:
            raise _Refused(f"entry {name!r} is damaged ({e})") from None
        except Exception as e:  # noqa: BLE001 - a header is untrusted text; any parse error
            raise _Refused(f"entry {name!r} has no readable array header "
                           f"({type(e).__name__}: {e})") from None
    return found


def _check(expected: dict[str, tuple[int, ...]],
           headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> list[str]:
    """What keeps the declared arrays from fitting the `expected` shapes, one phrase per kind
    of problem."""
    not_numeric = [f"{k} (dtype {d})" for k, (_, d) in headers.items()
                   if d.hasobject or d.names is not None or d.kind not in _NUMERIC]
    return state_problems(expected, {k: shape for k, (shape, _) in headers.items()},
                          not_numeric, "file", "module")


def _read(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    try:
        with archive.open(name + ".npy") as f:
            return _NPY.read_array(f, allow_pickle=False)
    except (ValueError, *_DAMAGE) as e:
        raise _Refused(f"entry {name!r} is damaged ({e})") from None


def load(module: HasState, path: str | os.PathLike[str]) -> None:
    """Load the arrays in `path` into `module`, after checking they fit it exactly.

    Entries the file marks frozen are frozen, the others unfrozen (see the module docstring).
    Refused with a `ValueError` naming the file and the entries, with the module unchanged,
    when the file is not an .npz archive of plain arrays, lacks an entry of `state_dict()`,
    has an entry the module does not, declares an array of another shape or of a non-numeric
    dtype (checked from the headers, before any array is read), or is damaged.  A missing file
    raises `FileNotFoundError`.
    """
    where = repr(os.fspath(path))
    expected = {k: np.shape(a) for k, a in module.state_dict().items()}
    with open(path, "rb") as f:
        if f.read(len(_NPY.MAGIC_PREFIX)) == _NPY.MAGIC_PREFIX:
            raise ValueError(f"load: {where} holds a single array, not an .npz archive of named "
                             "arrays (write it with save()); nothing was loaded")
    try:
        with zipfile.ZipFile(path) as archive:
            problems = _check(expected, _headers(archive))
            if problems:
                raise ValueError(f"load: {where} does not fit {type(module).__name__}; "
                                 + "; ".join(problems) + ". Nothing was loaded.")
            frozen = _frozen(archive, expected)
            arrays = {name: _read(archive, name) for name in expected}
    except _Refused as e:
        raise ValueError(f"load: {where}: {e}; refused, nothing was loaded") from None
    except _DAMAGE as e:
        raise ValueError(f"load: {where} is not a numpy .npz file of plain arrays ({e}); "
                         "refused, nothing was loaded") from None
    module.load_state_dict({k: a.astype(np.float64) for k, a in arrays.items()})
    set_flags = getattr(module, "set_state_requires_grad", None)
    if frozen is not None and callable(set_flags):
        set_flags({name: name not in frozen for name in expected})
