"""The ops as functions, PyTorch's spelling: `tinygrad_edu.sigmoid(z)` is `z.sigmoid()`.

    import tinygrad_edu as tg
    a = tg.sigmoid(tg.matmul(X, W.T) + b)     # a = σ(z), z = X Wᵀ + b (§1-3, §1-4)
    z = tg.cat([z1, z2], dim=1)

Each function calls the method of the same name, so it records the same op in the graph; a
plain number or array is made a `Tensor` first.  `where(cond, a, b)` is the engine's `Where`
op: its rule passes the gradient to a where `cond` holds and to b elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .engine.function import Operand
from .habits import Value
from .habits import Tensor
from .tensor_ops import concatenate
from .tensor_ops import stack as _stack  # numpy's spelling; the package's `stack` is below
from .tensor_ops import where as _where

__all__ = ["exp", "log", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "cat",
           "stack", "where", "as_tensor"]


def _node(x: Any) -> Any:
    """`x` itself when it is a `Value` or a `Tensor`, else a `Tensor` of it."""
    return x if isinstance(x, (Tensor, Value)) else Tensor(x)


def as_tensor(x: Any) -> Tensor:
    """`x` itself when it is a `Tensor`, else a `Tensor` of it (numbers, lists, arrays)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(input: Any) -> Any:
    """e^z, elementwise."""
    return _node(input).exp()


def log(input: Any) -> Any:
    """ln z, elementwise."""
    return _node(input).log()


def sigmoid(input: Any) -> Any:
    """σ(z) = 1/(1+e^-z) (§1-3), elementwise."""
    return _node(input).sigmoid()


def tanh(input: Any) -> Any:
    """tanh z = 2σ(2z) - 1, elementwise."""
    return _node(input).tanh()


def relu(input: Any) -> Any:
    """max(0, z), elementwise."""
    return _node(input).relu()


def softmax(input: Any, dim: int) -> Tensor:
    """e^{z_i} / Σ_j e^{z_j} along `dim` (required, as PyTorch asks for it)."""
    return as_tensor(input).softmax(dim=dim)


def log_softmax(input: Any, dim: int) -> Tensor:
    """z_i - log Σ_j e^{z_j} along `dim` (required, as PyTorch asks for it)."""
    return as_tensor(input).log_softmax(dim=dim)


def matmul(input: Any, other: Operand[Tensor]) -> Tensor:
    """The matrix product `input @ other` (numpy's and PyTorch's rules for 1-d and batches)."""
    return as_tensor(input) @ other


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along the existing axis `dim` (PyTorch's `cat`, numpy's `concatenate`)."""
    return concatenate(tensors, axis=dim)


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis `dim` (numpy's name `axis` works too)."""
    return _stack(tensors, axis=dim if axis is None else axis)


def where(condition: Any, input: Operand[Tensor], other: Operand[Tensor]) -> Tensor:
    """`input` where `condition` holds, else `other`, elementwise with broadcasting; each of
    `input` and `other` a `Tensor` or a number."""
    for x in (input, other):
        if isinstance(x, Value):
            raise TypeError(f"where works on Tensors, got a {type(x).__name__}; make a Tensor "
                            "first")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)
    return _where(condition, input, other)
