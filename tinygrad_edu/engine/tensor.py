"""`Tensor`: the tensor engine, a numpy array with a gradient (§1-4: a layer at a time).

The same rules as `Value` (ops.py), on whole arrays: a layer's weighted inputs for all 64
images at once are one matrix product, Z = X Wᵀ + b.

    >>> from tinygrad_edu import Tensor
    >>> W = Tensor([[0.5, -1.0]], requires_grad=True, label="W")
    >>> x = Tensor([2.0, 1.0])
    >>> (W @ x).sigmoid().sum().backward()
    >>> W.grad.round(4).tolist()
    [[0.5, 0.25]]
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple
from collections.abc import Sequence

import numpy as np

from . import ops
from .graph import Node, switches

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_array(data: Any, what: str = "Tensor()") -> np.ndarray:
    """A float (or boolean) array from numbers, lists or arrays; a clear error otherwise."""
    if isinstance(data, Node):
        raise TypeError(f"{what}: got a {type(data).__name__}; use its .data, or .detach()")
    try:
        arr = np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: the nested lists do not form a rectangular array ({e})"
                         ) from None
    if arr.dtype in _FLOATS or arr.dtype.kind == "b":
        return arr
    bad = [x for x in arr.flat if not isinstance(x, (int, float, np.integer, np.floating))
           or isinstance(x, bool)][:1] if arr.dtype.kind == "O" else []
    if arr.dtype.kind in "iuf" or arr.dtype.kind == "O" and not bad:
        return arr.astype(np.float64)
    what_is_in = ("strings" if arr.dtype.kind in "US" else f"{type(bad[0]).__name__} "
                  f"{bad[0]!r}" if bad else f"dtype {arr.dtype}")
    raise TypeError(f"{what} needs real numbers, got {what_is_in}; convert the data first, "
                    "e.g. np.array(data, dtype=float)")


class Version:
    """How often a piece of memory was changed in place; shared by a tensor and its views, so
    that an op that saved one of them sees a change made through any other (as PyTorch)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class MaxResult(NamedTuple):
    """`x.max(dim=...)`: the largest values and where they are, as PyTorch gives them."""

    values: Tensor
    indices: Tensor


