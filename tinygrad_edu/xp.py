"""The two small math namespaces the derivative rules are written against.

Each rule in `functions.py` is written once, as arithmetic plus calls such as `ctx.xp.exp(x)`.
On the scalar engine `ctx.xp` is `ScalarMath` (Python floats, the `math` module: no 0-d arrays,
so the scalar path stays fast); on the tensor engine it is `ArrayMath` (numpy).  Both follow
IEEE 754 where Python would raise: exp(1000) is inf, log(0) is -inf, 1/0 is inf.
(`graphmath.GraphMath` is the third namespace, used when a gradient is itself differentiated:
it has every function below, recording graph ops where it is handed graph values.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_INF = math.inf
_NAN = math.nan

# numpy's floating-point warnings, switched off cheaply.  The array ops below follow IEEE 754
# (exp(1000) = inf, log(0) = -inf) without a warning.  `with np.errstate(...)` costs about 1.3 µs,
# as much as σ itself on the book's 64x3 arrays; numpy >= 2 keeps that state in a context
# variable, and setting it to a state made once costs a quarter of that.  Other versions of numpy
# take np.errstate.
try:
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]  # numpy's own
        _extobj_contextvar as _ERRORS)
except ImportError:  # pragma: no cover - numpy 1.x
    _ERRORS = None

if _ERRORS is not None:
    with np.errstate(all="ignore"):
        _SILENT = _ERRORS.get()

    def quietly(f: Any, *args: Any) -> Any:
        """f(*args) with numpy's floating-point warnings off, as np.errstate(all="ignore")."""
        token = _ERRORS.set(_SILENT)
        try:
            return f(*args)
        finally:
            _ERRORS.reset(token)
