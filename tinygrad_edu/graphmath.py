"""What a derivative rule sees when its gradient is to be differentiated again.

Under `grad(..., create_graph=True)` each rule runs on a `GraphView` of its node instead of the
node itself: the same roles (`args`, `out`, `saved_values`), but holding graph values (`Value`s
or `Tensor`s) wherever the operand takes part in the graph, so the rule's arithmetic records new
nodes by itself.  The few `ctx.xp` calls a rule makes land in `GraphMath`, as ops of
`functions.py`; an argument that is not a graph value (a mask, a constant) gets the raw math.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions as F
from .autograd import Node
from .xp import ArrayMath, ScalarMath


class GraphView:
    """A node seen by its rule as graph values: `args[i]` is the input node where the operand
    has one (else the raw constant), `out` is the node itself; the rest reads through."""

    __slots__ = ("_node", "args", "out", "saved_values")

    def __init__(self, node: Node) -> None:
        self._node = node
        self.out = node
        self.args = tuple(raw if p is None else p for p, raw in zip(node.inputs, node.args))
        roles = node.__dict__.get("_roles")
        saved = node.saved_values
        if roles:  # a user's save_for_backward: operands and the result by their role
            saved = tuple(s if r is None else node if r == -1 else self.args[r]
                          for s, r in zip(saved, roles))
        self.saved_values = saved

    xp: Any = None  # GraphMath, set below

    def __getattr__(self, name: str) -> Any:
        return getattr(self._node, name)


def _raw(x: Any) -> Any:
    return ArrayMath if isinstance(x, np.ndarray) else ScalarMath


def _graph(*xs: Any) -> bool:
    return any(isinstance(x, Node) for x in xs)


class GraphMath:
    """Each function records an op when given a graph value, else falls back to raw math."""

    @staticmethod
    def exp(x: Any) -> Any:
        return F.Exp.apply(x) if _graph(x) else _raw(x).exp(x)

    @staticmethod
    def log(x: Any) -> Any:
        return F.Log.apply(x) if _graph(x) else _raw(x).log(x)

    @staticmethod
    def divide(a: Any, b: Any) -> Any:
        return F.Div.apply(a, b) if _graph(a, b) else _raw(b).divide(a, b)

    @staticmethod
    def power(a: Any, b: Any) -> Any:
        return F.Pow.apply(a, b) if _graph(a, b) else _raw(a).power(a, b)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return F.Sigmoid.apply(x) if _graph(x) else _raw(x).sigmoid(x)

    @staticmethod
    def where_zero(x: Any) -> Any:
        """1 where x == 0, else 0: a constant, even for a graph value."""
        raw = x.data if isinstance(x, Node) else x
        return _raw(raw).where_zero(raw)

    # masks and slopes: constants computed from the raw numbers, even for a graph value
    @staticmethod
    def positive(x: Any) -> Any:
        raw = x.data if isinstance(x, Node) else x
        return _raw(raw).positive(raw)

    @staticmethod
    def inside(x: Any, lo: float, hi: float) -> Any:
        raw = x.data if isinstance(x, Node) else x
        return _raw(raw).inside(raw, lo, hi)

    @staticmethod
    def leaky(x: Any, slope: float) -> Any:
        raw = x.data if isinstance(x, Node) else x
        return _raw(raw).leaky(raw, slope)

    @staticmethod
    def mask(g: Any, keep: Any) -> Any:
        """g where `keep` (a constant mask), 0 elsewhere, without 0·inf = NaN."""
        return F.Mask.apply(g, keep=keep) if _graph(g) else _raw(g).mask(g, keep)

    @staticmethod
    def broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(g, Node):
            return g if g.data.shape == shape else F.BroadcastTo.apply(g, shape=shape)
        return ArrayMath.broadcast_to(g, shape)

    @staticmethod
    def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
        """Sum a broadcast gradient back to `shape`, as graph ops."""
        if not isinstance(g, Node):
            return ArrayMath.sum_to(g, shape)
        axes, lead = ArrayMath.summed_axes(g.data.shape, shape)
        if lead < 0:
            return GraphMath.broadcast_to(g, shape)
        out = F.Sum.apply(g, axis=axes, keepdims=True) if axes else g
        return F.Reshape.apply(out, shape=shape) if out.data.shape != shape else out

    @staticmethod
    def scatter_add(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(g, Node):
            return F.ScatterAdd.apply(g, index=index, shape=shape)
        return ArrayMath.scatter_add(g, index, shape)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        return F.Reshape.apply(x, shape=tuple(shape)) if _graph(x) else np.reshape(x, shape)

    @staticmethod
    def permute(x: Any, axes: Any) -> Any:
        return F.Transpose.apply(x, axes=axes) if _graph(x) else np.transpose(x, axes)

    @staticmethod
    def swap_last(x: Any) -> Any:
        nd = np.ndim(x.data if isinstance(x, Node) else x)
        return GraphMath.permute(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))

    @staticmethod
    def expand_dims(x: Any, axis: int) -> Any:
        shape = np.shape(x.data if isinstance(x, Node) else x)
        ax = axis % (len(shape) + 1)
        return GraphMath.reshape(x, shape[:ax] + (1,) + shape[ax:])

    @staticmethod
    def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if _graph(x):
            return F.Sum.apply(x, axis=axis, keepdims=keepdims)
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def getitem(x: Any, index: Any) -> Any:
        return F.GetItem.apply(x, index=index) if _graph(x) else x[index]


GraphView.xp = GraphMath
