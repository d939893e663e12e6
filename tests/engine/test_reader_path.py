"""The engine a learner reads: the reader's path is short and the core is small.

Measured, not assumed: `sys.setprofile` lists the package functions one training step of the
book's unit enters (§1-3, §4-3), with their files and lines of source.  What the source must not
hold (import cycles, numpy's private modules, op-name switches in drawings, an engine that
imports the rest of the package) is scanned in tests/project/test_source_rules.py.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from collections.abc import Callable

import numpy as np

import tinygrad_edu
from tinygrad_edu import Tensor, Value

PKG = Path(tinygrad_edu.__file__).resolve().parent
ENGINE = PKG / "engine"


# -- the reader's path -------------------------------------------------------------------------

def entered(step: Callable[[], None]) -> dict[tuple[str, int, str], object]:
    """The package functions `step` enters: (file relative to the package, line, name) -> code."""
    step()  # once before, so that nothing done only the first time (imports) is counted
    seen: dict[tuple[str, int, str], object] = {}
    roots = (str(PKG), str(Path(tinygrad_edu.__file__).parent))  # resolved, and as imported

    def watch(frame, event, arg):  # noqa: ANN001 - the profiler's signature
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(roots):
            rel = str(Path(code.co_filename).resolve().relative_to(PKG))
            seen[(rel, code.co_firstlineno, code.co_name)] = code
    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        step()
    finally:
        sys.setprofile(previous)
    return seen


def source_lines(seen: dict) -> int:
    """Lines of source of the functions entered, docstrings and comments included."""
    return sum(len(inspect.getsourcelines(code)[0]) for code in seen.values())


def unit_on_values() -> None:
    w, x, b = Value(0.5), Value(2.0), Value(-0.3)
    (w * x + b).sigmoid().backward()


def layer_on_tensors() -> None:
    x = Tensor(np.ones((4, 3)))
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    (x @ W.T + b).sigmoid().sum().backward()


def check_path(seen: dict, functions: int, files: int, lines: int) -> None:
    listing = "\n".join(f"  {f}:{line} {name}" for f, line, name in sorted(seen))
    paths = {f for f, _, _ in seen}
    assert all(f.startswith("engine/") for f in paths), f"outside engine/:\n{listing}"
    assert len(seen) <= functions, f"{len(seen)} functions entered (at most {functions}):\n" \
        f"{listing}"
    assert len(paths) <= files, f"{len(paths)} files entered (at most {files}): {sorted(paths)}"
    n = source_lines(seen)
    assert n <= lines, f"{n} lines of source on the path (at most {lines}):\n{listing}"


def test_value_unit_path_is_short() -> None:
    seen = entered(unit_on_values)
    names = {name for _, _, name in seen}
    assert {"apply", "backpropagate", "topological_order", "sigmoid"} <= names  # it was measured
    check_path(seen, functions=16, files=4, lines=150)


def test_tensor_layer_path_is_short() -> None:
    seen = entered(layer_on_tensors)
    names = {name for _, _, name in seen}
    assert {"apply", "backpropagate", "__matmul__", "T", "sum"} <= names
    check_path(seen, functions=26, files=4, lines=280)


def test_the_step_measured_gives_the_books_numbers() -> None:
    """The path above is that of a real step: σ(0.5·2 − 0.3) and its gradients."""
    w, x, b = Value(0.5), Value(2.0), Value(-0.3)
    a = (w * x + b).sigmoid()
    a.backward()
    s = 1.0 / (1.0 + np.exp(-0.7))
    assert abs(a.data - s) < 1e-15
    assert abs(w.grad - s * (1 - s) * 2.0) < 1e-15 and abs(b.grad - s * (1 - s)) < 1e-15


# -- the core: small --------------------------------------------------------------------------

def engine_files() -> list[Path]:
    return sorted(ENGINE.glob("*.py"))


def test_engine_is_at_most_1400_lines() -> None:
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in engine_files())
    assert len(engine_files()) >= 7  # graph, function, ops, fused, value, tensor, __init__
    assert total <= 1400, f"engine/ has {total} lines (at most 1,400)"