else:  # pragma: no cover - numpy 1.x
    def quietly(f: Any, *args: Any) -> Any:
        """f(*args) with numpy's floating-point warnings off, as np.errstate(all="ignore")."""
        with np.errstate(all="ignore"):
            return f(*args)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _is_basic(index: Any) -> bool:
    """True for numpy "basic" indexing (ints, slices, ..., None): no element picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               for i in items) and not any(isinstance(i, bool) for i in items)


class ScalarMath:
    """Math on Python floats for the scalar engine (`Value`)."""

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            return _INF

    @staticmethod
    def log(x: float) -> float:
        if x > 0.0:
            return math.log(x)
        return -_INF if x == 0.0 else _NAN

    @staticmethod
    def reciprocal(x: float) -> float:
        try:
            return 1.0 / x
        except ZeroDivisionError:
            return math.copysign(_INF, x)

    @staticmethod
    def divide(a: float, b: float) -> float:
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0.0 or a != a:
                return _NAN
            return math.copysign(_INF, a) * math.copysign(1.0, b)

    @staticmethod
    def power(a: float, b: float) -> float:
        try:
            return math.pow(a, b)
        except OverflowError:
            return _INF if a > 0.0 or float(b).is_integer() and b % 2 == 0 else -_INF
        except (ValueError, ZeroDivisionError):  # 0 ** negative, or negative ** non-integer
            if a != 0.0:
                return _NAN
            odd = float(b).is_integer() and b % 2 == 1
            return math.copysign(_INF, a) if odd else _INF

    @staticmethod
    def sigmoid(z: float) -> float:
        # two forms so that exp never overflows: e^-z for z >= 0, e^z below
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    tanh = staticmethod(math.tanh)

    @staticmethod
    def step(z: float, strict: bool = False) -> float:
        """1 when z reaches 0 (z >= 0; z > 0 when `strict`), else 0."""
        return 1.0 if (z > 0.0 if strict else z >= 0.0) else 0.0

    @staticmethod
    def clip(x: float, lo: float, hi: float) -> float:
        return lo if x < lo else hi if x > hi else x

    @staticmethod
    def where(cond: bool, a: float, b: float) -> float:
        return a if cond else b

    @staticmethod
    def maximum(a: float, b: float) -> float:
        return a if a > b or a != a else b  # NaN propagates, as in numpy

    @staticmethod
    def inside(x: float, lo: float, hi: float) -> bool:
        """True strictly inside (lo, hi): where a clipped function has slope."""
        return lo < x < hi

    @staticmethod
    def positive(x: float) -> bool:
        return x > 0.0

    @staticmethod
    def where_zero(x: float) -> float:
        return 1.0 if x == 0.0 else 0.0

    @staticmethod
    def leaky(z: float, slope: float) -> float:
        return 1.0 if z > 0.0 else slope

    @staticmethod
    def mask(g: float, keep: Any) -> float:
        """g where `keep`, else 0 (an infinite g in a flat region gives 0, not NaN)."""
        return g if keep else 0.0


class ArrayMath:
    """Math on numpy arrays for the tensor engine (`Tensor`)."""

    tanh = staticmethod(np.tanh)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)
    clip = staticmethod(np.clip)

    @staticmethod
    def exp(x: np.ndarray) -> np.ndarray:
        return quietly(np.exp, x)  # e^1000 is inf, as in ScalarMath

    @staticmethod
    def log(x: np.ndarray) -> np.ndarray:
        return quietly(np.log, x)  # log 0 = -inf, log of a negative number is NaN

    @staticmethod
    def reciprocal(x: np.ndarray) -> np.ndarray:
        return quietly(np.reciprocal, x)  # 1/0 = inf

    @staticmethod
    def divide(a: Any, b: Any) -> np.ndarray:
        return quietly(np.divide, a, b)  # 1/0 = inf, 0/0 = NaN

    @staticmethod
    def power(a: Any, b: Any) -> np.ndarray:
        if type(b) is float or type(b) is int:  # the common x**2 and its derivative 2x**1
            if b == 2:
                return a * a
            if b == 1:
                return a
        return quietly(np.power, a, b)

    @staticmethod
    def sigmoid(z: np.ndarray) -> np.ndarray:
        # e^-z overflows to inf below z ≈ -709, and then 1/(1+inf) is exactly 0, as a Value
        # gives: the overflow is the right answer, so its warning is silenced
        return quietly(_sigmoid, z)

    @staticmethod
    def step(z: np.ndarray, strict: bool = False) -> np.ndarray:
        return ((z > 0) if strict else (z >= 0)).astype(z.dtype if z.dtype.kind == "f"
                                                         else np.float64)

    @staticmethod
    def inside(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        return (x > lo) & (x < hi)

    @staticmethod
    def positive(x: np.ndarray) -> np.ndarray:
        return x > 0

    @staticmethod
    def where_zero(x: Any) -> Any:
        if not isinstance(x, np.ndarray):  # a Python number stays weak: no float64 promotion
            return 1.0 if x == 0 else 0.0
        return (x == 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)

    @staticmethod
    def leaky(z: np.ndarray, slope: float) -> np.ndarray:
        """The slope of leaky_relu at each z: 1 where z > 0, `slope` elsewhere (z's dtype)."""
        return np.where(z > 0, 1.0, slope).astype(z.dtype)

    @staticmethod
    def mask(g: np.ndarray, keep: Any) -> np.ndarray:
        """g where `keep`, else 0 (an infinite g in a flat region gives 0, not NaN)."""
        return np.where(keep, g, 0.0)  # a Python 0.0 keeps g's dtype (float32 stays float32)

    @staticmethod
    def broadcast_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        # a read-only view that repeats g, as np.broadcast_to gives: no array of the input's size
        # is made for the gradient of a sum (8 MB for a 1000x1000 input), and a leaf that keeps
        # it gets a copy of its own (Tensor._own).  The usual case, a cost's 0-d gradient, is
        # made directly (strides 0), without np.broadcast_to's checks: 0.6 µs against 4 µs.
        if type(g) is np.ndarray and not g.ndim:
            view = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
            view.flags.writeable = False
            return view
        return np.broadcast_to(g, shape)

    @staticmethod
    def summed_axes(gshape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple, int]:
        """The axes a gradient of `gshape` is summed over to undo broadcasting to `shape`, and
        how many leading axes broadcasting added (negative: `shape` has more axes)."""
        lead = len(gshape) - len(shape)
        if lead < 0:
            return (), lead
        return tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1), lead

    @staticmethod
    def sum_to(g: Any, shape: tuple[int, ...]) -> np.ndarray:
        """Sum a broadcast gradient back to `shape` (the inverse of numpy broadcasting)."""
        if type(g) is not np.ndarray:  # a numpy scalar (0-d arithmetic gives those)
            g = np.asarray(g)
        gshape = g.shape
        if gshape == shape:
            return g
        if gshape[1:] == shape:  # a bias added to every row: the usual case
            return np.add.reduce(g, 0)  # g.sum(axis=0) without its Python wrapper
        axes, lead = ArrayMath.summed_axes(gshape, shape)
        if lead < 0:
            return ArrayMath.broadcast_to(g, shape)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        if lead:
            g = g.reshape(g.shape[lead:])
        if g.shape != shape:
            raise ValueError(f"cannot sum a gradient of shape {g.shape} back to shape {shape}")
        return g

    @staticmethod
    def scatter_add(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
        """A zero array of `shape` with `g` added at `index` (repeated indices add up)."""
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):  # slices and integers pick each element once: plain assignment
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    expand_dims = staticmethod(np.expand_dims)
    reshape = staticmethod(np.reshape)

    @staticmethod
    def permute(x: np.ndarray, axes: Any) -> np.ndarray:
        return x.transpose(axes)  # the method: np.transpose(x, axes) adds two Python calls

    sum = staticmethod(np.sum)

    @staticmethod
    def getitem(x: np.ndarray, index: Any) -> np.ndarray:
        return x[index]

    @staticmethod
    def swap_last(x: np.ndarray) -> np.ndarray:
        """Swap the last two axes: the transpose of a (batch of) matrices."""
        return np.swapaxes(x, -1, -2)
