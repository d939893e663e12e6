"""`Tensor`: the tensor engine, a numpy array with a gradient (§1-4: a layer at a time).

The same rules as `Value` (ops.py), on whole arrays: a layer's weighted inputs for all 64
images at once are one matrix product, Z = X Wᵀ + b.

    >>> W = Tensor([[0.5, -1.0]], requires_grad=True)
    >>> (W @ Tensor([2.0, 1.0])).sigmoid().sum().backward()
    >>> W.grad.round(4).tolist()
    [[0.5, 0.25]]
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from . import ops
from .function import Operand
from .graph import Node, switches

_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))  # float64 first: found by identity, 30 ns


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
    bad = [x for x in arr.flat if not isinstance(x, (int, float, np.number)) or isinstance(
        x, (bool, complex, np.complexfloating))][:1] if arr.dtype.kind in "OUSc" else []
    if not bad:  # integers, other floats, objects that are all real numbers
        return arr.astype(np.float64)
    found = "strings" if arr.dtype.kind in "US" else f"{type(bad[0]).__name__} {bad[0]!r}"
    raise TypeError(f"{what} needs real numbers, got {found}; convert the data first")


class Version:
    """How often a piece of memory was changed in place; shared by a tensor and its views, so
    that an op that saved one of them sees a change made through any other (as PyTorch)."""

    count = 0  # raised by one at each in-place change


S = TypeVar("S", bound="Tensor")  # a method's result is of its tensor's class


class Tensor(ops.Operators, Node):
    """A node over a numpy array: float64 by default, float32 kept when given.

    `.grad` is an array of the same shape, or None until a backward reaches it.  `requires_grad`
    is False by default (data), True for weights.  Integers become float64; booleans stay boolean
    (masks, results of comparisons), outside the graph.  Changing the numbers in place
    (`t.data -= x`, `t -= x` under `no_grad()`, an optimizer step) after an op saved them and
    before backward reaches that op raises in backward, through views too.  The engine speaks
    numpy (`axis=`, `keepdims=`); `tinygrad_edu.Tensor` (habits.py) adds PyTorch's spellings.
    """

    __slots__ = ("_data", "version")
    _data: np.ndarray
    zero_grad_value = None
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None,
                 dtype: Any = None) -> None:
        if dtype is None and type(data) is np.ndarray and data.dtype in _FLOATS:
            arr = data  # an op's result: already what it must be
        else:
            arr = self._as_array(data, dtype, requires_grad)
        self._data, self.version = arr, Version()
        self.grad, self.requires_grad, self.grad_fn = None, bool(requires_grad), None
        if label is not None:
            self.label = label

    @staticmethod
    def _as_array(data: Any, dtype: Any, requires_grad: bool) -> np.ndarray:
        """`data` as the array of a Tensor: float (of `dtype`), or integers for indices."""
        kind = None if dtype is None else np.dtype(dtype)
        if kind is not None and kind not in _FLOATS and (requires_grad or kind.kind not in "biu"):
            raise TypeError(f"Tensor dtype must be float32 or float64 (or, for indices without "
                            f"a gradient, an integer type), got {dtype}")
        arr = as_array(data) if kind is None or kind in _FLOATS else np.asarray(data, kind)
        arr = arr if kind is None else arr.astype(kind, copy=False)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require a gradient, got "
                            f"dtype {arr.dtype}; pass dtype=np.float64")
        return arr

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

    versioned = True

    @staticmethod
    def note_versions(ctx: Any, operands: tuple[Any, ...], out: Tensor) -> None:
        """Keep the version of every Tensor the rule reads (`saved`): operands and result."""
        if out._data.dtype.kind != "f":  # an op's result is always a float
            out._data = out._data.astype(np.float64)
        source = operands[0]
        if ctx.view and isinstance(source, Tensor) and np.may_share_memory(out._data, source._data):
            out.version = source.version  # a view: the same memory, the same version
        if ctx.saved:
            versions: list[Any] = [(out.version, out.version.count, None)]  # None: the result
            for x in operands:
                if isinstance(x, Tensor):
                    versions.append((x.version, x.version.count, x))
            ctx.versions = tuple(versions)

    @classmethod
    def constant(cls: type[S], raw: Any) -> S:
        return cls.engine(raw)

    def fit_gradient(self, g: Any, op: Any) -> Any:
        """A gradient piece of this tensor's shape (broadcasting summed back) and dtype."""
        data = self._data
        if type(g) is np.ndarray and g.shape == data.shape and g.dtype == data.dtype:
            return g  # the usual case: it fits already
        if isinstance(g, Tensor) and switches.grad_enabled:  # higher order: a graph value
            return ops.sum_to(g, data.shape) if g.shape != data.shape else g
        g = np.asarray(g.data if isinstance(g, Node) else g)
        if g.shape != data.shape:
            try:
                g = ops.sum_to(g, data.shape)
            except ValueError:
                raise ValueError(f"{getattr(op, 'name', lambda: op)()} gave a gradient of shape "
                                 f"{g.shape} for {self._name()} of shape {data.shape}") from None
        return g if g.dtype == data.dtype else g.astype(data.dtype)

    def seed(self, grad: Any = None) -> np.ndarray:
        """d(self)/d(self) = 1 for a cost; else a copy of the `grad` given, of this shape."""
        shape, dtype = self._data.shape, self._data.dtype
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: this Tensor has shape {shape}; backward() without a gradient "
                    "needs a one-element result (a cost). Reduce it first (.sum(), .mean()) or "
                    f"pass the gradient: .backward(np.ones({shape}))")
            return np.array(1.0, dtype).reshape(shape)
        g = as_array(grad.data if isinstance(grad, Node) else grad, "backward(grad)")
        if g.shape != shape and not (g.size == 1 == self._data.size):
            raise ValueError(f"backward: the gradient has shape {g.shape} but the Tensor has "
                             f"shape {shape}; they must match")
        return np.array(g.reshape(shape), dtype=dtype)  # a copy: the caller's stays theirs

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

    # -- the tensor ops (numpy's axis= and keepdims=) -------------------------------------------
    def __matmul__(self: S, other: Operand[S]) -> S:
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self: S, other: Operand[S]) -> S:
        return ops.MatMul.apply(other, self)

    def sum(self: S, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Any = None) -> S:
        """Σ over `dim` (PyTorch) or `axis` (numpy), all elements by default."""
        if axis is not None and dim is not None or keepdims is not None and keepdim:
            raise TypeError("sum: give dim/keepdim (PyTorch) or axis/keepdims (numpy), not both")
        return ops.Sum.apply(self, axis=dim if axis is None else axis,
                             keepdims=bool(keepdim if keepdims is None else keepdims))

    def reshape(self: S, *shape: Any) -> S:
        """The same numbers in a new shape (one −1 is inferred)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"reshape: sizes must be integers, got {n!r} in {shape}")
        try:
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a Tensor of shape {self.shape} "
                             f"({self._data.size} elements) into {tuple(shape)}") from None
        return ops.Reshape.apply(self, shape=target)

    @property
    def T(self: S) -> S:
        """The axes reversed: the matrix transpose of a 2-D tensor."""
        return ops.Transpose.apply(self)

    def swapaxes(self: S, d0: int, d1: int) -> S:
        """The tensor with axes d0 and d1 swapped (a batch of matrices transposed: −1, −2)."""
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return ops.Transpose.apply(self, axes=tuple(axes))


Tensor.engine = Tensor
