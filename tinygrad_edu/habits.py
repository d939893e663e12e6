"""`Tensor` as a PyTorch user writes it: the engine's tensor (engine/tensor.py, which speaks
numpy: `axis=`, `keepdims=`) with PyTorch's spellings on top.

Every method here is made of the engine's ops (no derivative rule is written twice), except two
small ops of PyTorch's own, `Cast` and `Clamp`.  `tinygrad_edu.Tensor` is this class, and the
results of every op on it are of this class too (`engine` below).  `tinygrad_edu.Value` is the
scalar engine's `Value` with the same habits: `.item()`, comparisons giving bools, a `repr`.

    >>> import tinygrad_edu as tg
    >>> values, indices = tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 7.0], [1, 0])
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple, overload

import numpy as np

from . import tensor_ops
from .engine import (Function, Node, grad_mode, ops, tensor as core,
                     value as core_value)
from .engine.function import Operand
from .engine.tensor import as_array


class MaxResult(NamedTuple):
    """`x.max(dim=...)`: the largest values and where they are, as PyTorch gives them."""

    values: Tensor
    indices: Tensor


class NodeHabits:
    """What both public classes add: what the tools (tools/trace.py) wrote on the op that made
    a node, read from the node, and two functions made of the engine's ops."""

    __slots__ = ()
    grad_fn: Any

    def sqrt(self: Any) -> Any:
        """√x = x ** 0.5 (gradient inf at 0, as in PyTorch)."""
        return self ** 0.5

    def abs(self: Any) -> Any:
        """|x| = relu(x) + relu(−x): derivative ±1, and 0 at the corner x = 0 (as PyTorch)."""
        return ops.ReLU.apply(self) + ops.ReLU.apply(-self)

    __abs__ = abs

    @property
    def scope(self) -> tuple[Any, ...]:
        """The module path the op was recorded in (its name scopes), or ()."""
        return getattr(self.grad_fn, "scope", ())

    @property
    def created_at(self) -> str | None:
        """The user's file and line that made this op (under `record_sites()`), or None."""
        return getattr(self.grad_fn, "created_at", None)


