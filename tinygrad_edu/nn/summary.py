"""`summary(module, input_shape)`: every layer, its output shape and its number of parameters.

As Keras's `model.summary()` and torchinfo's `summary(model, input_size)`: the module runs once
on zeros of `input_shape` (under `no_grad`), and a forward hook on every sub-module records what
it gave.  For the book's 12-3-2 network on the tensor engine, `summary(net, (64, 12))` prints

    layer       type     output shape  parameters
    layers.0    Linear   (64, 3)               39
    layers.1    Linear   (64, 2)                8
    total: 47 parameters
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np

from ..engine import no_grad
from .module import Module

__all__ = ["summary", "SummaryText"]


class SummaryText(str):
    """The table `summary` printed, as a string.  Jupyter shows a cell's last value: this one
    shows nothing there, since the table is on the page already (printed once, not twice)."""

    def _ipython_display_(self) -> None:
        pass


def _shape(output: Any) -> tuple[int, ...] | None:
    """The shape of a `Tensor` or array, of a `Value` (()), or of a list of them (the scalar
    engine's layer outputs: (units,) for one image, (images, units) for a batch)."""
    if hasattr(output, "shape"):
        return tuple(output.shape)
    if isinstance(output, (list, tuple)):
        inner = _shape(output[0]) if output else ()
        return None if inner is None else (len(output), *inner)
    if hasattr(output, "data"):  # a Value
        return ()
    return None


def _count(module: Module) -> int:
    return sum(int(np.size(p.data)) for p in module.parameters())


def summary(module: Module, input_shape: tuple[int, ...],
            file: TextIO | None = None) -> SummaryText:
    """Print (to `file`, default stdout) and return a table of `module`'s sub-modules, parents
    first and indented by depth: name, type, output shape, parameters (its own and its
    sub-modules').  `input_shape` is the shape of the input: a batch `(N, 12)` on the tensor
    engine, one image `(12,)` or a batch on the scalar engine, `(N, 1, 6, 6)` for a CNN."""
    if not isinstance(module, Module):
        raise TypeError(f"summary needs an nn.Module, got {type(module).__name__}")
    shapes: dict[int, tuple[int, ...] | None] = {}
    named = [(name, m) for name, m in module.named_modules() if m is not module] or \
        [(type(module).__name__, module)]
    handles = [m.register_forward_hook(
        lambda mod, inputs, output: shapes.__setitem__(id(mod), _shape(output)))
        for _, m in named]
    try:
        with no_grad():
            module(np.zeros(tuple(input_shape)))
    finally:
        for handle in handles:
            handle.remove()
    rows = [("layer", "type", "output shape", "parameters")]
    for name, m in named:
        depth = _depth(name)
        shape = shapes.get(id(m))
        rows.append(("  " * depth + name, type(m).__name__,
                     "-" if shape is None else str(shape), str(_count(m))))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
             f"{r[3]:>{widths[3]}}" for r in rows]
    lines.append(f"total: {_count(module)} parameters")
    text = SummaryText("\n".join(lines))
    print(text, file=file or sys.stdout)
    return text


def _depth(name: str) -> int:
    """How deep a dotted name sits: "layers.0" is 0, "layers.0.neurons.2" is 1 (list items
    count with their list)."""
    parts = name.split(".")
    return sum(1 for p in parts if not p.isdigit()) - 1