class Tensor(ops.Operators, Node):
    """A node over a numpy array: float64 by default, float32 kept when given.

    `.grad` is an array of the same shape, or None until a backward reaches it.  `requires_grad`
    is False by default (data), True for weights.  Integers become float64; booleans stay boolean
    (masks, results of comparisons), outside the graph.  Changing the numbers in place
    (`t.data -= x`, `t -= x` under `no_grad()`, an optimizer step) after an op saved them and
    before backward reaches that op raises in backward, through views too.
    """

    __slots__ = ("_data", "version")
    zero_grad_value = None
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None,
                 dtype: Any = None) -> None:
        arr = as_array(data)
        if dtype is not None:
            if np.dtype(dtype) not in _FLOATS and (requires_grad or np.dtype(dtype).kind not in
                                                   "biu"):
                raise TypeError(f"Tensor dtype must be float32 or float64 (or, for indices "
                                f"without a gradient, an integer type), got {dtype}")
            arr = np.asarray(data, dtype=dtype) if np.dtype(dtype).kind in "biu" else (
                arr.astype(dtype, copy=False))
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require a gradient, got "
                            f"dtype {arr.dtype}; pass dtype=np.float64")
        self._data, self.version = arr, Version()
        self.grad, self.requires_grad, self.grad_fn = None, bool(requires_grad), None
        if label is not None:
            self.label = label

    @property
    def data(self) -> np.ndarray:
        """The numpy array.  `t.data -= x` (the same array assigned back) is an in-place change
        and counts as one; `t.data = new_array` gives the tensor new memory."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data:
            self.version.count += 1
        else:
            self._data, self.version = as_array(value, "Tensor.data"), Version()

    # -- what the engine asks (graph.py, function.py) -------------------------------------------
    @staticmethod
    def raw_constant(x: Any, ctx: Any) -> Any:
        """A plain operand (a number, a list, an array) as raw data for `ctx`'s op."""
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)  # a number stays weak: float32 * 2.0 is float32
        return as_array(x, ctx.name())

    @staticmethod
    def from_op(raw: Any, ctx: Any, operands: tuple) -> Tensor:
        if raw is None or isinstance(raw, (str, bytes, Node)):
            raise TypeError(f"{ctx.name()}.forward returned {type(raw).__name__} for a Tensor; "
                            "return a numpy array (or a number)")
        out = Tensor(raw if isinstance(raw, np.ndarray) else np.asarray(raw))
        if out._data.dtype.kind != "f":
            out._data = out._data.astype(np.float64)
        source = operands[0]
        if ctx.view and isinstance(source, Tensor) and np.may_share_memory(raw, source._data):
            out.version = source.version  # a view: the same memory, the same version
        ctx.versions = tuple((x.version, x.version.count, x) for x in operands
                             if isinstance(x, Tensor)) + ((out.version, out.version.count, None),)
        return out

    @staticmethod
    def constant(raw: Any) -> Tensor:
        return Tensor(raw)

    def fit_gradient(self, g: Any, op: str) -> Any:
        if isinstance(g, Tensor) and switches.grad_enabled:  # higher order: a graph value
            return ops.sum_to(g, self.shape) if g.shape != self.shape else g
        g = np.asarray(g.data if isinstance(g, Node) else g)
        if g.shape != self.shape:
            try:
                g = ops.sum_to(g, self.shape)
            except ValueError:
                raise ValueError(f"{op} gave a gradient of shape {g.shape} for {self._name()} "
                                 f"of shape {self.shape}") from None
        return g if g.dtype == self.dtype else g.astype(self.dtype)

    def seed(self, grad: Any = None) -> np.ndarray:
        if grad is None:
            if self.size != 1:
                raise RuntimeError(
                    f"backward: this Tensor has shape {self.shape}; backward() without a "
                    "gradient needs a one-element result (a cost). Reduce it first (.sum(), "
                    f".mean()) or pass the gradient: .backward(np.ones({self.shape}))")
            return np.ones(self.shape, self.dtype)
        g = as_array(grad.data if isinstance(grad, Node) else grad, "backward(grad)")
        if g.shape != self.shape and not (g.size == 1 == self.size):
            raise ValueError(f"backward: the gradient has shape {g.shape} but the Tensor has "
                             f"shape {self.shape}; they must match")
        return np.array(g.reshape(self.shape), dtype=self.dtype)  # a copy of the caller's

    # -- in place: an optimizer's step (`with no_grad(): w -= lr * w.grad`) ---------------------
    def _in_place(self, ufunc: Any, other: Any, spelling: str) -> Tensor:
        if switches.grad_enabled and self.requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(f"{spelling} on {self._name()}, a weight that requires a "
                                   "gradient, would be recorded; update it under no_grad(): "
                                   f"`with no_grad(): w {spelling} ...`")
            return ufunc(self, other)  # a recorded result: a new node, as `w = w - x`
        ufunc(self._data, other.data if isinstance(other, Node) else other, out=self._data)
        self.version.count += 1
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(np.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(np.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(np.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(np.true_divide, other, "/=")

    # -- what it holds --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> Any:
        """The number of elements (numpy's `.size`); `size()` and `size(dim)` as PyTorch's."""
        return _Size(self._data.size, self._data.shape)

    def numel(self) -> int:
        return int(self._data.size)

    def dim(self) -> int:
        return self._data.ndim

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor is undefined; use .item() for its number")
        return len(self._data)

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor; use .item() for its number")
        return (self[i] for i in range(len(self._data)))

    def item(self) -> float:
        """The one number of a one-element tensor."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, this one has shape {self.shape}")
        return self._data.reshape(()).item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (not a copy)."""
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is ambiguous; "
                             "use .any() or .all() on its .data")
        return bool(self._data.reshape(()))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """`np.asarray(tensor)`: the data, outside the graph; `np.array(tensor)`: a copy."""
        if dtype is not None and np.dtype(dtype) != self.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", dtype={self.dtype}" if self.dtype != np.float64 else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}{extra})"

    def detach(self) -> Tensor:
        """The same memory as a new leaf with no history (a change to one shows in the other)."""
        out = Tensor(self._data)
        out.version = self.version
        if self.label is not None:
            out.label = self.label
        return out

    # -- comparisons: boolean tensors, outside the graph ----------------------------------------
    def _compare(self, other: Any, op: Any) -> Tensor:
        with np.errstate(invalid="ignore"):
            return Tensor(op(self._data, other.data if isinstance(other, Node) else other))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    __hash__ = Node.__hash__  # by identity: tensors can still be dict keys

    def argmax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: Any = None) -> Tensor:
        """Where the largest element is along `dim` (an integer Tensor, outside the graph)."""
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        return Tensor(np.argmax(self._data, axis=axis, keepdims=keep), dtype=np.int64)

    def argmin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: Any = None) -> Tensor:
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        return Tensor(np.argmin(self._data, axis=axis, keepdims=keep), dtype=np.int64)

    # -- products, softmax, reductions (PyTorch's dim/keepdim or numpy's axis/keepdims) ---------
    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(other, self)

    def softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """e^x / Σ e^x along `dim` (the last axis by default), stable for any finite input."""
        return ops.Softmax.apply(self, axis=_last_by_default(dim, axis))

    def log_softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """x − log Σ e^x along `dim` (the last axis by default), stable for any finite input."""
        return ops.LogSoftmax.apply(self, axis=_last_by_default(dim, axis))

    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Tensor:
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        return ops.Sum.apply(self, axis=axis, keepdims=keep)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """The sum divided by the number of summed elements."""
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        count = math.prod(self.shape[a] for a in ops.normalise_axis(axis, self.ndim))
        return self.sum(axis=axis, keepdims=keep) * (1.0 / count if count else math.nan)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        """The largest element; with `dim` (PyTorch), the pair (values, indices); with `axis`
        (numpy), the values.  Tied maxima share the gradient equally."""
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        values = ops.Max.apply(self, axis=axis, keepdims=keep)
        return values if dim is None else MaxResult(values, self.argmax(dim, keepdim))

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        values = -ops.Max.apply(-self, axis=axis, keepdims=keep)
        return values if dim is None else MaxResult(values, self.argmin(dim, keepdim))

    # -- shapes ---------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same numbers in a new shape (one −1 is inferred); `view` is the same."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"reshape: sizes must be integers, got {n!r} in {shape}")
        try:
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a Tensor of shape {self.shape} "
                             f"({self.numel()} elements) into {tuple(shape)}") from None
        return ops.Reshape.apply(self, shape=target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Join axes start_dim..end_dim into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        d = dim % (self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = dim % max(self.ndim, 1)
        return self if self.ndim == 0 or self.shape[d] != 1 else self.reshape(
            self.shape[:d] + self.shape[d + 1:])

    def transpose(self, *dims: Any) -> Tensor:
        """`transpose()` reverses the axes (`.T`); `transpose(d0, d1)` swaps two, as PyTorch;
        for any other order of the axes use `permute`."""
        if not dims:
            return ops.Transpose.apply(self, axes=None)
        if len(dims) != 2:
            raise TypeError(f"transpose takes two axes to swap, transpose(d0, d1) as in "
                            f"PyTorch, got {dims}; for a permutation use permute{dims}")
        axes = list(range(self.ndim))
        i, j = (_check_dim(d, self.shape, "transpose") for d in dims)
        axes[i], axes[j] = axes[j], axes[i]
        return ops.Transpose.apply(self, axes=tuple(axes))

    def swapaxes(self, d0: int, d1: int) -> Tensor:
        return self.transpose(d0, d1)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: axis i of the result is axis dims[i] of this tensor."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        axes = tuple(_check_dim(d, self.shape, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the axes of {self.shape}")
        return ops.Transpose.apply(self, axes=axes)

    @property
    def T(self) -> Tensor:
        """The axes reversed: the matrix transpose of a 2-D tensor."""
        return ops.Transpose.apply(self)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return ops.Clone.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        """numpy's indexing: slices, integers, integer arrays and boolean masks."""
        return ops.GetItem.apply(self, index=_raw_index(index))


Tensor.engine = Tensor


class _Size(int):
    """A tensor's number of elements that can also be called as PyTorch's `size(dim=None)`."""

    shape: tuple

    def __new__(cls, n: int, shape: tuple) -> _Size:
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


def _axis(dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """PyTorch's `dim`/`keepdim` or numpy's `axis`/`keepdims`, not both."""
    if axis is not None and dim is not None or keepdims is not None and keepdim:
        raise TypeError("give dim/keepdim (PyTorch) or axis/keepdims (numpy), not both")
    return (dim if axis is None else axis), bool(keepdim if keepdims is None else keepdims)


def _last_by_default(dim: Any, axis: Any) -> Any:
    a = _axis(dim, None, axis, None)[0]
    return -1 if a is None else a


def _check_dim(d: Any, shape: tuple, op: str) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not (
            -max(len(shape), 1) <= d < max(len(shape), 1)):
        raise ValueError(f"{op}: axis {d!r} is out of range for shape {shape}")
    return int(d) % max(len(shape), 1)


def _raw_index(index: Any) -> Any:
    """An index with any Tensor in it replaced by its boolean mask or integer array."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if isinstance(index, Node):
        if index.data.dtype.kind not in "biu":
            raise IndexError("getitem: a Tensor index must hold booleans or integers, got "
                             f"{index.data.dtype}; a float index would be truncated: use an "
                             "integer array, e.g. t[np.array([0, 2])]")
        return index.data
    return index


def _tensors(op: str, tensors: Sequence[Any]) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op} needs at least one Tensor")
    for t in tensors:
        if isinstance(t, Node) and not isinstance(t, Tensor):
            raise TypeError(f"{op} joins Tensors, got a {type(t).__name__}; make a Tensor "
                            "first, e.g. Tensor([v.data for v in values])")
    return tensors


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy.concatenate, torch.cat)."""
    return ops.Concatenate.apply(*_tensors("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (numpy.stack, torch.stack)."""
    return ops.Stack.apply(*_tensors("stack", tensors), axis=axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """a where `condition` holds, b elsewhere (torch.where); each side gets its gradient."""
    cond = np.asarray(condition.data if isinstance(condition, Node) else condition)
    if cond.dtype.kind != "b":
        raise TypeError(f"where: the condition must be boolean (a comparison such as z > 0), "
                        f"got dtype {cond.dtype}; write where(cond != 0, a, b)")
    return ops.Where.apply(a, b, condition=cond)
