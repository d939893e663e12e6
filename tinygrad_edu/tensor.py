"""`Tensor`: the tensor engine, a numpy array with a gradient (§1-4: a layer at a time).

The same derivative rules as `Value` (functions.py), applied to whole arrays: a layer's weighted
inputs for all 64 images at once are one matrix product, Z = X Wᵀ + b.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> W = Tensor([[0.5, -1.0]], requires_grad=True, label="W")
    >>> x = Tensor([2.0, 1.0])
    >>> a = (W @ x).sigmoid().sum()
    >>> a.backward()
    >>> W.grad.round(4).tolist()
    [[0.5, 0.25]]
"""

from __future__ import annotations

import math
import numbers
from typing import Any
from collections.abc import Sequence

import numpy as np

from . import functions as F
from .autograd import _CLOCK, Function, MathOnly, Node, binary, op1, reflected
from .operators import Operators
from .xp import ArrayMath

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_FLOATS = (_F32, _F64)
_ndarray = np.ndarray
_SCALARS = (np.float64, np.float32)  # what arithmetic on 0-d arrays returns
_object_new = object.__new__


def _as_array(data: Any, what: str = "Tensor()") -> np.ndarray:
    """A float (or boolean) array from numbers, lists or arrays; a clear TypeError otherwise."""
    if isinstance(data, Node):
        raise TypeError(f"{what}: got a {type(data).__name__}; use its .data (a "
                        f"{'float' if type(data).__name__ == 'Value' else 'numpy array'}), "
                        "or .detach()")
    try:
        arr = np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: the nested lists do not form a rectangular array "
                         f"({e})") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr if arr.dtype in _FLOATS else arr.astype(np.float64)
    if kind == "b":
        return arr
    if kind in "iu":
        return arr.astype(np.float64)
    if kind == "O":
        bad = [x for x in arr.flat if not isinstance(x, (int, float, np.number))
               or isinstance(x, (complex, np.complexfloating))][:1]
        if bad:
            raise TypeError(f"{what} needs numbers, got {type(bad[0]).__name__} {bad[0]!r} "
                            "inside; convert the data to floats first")
        return arr.astype(np.float64)
    if kind in "US":
        raise TypeError(f"{what} needs numbers, got strings (dtype {arr.dtype}); convert them "
                        "first, e.g. np.array(data, dtype=float)")
    if kind == "c":
        raise TypeError(f"{what}: complex numbers are not supported (dtype {arr.dtype})")
    raise TypeError(f"{what} needs numbers, got an array of dtype {arr.dtype}")