class Tensor(NodeHabits, core.Tensor):
    __doc__ = core.Tensor.__doc__
    __slots__ = ()

    # -- reductions: PyTorch's dim/keepdim or numpy's axis/keepdims -----------------------------
    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """The sum divided by the number of summed elements."""
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        count = _count(self.shape, axis)
        return self.sum(axis=axis, keepdims=keep) * (1.0 / count if count else math.nan)

    @overload
    def max(self, dim: None = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Tensor: ...
    @overload
    def max(self, dim: int, keepdim: bool = False) -> MaxResult: ...

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Tensor | MaxResult:
        """The largest element; with `dim` (PyTorch), the pair (values, indices); with `axis`
        (numpy), the values.  Tied maxima share the gradient equally."""
        axis, keep = _axis(dim, keepdim, axis, keepdims)
        values = tensor_ops.Max.apply(self, axis=axis, keepdims=keep)
        return values if dim is None else MaxResult(values, self.argmax(dim, keepdim))

    @overload
    def min(self, dim: None = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Tensor: ...
    @overload
    def min(self, dim: int, keepdim: bool = False) -> MaxResult: ...

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Tensor | MaxResult:
        largest = (-self).max(dim, keepdim, axis=axis, keepdims=keepdims)  # min x = −max(−x)
        if isinstance(largest, MaxResult):
            return MaxResult(-largest.values, self.argmin(dim, keepdim))
        return -largest

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Where the largest element is along `dim` (an integer Tensor, outside the graph)."""
        return Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim), dtype=np.int64)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return Tensor(np.argmin(self.data, axis=dim, keepdims=keepdim), dtype=np.int64)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
        """The variance along `dim`, divided by n − 1 (`unbiased`, PyTorch's default) or n."""
        n = _count(self.shape, dim)
        centred = self - self.mean(dim, keepdim=True)
        return (centred * centred).sum(dim, keepdim) * (1.0 / (n - 1 if unbiased else n))

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
        return self.var(dim, unbiased, keepdim).sqrt()

    def norm(self, p: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        """(Σ |x|^p)^(1/p) along `dim`: the length of a vector for p = 2."""
        return (abs(self) ** p).sum(dim, keepdim) ** (1.0 / p)

    def softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """e^x / Σ e^x along `dim` (the last axis by default), stable for any finite input."""
        return tensor_ops.Softmax.apply(self, axis=_last(dim, axis))

    def log_softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """x − log Σ e^x along `dim` (the last axis by default), stable for any finite input."""
        return tensor_ops.LogSoftmax.apply(self, axis=_last(dim, axis))

    # -- shapes ---------------------------------------------------------------------------------
    view = core.Tensor.reshape

    def __getitem__(self, index: Any) -> Tensor:
        """numpy's indexing: slices, integers, integer arrays and boolean masks."""
        return tensor_ops.GetItem.apply(self, index=_raw_index(index))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return tensor_ops.Clone.apply(self)

    def transpose(self, *dims: Any) -> Tensor:
        """`transpose()` reverses the axes (`.T`); `transpose(d0, d1)` swaps two, as PyTorch;
        for any other order of the axes use `permute`."""
        if not dims:
            return self.T
        if len(dims) != 2:
            raise TypeError(f"transpose takes two axes to swap, transpose(d0, d1) as in "
                            f"PyTorch, got {dims}; for a permutation use permute{dims}")
        return self.swapaxes(*(_check_dim(d, self.shape, "transpose") for d in dims))

    def t(self) -> Tensor:
        return self.T

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

    def expand(self, *sizes: Any) -> Tensor:
        """Repeat axes of length 1 to `sizes` (−1 keeps an axis), as broadcasting does."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        own = (1,) * (len(sizes) - self.ndim) + self.shape
        return self.broadcast_to(tuple(n if s == -1 else s for s, n in zip(sizes, own)))

    def repeat(self, *times: Any) -> Tensor:
        """The tensor tiled `times` along each axis (PyTorch's `repeat`, numpy's `tile`)."""
        if len(times) == 1 and isinstance(times[0], (tuple, list)):
            times = tuple(times[0])
        shape = (1,) * (len(times) - self.ndim) + self.shape
        spread = self.reshape(tuple(x for n in shape for x in (1, n)))
        tiled = spread.broadcast_to(tuple(x for r, n in zip(times, shape) for x in (r, n)))
        return tiled.reshape(tuple(r * n for r, n in zip(times, shape)))

    def split(self, size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `size` along `dim` (the last may be shorter), or of the sizes listed."""
        length = self.shape[dim]
        if isinstance(size, (list, tuple)):
            sizes = list(size)
        else:  # pieces of `size`, the last one what is left
            sizes = [size] * math.ceil(length / size)
            sizes[-1] = length - size * (len(sizes) - 1)
        bounds = np.cumsum([0] + sizes).tolist()
        before = (slice(None),) * (dim % self.ndim)
        return tuple(self[before + (slice(a, b),)] for a, b in zip(bounds, bounds[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return self.split(math.ceil(self.shape[dim] / chunks), dim)

    # -- values ---------------------------------------------------------------------------------
    def pow(self, exponent: Operand[Tensor]) -> Tensor:
        return self ** exponent

    def neg(self) -> Tensor:
        return -self

    def matmul(self, other: Operand[Tensor]) -> Tensor:
        return self @ other

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        """min ≤ x ≤ max; the gradient passes where x is inside, bounds included (PyTorch's)."""
        return Clamp.apply(self, lo=-math.inf if min is None else min,
                           hi=math.inf if max is None else max)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """`value` where `mask` holds, the tensor elsewhere (no gradient where filled)."""
        return tensor_ops.where(mask, value, self)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        """A copy in another float dtype (the gradient comes back in this one); a device such
        as "cpu" is the only one there is."""
        if dtype is None or isinstance(dtype, str) and dtype.startswith("cpu"):
            return self
        return self if np.dtype(dtype) == self.dtype else Cast.apply(self, dtype=np.dtype(dtype))

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) works on a leaf; use .detach() for the "
                               "result of an op")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Every node keeps the gradient of the latest backward already: nothing to do."""

    # -- what it holds --------------------------------------------------------------------------
    def item(self) -> builtins.float:
        """The one number of a one-element tensor."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, this one has shape {self.shape}")
        return self.data.reshape(()).item()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is ambiguous; "
                             "use .any() or .all() on its .data")
        return bool(self.data.reshape(()))

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", dtype={self.dtype}" if self.dtype != np.float64 else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}{extra})"

    def detach(self) -> Tensor:
        """The same memory as a new leaf with no history (a change to one shows in the other)."""
        out = Tensor(self.data, label=self.label)
        out.version = self.version
        return out

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: axis i of the result is axis dims[i] of this tensor."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        axes = tuple(_check_dim(d, self.shape, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the axes of {self.shape}")
        return ops.Transpose.apply(self, axes=axes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    @property
    def size(self) -> Any:
        """The number of elements (numpy's `.size`); `size()` and `size(dim)` as PyTorch's."""
        return _Size(self.data.size, self.shape)

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor is undefined; use .item() for its number")
        return len(self.data)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor; use .item() for its number")
        return (self[i] for i in range(len(self.data)))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (not a copy)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> builtins.float:
        return float(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """`np.asarray(tensor)`: the data, outside the graph; `np.array(tensor)`: a copy."""
        if dtype is not None and np.dtype(dtype) != self.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    # -- comparisons: boolean tensors, outside the graph ----------------------------------------
    def _compare(self, other: Any, op: Any) -> Tensor:
        with np.errstate(invalid="ignore"):
            return Tensor(op(self.data, other.data if isinstance(other, Node) else other))

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


Tensor.engine = Tensor


class Value(NodeHabits, core_value.Value):
    __doc__ = core_value.Value.__doc__
    __slots__ = ()

    def detach(self) -> Value:
        """The same number as a new leaf with no history and no gradient."""
        return Value(self.data, self.label, requires_grad=False)

    # -- the number out of the graph ------------------------------------------------------------
    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self.data, dtype=dtype)

    def __lt__(self, other: Any) -> bool:
        return self.data < _number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _number(other)

    __hash__ = Node.__hash__

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        grad = f", grad={self.grad:.6g}" if isinstance(self.grad, float) else ""
        return f"Value(data={self.data:.6g}{grad}{label})"


Value.engine = Value


class set_grad_enabled(grad_mode):  # noqa: N801 - PyTorch's name
    """`grad_mode` that switches at once: `set_grad_enabled(False)` as a plain call holds for
    the rest of the thread, `with set_grad_enabled(False):` for the block, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        super().__enter__()

    def __enter__(self) -> None:
        pass


class Cast(Function):
    """y = x in another float dtype;  the gradient comes back in x's dtype."""
    op_name = "to"

    def forward(ctx: Any, x: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        return x.astype(dtype)

    def backward(ctx: Any, grad: Any) -> Any:
        return grad


class Clamp(Function):
    """y = min(max(x, lo), hi);  dy/dx = 1 for lo ≤ x ≤ hi (bounds included, as PyTorch), else 0."""
    op_name = "clamp"

    def forward(ctx: Any, x: np.ndarray, lo: float = -math.inf, hi: float = math.inf) -> Any:
        return np.clip(x, lo, hi)

    def backward(ctx: Any, grad: Any) -> Any:
        x, lo, hi = ctx.raw_args[0], ctx.options["lo"], ctx.options["hi"]
        return ops.mask(grad, (x >= lo) & (x <= hi))


class _Size(int):
    """A tensor's number of elements that can also be called as PyTorch's `size(dim=None)`."""

    shape: tuple[Any, ...]

    def __new__(cls, n: int, shape: tuple[Any, ...]) -> _Size:
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


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


def _check_dim(d: Any, shape: tuple[Any, ...], op: str) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not (
            -max(len(shape), 1) <= d < max(len(shape), 1)):
        raise ValueError(f"{op}: axis {d!r} is out of range for shape {shape}")
    return int(d) % max(len(shape), 1)


def _count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements a reduction over `axis` (None: all) takes together."""
    return math.prod(shape[a] for a in ops.normalise_axis(axis, len(shape)))


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else core_value.to_float(x, "comparison")


def _axis(dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """PyTorch's `dim`/`keepdim` or numpy's `axis`/`keepdims`, not both."""
    if axis is not None and dim is not None or keepdims is not None and keepdim:
        raise TypeError("give dim/keepdim (PyTorch) or axis/keepdims (numpy), not both")
    return (dim if axis is None else axis), bool(keepdim if keepdims is None else keepdims)


def _last(dim: Any, axis: Any) -> int:
    """The axis of softmax: the one given (0 included), the last one by default."""
    given = _axis(dim, None, axis, None)[0]
    return -1 if given is None else given


__all__ = ["Tensor", "Value", "MaxResult", "as_array", "set_grad_enabled"]
