"""The math namespace a derivative rule sees when its gradient is to be differentiated again.

With `grad(..., create_graph=True)` each rule's `backward` runs on graph values (`Value`s or
`Tensor`s) instead of raw numbers; its arithmetic operators then record new nodes by themselves,
and the few `ctx.xp` calls it makes land here, as ops of `functions.py`.  An argument that is
not a graph value (a saved mask, a constant) is computed with the raw math, as in forward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions as F
from .autograd import Node
from .xp import ArrayMath, ScalarMath


def _raw(x: Any) -> Any:
    return ScalarMath if isinstance(x, (float, int)) else ArrayMath


class GraphMath:
    """Each function records an op when given a graph value, else falls back to raw math."""

    @staticmethod
    def exp(x: Any) -> Any:
        return F.Exp.apply(x) if isinstance(x, Node) else _raw(x).exp(x)

    @staticmethod
    def log(x: Any) -> Any:
        return F.Log.apply(x) if isinstance(x, Node) else _raw(x).log(x)

    @staticmethod
    def reciprocal(x: Any) -> Any:
        return F.Div.apply(1.0, x) if isinstance(x, Node) else _raw(x).reciprocal(x)

    @staticmethod
    def divide(a: Any, b: Any) -> Any:
        if isinstance(a, Node) or isinstance(b, Node):
            return F.Div.apply(a, b)
        return _raw(a).divide(a, b)

    @staticmethod
    def power(a: Any, b: Any) -> Any:
        if isinstance(a, Node) or isinstance(b, Node):
            return F.Pow.apply(a, b)
        return _raw(a).power(a, b)

    @staticmethod
    def broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(g, Node):
            return g if g.data.shape == shape else F.BroadcastTo.apply(g, shape=shape)
        return np.broadcast_to(g, shape)

    @staticmethod
    def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
        """Sum a broadcast gradient back to `shape`, as graph ops."""
        if not isinstance(g, Node):
            return ArrayMath.sum_to(g, shape)
        gshape = g.data.shape
        if gshape == shape:
            return g
        lead = len(gshape) - len(shape)
        if lead < 0:
            return GraphMath.broadcast_to(g, shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
        out = F.Sum.apply(g, axis=axes, keepdims=True) if axes else g
        return F.Reshape.apply(out, shape=shape) if out.data.shape != shape else out

    @staticmethod
    def scatter_add(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(g, Node):
            return F.ScatterAdd.apply(g, index=index, shape=shape)
        return ArrayMath.scatter_add(g, index, shape)

    @staticmethod
    def expand_dims(x: Any, axis: int) -> Any:
        if isinstance(x, Node):
            shape = x.data.shape
            ax = axis % (len(shape) + 1)
            return F.Reshape.apply(x, shape=shape[:ax] + (1,) + shape[ax:])
        return np.expand_dims(x, axis)

    @staticmethod
    def swap_last(x: Any) -> Any:
        if isinstance(x, Node):
            nd = x.data.ndim
            axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
            return F.Transpose.apply(x, axes=axes)
        return np.swapaxes(x, -1, -2)