def _reduce_args(op: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple[Any, bool]:
    """numpy's `axis`/`keepdims` or PyTorch's `dim`/`keepdim`, not both."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis (numpy) or dim (PyTorch), not both")
        axis = dim
    if keepdim is not None:
        if keepdims is not None:
            raise TypeError(f"{op}: give keepdims (numpy) or keepdim (PyTorch), not both")
        keepdims = keepdim
    return axis, bool(keepdims)


def _raw_index(index: Any) -> Any:
    """An index with any Tensor in it replaced by its boolean mask or integer array."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if isinstance(index, Node):
        data = index.data
        if isinstance(data, _ndarray) and data.dtype.kind in "biu":
            return data
        raise IndexError(f"getitem: a Tensor index must hold booleans (a mask) or integers, "
                         f"got {np.asarray(data).dtype}; a float index would be truncated: use "
                         "a list or a numpy integer array, e.g. t[np.array([0, 2])]")
    return index


class Tensor(Operators, Node):
    """A node over a numpy array: float64 by default, float32 kept when given.

    `.grad` is a numpy array of the same shape, or None until a backward reaches it; set it to
    None to clear it.  `requires_grad` is False by default (data), True for weights.
    Integers become float64; booleans stay boolean (masks, results of comparisons), outside
    the graph.

    Changing `.data` in place (`t.data -= lr * t.grad`) after an op has used it and before
    `backward` reaches that op raises a RuntimeError in backward (a version counter, as in
    PyTorch): the rule would read the new numbers.  After `backward` it is what an optimizer
    step does, and legal.  (Writing into the array behind numpy's back, `t.data[...] = 0`,
    cannot be seen.)
    """

    __slots__ = ("_data", "_version", "_seen")  # _version is set at the first in-place change
    xp = ArrayMath
    _zero_grad_value = None
    _grad_type = np.ndarray  # see run_backward: the right shape and dtype are used as is
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None,
                 dtype: Any = None) -> None:
        arr = _as_array(data)
        if dtype is not None:
            dt = np.dtype(dtype)
            if dt not in _FLOATS:
                raise TypeError(f"Tensor dtype must be float32 or float64, got {dt}")
            arr = arr.astype(dt, copy=False)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require a gradient, got "
                            f"dtype {arr.dtype}; pass dtype=np.float64")
        self._data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.fn = None
        self._users = 0
        self._seen = _CLOCK[0]
        if label is not None:
            self.label = label

    @property
    def data(self) -> np.ndarray:
        """The numpy array.  Assigning the same array back (`t.data -= x` does) counts as an
        in-place change: a graph recorded before it refuses to backpropagate through it."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data:  # an in-place change: t.data -= x, t.data *= 2
            _CLOCK[0] += 1
            self._version = _CLOCK[0]
        else:
            self._data = value if type(value) is _ndarray and value.dtype in _FLOATS else (
                _as_array(value, "Tensor.data"))

    def _check_versions(self) -> None:
        """Refuse to backpropagate through an op whose operands changed in place since it ran."""
        seen = self._seen
        if seen is None or seen == _CLOCK[0]:
            return
        for p in (self, *self.inputs):
            if p is not None and getattr(p, "_version", 0) > seen:
                raise RuntimeError(
                    f"{self.fn.name()}: {p._name()} of shape {p.shape} was changed in place "
                    "after the op used it (for example by an optimizer step before "
                    "backward()), so its gradient would use the new numbers; run the forward "
                    "again after changing it, or change .data only after backward()")

    # -- engine interface (see autograd.Node) -------------------------------------------------
    @staticmethod
    def _blank() -> Tensor:
        t = _object_new(Tensor)
        t.grad = None
        t.requires_grad = False
        t.fn = None
        t._users = 0
        t._seen = _CLOCK[0]
        return t

    @staticmethod
    def _fill(out: Tensor, raw: Any, fn: Any) -> None:
        if type(raw) is not _ndarray or raw.dtype.kind != "f":
            if raw is None or isinstance(raw, (str, bytes, Node)):
                raise TypeError(f"{fn.name()}.forward returned {type(raw).__name__} for a "
                                "Tensor; return a numpy array (or a number)")
            raw = np.asarray(raw)
            if raw.dtype.kind != "f":
                raw = _as_array(raw, f"{fn.name()}.forward's result").astype(np.float64)
        out._data = raw

    @staticmethod
    def _make(raw: Any, fn: Any) -> Tensor:
        t = _object_new(Tensor)
        kind = type(raw)
        if kind is _ndarray and ((dt := raw.dtype) is _F64 or dt is _F32):
            t._data = raw
        elif kind in _SCALARS:  # a 0-d result (the cost C_T) comes back as a numpy scalar
            t._data = np.asarray(raw)
        else:
            Tensor._fill(t, raw, fn)
        t.grad = None
        t._users = 0
        t._seen = _CLOCK[0]
        return t

    @staticmethod
    def _new(raw: Any) -> Tensor:
        t = Tensor._blank()
        Tensor._fill(t, raw, Function)
        return t

    @staticmethod
    def _boolean(raw: np.ndarray) -> Tensor:
        """A Tensor of booleans or integers (a comparison, an argmax), outside the graph."""
        t = Tensor._blank()
        t._data = np.asarray(raw)
        return t

    @classmethod
    def _constant(cls, x: Any, fn: Any) -> Any:
        if isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)):
            return float(x)  # a number stays weak: float32 * 2.0 (or np.float64(2)) is float32
        return _as_array(x, fn.name())

    def _fit_grad(self, g: Any, fn: Any, create_graph: bool = False) -> Any:
        """A rule's gradient made to fit this tensor: broadcasting summed back, its dtype."""
        if isinstance(g, Tensor):
            if create_graph:  # keep it a graph value
                if g.data.shape != self._data.shape:
                    from .graphmath import GraphMath

                    g = GraphMath.sum_to(g, self._data.shape)
                return g
            g = g.data
        data = self._data
        if type(g) in _SCALARS and data.shape == ():  # 0-d arithmetic gives numpy scalars
            return np.asarray(g, data.dtype)
        if type(g) is not _ndarray or g.shape != data.shape:
            try:
                g = ArrayMath.sum_to(g, data.shape)
            except ValueError:
                raise ValueError(f"{fn.name()}.backward returned a gradient of shape "
                                 f"{np.shape(g)} for an input of shape {data.shape}") from None
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g

    def _fit_hook_grad(self, g: Any, hook: Any, create_graph: bool) -> Any:
        raw = g.data if isinstance(g, Tensor) else np.asarray(g)
        if raw.shape != self._data.shape:
            raise ValueError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                             f"shape {raw.shape} for {self._name()} of shape {self.shape}; "
                             "return one of the same shape (or None to keep it)")
        if isinstance(g, Tensor) and create_graph:
            return g
        return raw.astype(self._data.dtype, copy=False)

    def _own(self, g: np.ndarray, given: set[int]) -> np.ndarray:
        memory = g if g.base is None else g.base  # a view's numbers live in its base
        if id(memory) in given or not g.flags.writeable:
            g = memory = g.copy()  # never two leaves on one memory, never a read-only array
        given.add(id(memory))
        return g

    def _seed(self, create_graph: bool) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"backward: this Tensor has shape {self.shape}; backward() without a "
                "gradient needs a one-element result (a cost). Reduce it first (.sum(), "
                f".mean()) or pass the gradient: .backward(np.ones({self.shape}))")
        seed = np.empty(self._data.shape, self._data.dtype)
        seed.fill(1.0)  # np.ones, without its Python wrapper: backward() is called every step
        return Tensor._new(seed) if create_graph else seed

    def _check_grad_arg(self, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            grad = grad.data
        g = _as_array(grad, "backward(grad)")
        if g.shape != self.shape:
            if g.size == 1 and self.size == 1:
                g = g.reshape(self.shape)
            else:
                raise ValueError(f"backward: the gradient has shape {g.shape} but the Tensor "
                                 f"has shape {self.shape}; they must match")
        return np.array(g, dtype=self._data.dtype)  # a copy: the caller's array stays theirs

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
        """The number of elements, as numpy's `.size`; `size()` and `size(dim)` as in PyTorch
        work too (the number is callable)."""
        return _Size(self._data.size, self._data.shape)

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor is undefined; use .item() for its number")
        return len(self._data)

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
        data = self._data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(Tensor, dtype={dtype}, copy=False): the data is "
                                 f"{data.dtype}, so a copy is needed")
            return data.astype(dtype)
        return data.copy() if copy else data

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", dtype={self.dtype}" if self.dtype != np.float64 else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}{extra})"

    # -- comparisons: boolean tensors, outside the graph (PyTorch's meaning) --------------------
    def _compare(self, other: Any, op: Any) -> Tensor:
        raw = other.data if isinstance(other, Node) else other
        with np.errstate(invalid="ignore"):
            return Tensor._boolean(op(self._data, raw))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    # == and != compare elementwise as in numpy and PyTorch: a Tensor, not object's bool
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    __hash__ = Node.__hash__  # by identity, so tensors can still be dict keys and set members

    def argmax(self, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
               keepdim: Any = None) -> Tensor:
        """The index of the largest element along `axis` (an integer Tensor, outside the graph)."""
        axis, keep = _reduce_args("argmax", axis, dim, keepdims, keepdim)
        return Tensor._boolean(np.argmax(self._data, axis=axis, keepdims=keep))

    # -- matrix product, softmax ----------------------------------------------------------------
    __matmul__ = binary(F.MatMul)
    __rmatmul__ = reflected(__matmul__)

    def softmax(self, axis: int = -1, *, dim: Any = None) -> Tensor:
        """e^x / Σ e^x along `axis` (or `dim`), stable for any finite input."""
        return F.Softmax.apply(self, axis=_reduce_args("softmax", axis if dim is None else None,
                                                       dim, None, None)[0])

    def log_softmax(self, axis: int = -1, *, dim: Any = None) -> Tensor:
        """x - log Σ e^x along `axis` (or `dim`), stable for any finite input."""
        return F.LogSoftmax.apply(self, axis=_reduce_args(
            "log_softmax", axis if dim is None else None, dim, None, None)[0])

    # -- reductions (numpy's axis/keepdims or PyTorch's dim/keepdim) ----------------------------
    def sum(self, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        axis, keep = _reduce_args("sum", axis, dim, keepdims, keepdim)
        if axis is None and not keep:  # the cost: every element summed, the common case
            return op1(F.Sum, self)
        return F.Sum.apply(self, axis=axis, keepdims=keep)

    def mean(self, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
             keepdim: Any = None) -> Tensor:
        """The sum divided by the number of summed elements (NaN for none, as numpy)."""
        axis, keep = _reduce_args("mean", axis, dim, keepdims, keepdim)
        axes = F._normalise_axis(axis, self.ndim)
        count = math.prod(self.shape[a] for a in axes)
        return self.sum(axis=axis, keepdims=keep) * (1.0 / count if count else math.nan)

    def max(self, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        """The largest element along `axis`; tied maxima share the gradient equally."""
        axis, keep = _reduce_args("max", axis, dim, keepdims, keepdim)
        return F.Max.apply(self, axis=axis, keepdims=keep)

    def min(self, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        axis, keep = _reduce_args("min", axis, dim, keepdims, keepdim)
        return -F.Max.apply(-self, axis=axis, keepdims=keep)

    # -- shapes ---------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same numbers in a new shape (one -1 is inferred); `view` is the same."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"reshape: sizes must be integers, got {n!r} in {shape}")
        try:
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a Tensor of shape {self.shape} "
                             f"({self.numel()} elements) into {tuple(shape)}") from None
        return F.Reshape.apply(self, shape=target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Join axes start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at `dim`."""
        d = dim % (self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop axes of length 1 (all of them, or only `dim` when it has length 1)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = dim % max(self.ndim, 1)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def transpose(self, *dims: Any) -> Tensor:
        """`transpose()` reverses the axes (as `.T`); `transpose(d0, d1)` swaps two axes, as in
        PyTorch (so a 2-D `transpose(0, 1)` is the matrix transpose).  For any other
        permutation use `permute(*dims)`."""
        if not dims:
            return F.Transpose.apply(self, axes=None)
        if len(dims) != 2 or not all(isinstance(d, (int, np.integer)) for d in dims):
            raise TypeError(f"transpose takes two axes to swap, transpose(d0, d1) as in "
                            f"PyTorch, got {dims}; for a permutation use permute{dims}")
        nd = max(self.ndim, 1)
        for d in dims:
            if not -nd <= d < nd:
                raise ValueError(f"transpose: axis {d} is out of range for shape {self.shape}")
        axes = list(range(self.ndim))
        i, j = dims[0] % nd, dims[1] % nd
        axes[i], axes[j] = axes[j], axes[i]
        return F.Transpose.apply(self, axes=tuple(axes))

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: axis i of the result is axis dims[i] of this tensor."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        nd = self.ndim
        if len(dims) != nd or sorted(d % max(nd, 1) for d in dims) != list(range(nd)):
            raise ValueError(f"permute: {dims} is not a permutation of the {nd} axes of "
                             f"shape {self.shape}")
        return F.Transpose.apply(self, axes=tuple(int(d) % max(nd, 1) for d in dims))

    @property
    def T(self) -> Tensor:
        """The axes reversed: the matrix transpose of a 2-D tensor."""
        return op1(F.Transpose, self)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return F.BroadcastTo.apply(self, shape=tuple(shape))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient passes through)."""
        return op1(F.Clone, self)

    def __getitem__(self, index: Any) -> Tensor:
        """numpy's indexing: slices, integers, integer arrays and boolean masks."""
        return F.GetItem.apply(self, index=_raw_index(index))

    # -- chapter 5: convolution and pooling layers (NCHW; see conv/functions.py) ---------------
    def conv2d(self, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> Tensor:
        """The convolution layer's weighted input (§5-4): x (N, C, H, W), weight (F, C, KH, KW),
        bias (F,) or None -> (N, F, OH, OW). Sum of kernel x patch: cross-correlation, as
        PyTorch."""
        from .conv.functions import Conv2d

        inputs = (self, weight) if bias is None else (self, weight, bias)
        return Conv2d.apply(*inputs, stride=stride, padding=padding)

    def max_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
        """Max pooling (§5-4): the largest value of each window; stride defaults to kernel_size."""
        from .conv.functions import MaxPool2d

        return MaxPool2d.apply(self, kernel_size=kernel_size, stride=stride, padding=padding)


Tensor._engine = Tensor
Tensor._math_ctx = MathOnly(ArrayMath)


class _Size(int):
    """A tensor's number of elements that can also be called as PyTorch's `size(dim=None)`."""

    _shape: tuple

    def __new__(cls, n: int, shape: tuple) -> _Size:
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        return self._shape if dim is None else self._shape[dim]


def _tensors(op: str, tensors: Sequence[Any]) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op} needs at least one Tensor")
    for t in tensors:
        if isinstance(t, Node) and not isinstance(t, Tensor):
            raise TypeError(f"{op} joins Tensors, got a {type(t).__name__}; for Values make a "
                            "Tensor first, e.g. Tensor([v.data for v in values])")
    return tensors


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy.concatenate with gradients)."""
    return F.Concatenate.apply(*_tensors("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (numpy.stack with gradients)."""
    return F.Stack.apply(*_tensors("stack", tensors), axis=axis)
