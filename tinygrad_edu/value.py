"""`Value`: one number of the scalar engine, a Python float with a gradient (§1-3).

The book draws a network unit by unit; `Value` computes it the same way, one multiplication at a
time, so every weight, weighted input z and activation a is a node you can print and draw:

    >>> from tinygrad_edu import Value
    >>> w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-0.3, label="b")
    >>> a = (w * x + b).sigmoid()
    >>> a.backward()
    >>> round(w.grad, 6), round(b.grad, 6)
    (0.443426, 0.221713)
"""

from __future__ import annotations

import numbers
from typing import Any
from collections.abc import Sequence

import numpy as np

from . import functions as F
from .autograd import MathOnly, Node
from .operators import Operators
from .xp import ScalarMath

_object_new = object.__new__


def _describe(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _to_float(data: Any, what: str = "Value()") -> float:
    """A Python float from a real number; a clear TypeError or OverflowError otherwise."""
    if type(data) is float:
        return data
    if isinstance(data, Node):
        raise TypeError(f"{what} takes a real number, got a {type(data).__name__}; "
                        "use .data to take its number, or .detach() for a copy")
    if isinstance(data, (numbers.Real, np.floating, np.integer, np.bool_)):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(f"{what}: {_describe(data)} is too large for a float "
                                "(the largest is about 1.8e308)") from None
    if isinstance(data, np.ndarray):
        raise TypeError(f"{what} takes one real number, got an array of shape {data.shape}; "
                        "use Tensor for arrays (or .item() for a one-element array)")
    raise TypeError(f"{what} takes a real number (int or float), got "
                    f"{type(data).__name__} {_describe(data)}")


class Value(Operators, Node):
    """A scalar node: `.data` is a float, `.grad` is d(output)/d(this), 0.0 until `backward`.

    `requires_grad` is True by default (every `Value` is a variable you may want to learn);
    `label` names it in error messages and drawings.  Operators `+ - * / **` and unary `-`
    accept Python numbers on either side.

    Comparisons `<`, `<=`, `>`, `>=` compare the numbers and give a Python bool (so `sorted`,
    `max` and `if a > b:` work, outside the graph); `==` is identity, as in micrograd, so Values
    can be dict keys (compare numbers with `a.data == b.data`); `bool(v)` is `v.data != 0`;
    `float(v)` takes the number out of the graph: no gradient flows through it.
    """

    __slots__ = ("data",)
    xp = ScalarMath
    _zero_grad_value = 0.0
    _grad_type = float
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float64(2) * Value

    def __init__(self, data: Any, label: str | None = None, requires_grad: bool = True) -> None:
        self.data = _to_float(data)
        self.grad = 0.0
        self.requires_grad = bool(requires_grad)
        self.fn = None
        self._users = 0
        if label is not None:
            self.label = label

    # -- engine interface (see autograd.Node) -------------------------------------------------
    @staticmethod
    def _blank() -> Value:
        v = _object_new(Value)
        v.grad = 0.0
        v.requires_grad = False
        v.fn = None
        v._users = 0
        return v

    @staticmethod
    def _fill(out: Value, raw: Any, fn: Any) -> None:
        if type(raw) is not float:
            if isinstance(raw, (str, bytes)) or raw is None or isinstance(raw, np.ndarray) and (
                    raw.size != 1):
                raise TypeError(f"{fn.name()}.forward returned {type(raw).__name__} "
                                f"{_describe(raw)} for a Value; return one real number")
            raw = _to_float(raw.item() if isinstance(raw, np.ndarray) else raw,
                            f"{fn.name()}.forward's result")
        out.data = raw

    @staticmethod
    def _make(raw: Any, fn: Any) -> Value:
        """A node holding an op's result (what `_blank` then `_fill` do, in one call, but for
        `fn` and `requires_grad`, which the fast entries set)."""
        v = _object_new(Value)
        v.data = raw if type(raw) is float else _to_float(raw, f"{fn.name()}'s result")
        v.grad = 0.0
        v._users = 0
        return v

    @staticmethod
    def _new(raw: Any) -> Value:
        v = Value._blank()
        v.data = _to_float(raw)
        return v

    @classmethod
    def _constant(cls, x: Any, fn: Any) -> float:
        if isinstance(x, (numbers.Real, np.floating, np.integer, np.bool_)) and not isinstance(
                x, Node):
            return _to_float(x, fn.name())
        hint = "; use Tensor for arrays" if isinstance(x, (np.ndarray, list, tuple)) else ""
        raise TypeError(f"{fn.name()}: a Value can only be combined with a real number or a "
                        f"Value, got {type(x).__name__} {_describe(x)}{hint}")

    def _fit_grad(self, g: Any, fn: Any, create_graph: bool = False) -> Any:
        if type(g) is float:
            return g
        if isinstance(g, Value):
            return g if create_graph else g.data
        try:
            return float(g)
        except (TypeError, ValueError):
            raise TypeError(f"{fn.name()}.backward returned {type(g).__name__} "
                            f"{_describe(g)} as the gradient of a Value; return a float") from None

    def _fit_hook_grad(self, g: Any, hook: Any, create_graph: bool) -> Any:
        if isinstance(g, Value):
            return g if create_graph else g.data
        if isinstance(g, np.ndarray) and g.size != 1:
            raise ValueError(f"hook {getattr(hook, '__name__', hook)!r} returned an array of "
                             f"shape {g.shape} for {self._name()}; return one number")
        return _to_float(g.item() if isinstance(g, np.ndarray) else g, "a hook's result")

    def _seed(self, create_graph: bool) -> Any:
        return Value(1.0, requires_grad=False) if create_graph else 1.0

    def _check_grad_arg(self, grad: Any) -> Any:
        if isinstance(grad, Value):
            return grad.data
        if isinstance(grad, np.ndarray) and grad.size != 1:
            raise ValueError(f"backward: the gradient of a Value must be one number, got an "
                             f"array of shape {grad.shape}")
        return _to_float(grad.item() if isinstance(grad, np.ndarray) else grad,
                         "backward(grad)")

    # -- numbers out of the graph ---------------------------------------------------------------
    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    def _number(self, other: Any) -> float:
        return other.data if isinstance(other, Value) else _to_float(other, "comparison")

    def __lt__(self, other: Any) -> bool:
        return self.data < self._number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= self._number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > self._number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= self._number(other)

    __hash__ = Node.__hash__

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})" if isinstance(
            self.grad, float) else f"Value(data={self.data:.6g}{label})"


Value._engine = Value
Value._math_ctx = MathOnly(ScalarMath)


def weighted_input(w: Sequence[Any], x: Sequence[Any], b: Any = 0.0) -> Any:
    """The weighted input z = w1·x1 + ... + wn·xn + b of a unit (§1-3), as one graph node.

    `w` and `x` are equally long sequences of `Value`s or numbers (or of `Tensor`s); b is the
    bias, minus the threshold θ.  Its gradient: dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1.
    It equals `sum(wi * xi for wi, xi in zip(w, x)) + b` in value and in every derivative;
    it is one node because the book draws a unit's weighted input as one.
    """
    if len(w) != len(x):
        raise ValueError(f"weighted_input: {len(w)} weights but {len(x)} inputs; one weight "
                         "per input")
    if set(map(type, x)) == {float}:  # data, such as pixels: not part of the graph
        return F.WeightedInput.apply(*w, b, x=tuple(x))
    return F.WeightedInput.apply(*w, *x, b)
