"""Optional packages: the references (micrograd, DeZero, PyTorch, scikit-learn) and tinygrad_edu.

`require(name)` returns the module (or class) or raises `Unavailable` with a one-line note; the
runner turns `Unavailable` into a skipped row, so a missing package never stops the run.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import numpy as np


class Unavailable(Exception):
    """An optional package (or a tinygrad_edu engine) cannot be imported: skip with this note."""


_NOTES: dict[str, str] = {}  # name -> note about how it was imported (shown under the table)


def notes() -> dict[str, str]:
    """Notes on packages that needed a work-around to import (e.g. DeZero on numpy 2)."""
    return dict(_NOTES)


def _import_dezero() -> types.ModuleType:
    """Import DeZero 0.0.13 without touching site-packages.

    DeZero 0.0.13 evaluates `np.int` at import time (a default argument in dezero.transforms),
    which numpy >= 1.24 removed, and imports matplotlib.pyplot for its dataset plots. During the
    import only, we lend numpy an `int` alias and, if matplotlib is absent, an empty stand-in
    module; both are withdrawn afterwards. Neither is used on the paths we time.
    """
    lent_int = not hasattr(np, "int")
    stubs: list[str] = []
    try:
        importlib.import_module("matplotlib.pyplot")
    except ImportError:
        for name in ("matplotlib", "matplotlib.pyplot"):
            if name not in sys.modules:
                sys.modules[name] = types.ModuleType(name)
                stubs.append(name)
    if lent_int:
        np.int = int  # type: ignore[attr-defined]  # noqa: NPY001 - lent on purpose
    try:
        import dezero  # noqa: F401
        import dezero.functions  # noqa: F401
    except Exception as exc:  # any failure: skip DeZero with the reason
        raise Unavailable(f"dezero does not import: {type(exc).__name__}: {exc}") from exc
    finally:
        if lent_int:
            del np.int  # type: ignore[attr-defined]  # noqa: NPY001
        for name in stubs:
            sys.modules.pop(name, None)
    shims = []
    if lent_int:
        shims.append("np.int lent during import (numpy 2)")
    if stubs:
        shims.append("matplotlib stubbed during import")
    if shims:
        _NOTES["dezero"] = "DeZero 0.0.13 imported with " + " and ".join(shims)
    return sys.modules["dezero"]


def require(name: str) -> Any:
    """Import `name` ("torch", "dezero", "micrograd.engine", "tinygrad_edu.Tensor", ...) or raise
    `Unavailable`. A dotted name whose last part is not a module is taken as an attribute, so
    "tinygrad_edu.Tensor" returns the class `Tensor` of package `tinygrad_edu`."""
    if name == "dezero":
        if "dezero.functions" in sys.modules:
            return sys.modules["dezero"]
        return _import_dezero()
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        module_name, _, attr = name.rpartition(".")
        if not module_name:
            raise Unavailable(f"{name} does not import ({exc}); see the `bench` extra") from exc
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc2:
            raise Unavailable(f"{module_name} does not import ({exc2})") from exc2
        if not hasattr(module, attr):
            raise Unavailable(f"{name} is not importable yet") from exc
        return getattr(module, attr)


def version(name: str) -> str:
    """The installed version of a package, or "-" when it is missing (no import side effects
    beyond importlib.metadata)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def as_numpy(x: Any) -> np.ndarray:
    """A result of any engine as a float64 numpy array: a torch tensor (detached), an object
    holding its array in `.data` (a DeZero Variable, a tinygrad_edu Tensor), or anything numpy
    understands."""
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # torch.Tensor
        x = x.detach().numpy()
    elif not isinstance(x, (np.ndarray, np.generic, float, int)) and hasattr(x, "data"):
        x = x.data
    return np.asarray(x, dtype=np.float64)
