"""The tensor ops beyond the book's network, written as the engine's are (engine/ops.py):
the largest element along an axis, indexing, a copy that stays in the graph, softmax and
log-softmax along an axis, joining tensors, and choosing between two.

The methods of `Tensor` (habits.py: `max`, `[...]`, `clone`, `softmax`, `log_softmax`) and the
functions `concatenate`, `stack` and `where` record them.
"""

from __future__ import annotations

from typing import Any, TypeVar
from collections.abc import Sequence

import numpy as np

from .engine import Function, Node
from .engine.ops import exp, mask, normalise_axis
from .engine.function import Operand
from .engine.tensor import Tensor

S = TypeVar("S", bound=Tensor)  # a result is of its operands' class (tinygrad_edu.Tensor)


class Max(Function):
    """m = max x over `axis`;  ∂m/∂x = 1 at the maximum, 0 elsewhere (ties share it)."""
    op_name, saved = "max", False  # the shares are kept by forward

    def forward(ctx: Any, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        axes = normalise_axis(axis, x.ndim)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"max over an empty axis of shape {x.shape} is undefined")
        with np.errstate(invalid="ignore"):  # NaN propagates without a warning
            m = x.max(axis=axes, keepdims=True)
            hit = (x == m) | (np.isnan(x) & np.isnan(m))
            ctx.share = hit / hit.sum(axis=axes, keepdims=True)
        ctx.kept = m.shape
        return m if keepdims else m.reshape(tuple(n for i, n in enumerate(x.shape)
                                                  if i not in axes))

    def backward(ctx: Any, grad: Any) -> Any:
        return grad.reshape(ctx.kept) * ctx.share


class Clone(Function):
    """A copy that stays in the graph; the gradient passes through."""
    op_name, saved = "clone", False

    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def backward(ctx: Any, grad: Any) -> Any:
        return grad


class GetItem(Function):
    """y = x[index];  the gradient goes back to the picked places (twice picked: summed)."""
    op_name, view, saved = "getitem", True, False

    def forward(ctx: Any, x: np.ndarray, index: Any = None) -> np.ndarray:
        return x[index]

    def backward(ctx: Any, grad: Any) -> Any:
        index, shape = ctx.options["index"], ctx.args[0].shape
        if isinstance(grad, Node):  # differentiated again: recorded as the op it is
            return ScatterAdd.apply(grad, index=index, shape=shape)
        return ScatterAdd.forward(ctx, grad, index, shape)


class ScatterAdd(Function):
    """Zeros of `shape` with g added at `index`: GetItem's backward, whose backward is GetItem."""
    op_name, saved = "scatter_add", False

    def forward(ctx: Any, g: np.ndarray, index: Any = None, shape: tuple[int, ...] = ()
                ) -> np.ndarray:
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, index, g)
        return out

    def backward(ctx: Any, grad: Any) -> Any:
        return grad[ctx.options["index"]]


class Concatenate(Function):
    """Join along an existing axis; each input gets its slice of the gradient."""
    op_name, saved = "concatenate", False

    def forward(ctx: Any, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        out = np.concatenate(xs, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([0] + [x.shape[ctx.axis] for x in xs]).tolist()
        return out

    def backward(ctx: Any, grad: Any) -> Any:
        before, b = (slice(None),) * ctx.axis, ctx.bounds
        return tuple(grad[before + (slice(b[i], b[i + 1]),)] for i in range(len(b) - 1))


class Stack(Function):
    """Join same-shaped tensors along a new axis; input i gets the gradient's slice i."""
    op_name, saved = "stack", False

    def forward(ctx: Any, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        out = np.stack(xs, axis=axis)
        ctx.axis = axis % out.ndim
        return out

    def backward(ctx: Any, grad: Any) -> Any:
        before = (slice(None),) * ctx.axis
        return tuple(grad[before + (i,)] for i in range(len(ctx.inputs)))


class Where(Function):
    """a where `condition`, b elsewhere (`condition` constant); each side gets its places."""
    op_name, saved = "where", False

    def forward(ctx: Any, a: Any, b: Any, condition: Any = True) -> Any:
        return np.where(condition, a, b)

    def backward(ctx: Any, grad: Any) -> Any:
        condition = ctx.options["condition"]
        return mask(grad, condition), mask(grad, ~condition)


class Softmax(Function):
    """y_i = e^{x_i} / Σ_j e^{x_j} along `axis`;  ∂C/∂x = y (g − Σ g y).  From x − max x."""
    op_name = "softmax"

    def forward(ctx: Any, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def backward(ctx: Any, grad: Any) -> Any:
        y = ctx.out
        return y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i − log Σ_j e^{x_j} along `axis`;  ∂C/∂x = g − softmax(x) Σ g."""
    op_name = "log_softmax"

    def forward(ctx: Any, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(ctx: Any, grad: Any) -> Any:
        return grad - exp(ctx.out) * grad.sum(axis=ctx.axis, keepdims=True)


def _tensors(op: str, tensors: Sequence[S]) -> Sequence[S]:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op} needs at least one Tensor")
    for t in tensors:
        if isinstance(t, Node) and not isinstance(t, Tensor):
            raise TypeError(f"{op} joins Tensors, got a {type(t).__name__}; make a Tensor "
                            "first, e.g. Tensor([v.data for v in values])")
    return tensors


def concatenate(tensors: Sequence[S], axis: int = 0) -> S:
    """Join tensors along an existing axis (numpy.concatenate, torch.cat)."""
    return Concatenate.apply(*_tensors("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[S], axis: int = 0) -> S:
    """Join same-shaped tensors along a new axis (numpy.stack, torch.stack)."""
    return Stack.apply(*_tensors("stack", tensors), axis=axis)


def where(condition: Any, a: Operand[S], b: Operand[S]) -> S:
    """a where `condition` holds, b elsewhere (torch.where); each side gets its gradient."""
    cond = np.asarray(condition.data if isinstance(condition, Node) else condition)
    if cond.dtype.kind != "b":
        raise TypeError(f"where: the condition must be boolean (a comparison such as z > 0), "
                        f"got dtype {cond.dtype}; write where(cond != 0, a, b)")
    return Where.apply(a, b, condition=cond)
