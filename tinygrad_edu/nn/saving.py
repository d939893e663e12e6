"""Saving and loading a network's parameters (the weights w and biases b of §1-3) as `.npz`.

One array per entry of `module.state_dict()`, stored under its name ("layers.0.weight", ...), in
numpy's zip format.  Loading uses `np.load(..., allow_pickle=False)`: a file can hold only plain
numeric arrays, so loading never runs code from the file.  Before anything is loaded the file
is compared with the module: missing, extra and mis-shaped arrays are refused with a message
naming them, and the module is left unchanged.  `tinygrad_edu.nn` re-exports `save` and `load`.

Works with any object that has `state_dict()` (name -> float64 array) and
`load_state_dict(d)`, the contract of `tinygrad_edu.nn.Module`.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, Protocol

import numpy as np

from .module import compare_state


class HasState(Protocol):
    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> Any: ...


def save(module: HasState, path: str | os.PathLike[str]) -> None:
    """Write every entry of `module.state_dict()` to `path` (exactly that path: no ".npz" added)."""
    state = module.state_dict()
    arrays: dict[str, np.ndarray] = {}
    for name, value in state.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"save: state_dict entry {name!r} is not numeric (dtype {arr.dtype})")
        arrays[name] = arr.astype(np.float64)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _read(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """All arrays in the file, refusing anything that would need pickle (object arrays)."""
    where = repr(os.fspath(path))
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"load: {where} is not a numpy .npz file of plain arrays ({e}); "
                         "refused, nothing was loaded") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {where} holds a single array, not an .npz archive of named "
                         "arrays (write it with save()); nothing was loaded")
    with archive:
        arrays: dict[str, np.ndarray] = {}
        for name in archive.files:
            try:
                arrays[name] = archive[name]
            except ValueError as e:  # an object array: reading it would need pickle
                raise ValueError(f"load: array {name!r} in {where} is not plain numbers ({e}); "
                                 "refused, nothing was loaded") from None
        return arrays


def load(module: HasState, path: str | os.PathLike[str]) -> None:
    """Load the arrays in `path` into `module`, after checking they fit it exactly.

    Refused with a `ValueError` naming them, with the module unchanged, when the file lacks an
    entry of `state_dict()`, has an entry the module does not, has an array of another shape,
    or holds anything but plain numbers.
    """
    arrays = _read(path)
    expected = module.state_dict()
    missing, extra, wrong = compare_state({k: np.shape(a) for k, a in expected.items()},
                                          {k: a.shape for k, a in arrays.items()})
    misshaped = [f"{k} (file {got}, module {want})" for k, got, want in wrong]
    not_numeric = [f"{k} (dtype {arrays[k].dtype})" for k in arrays
                   if arrays[k].dtype.kind not in "fiub"]
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if extra:
        problems.append("extra: " + ", ".join(extra))
    if misshaped:
        problems.append("mis-shaped: " + ", ".join(misshaped))
    if not_numeric:
        problems.append("not numeric: " + ", ".join(not_numeric))
    if problems:
        raise ValueError(f"load: {os.fspath(path)!r} does not fit {type(module).__name__}; "
                         + "; ".join(problems) + ". Nothing was loaded.")
    module.load_state_dict({k: arrays[k].astype(np.float64) for k in expected})
