"""`Value`: the scalar engine, one Python float with a gradient (§1-3).

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

from .fused import WeightedInput
from .graph import Node, switches
from .ops import Operators


def to_float(x: Any, what: str = "Value()") -> float:
    """A Python float from a real number; a clear TypeError or OverflowError otherwise."""
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray) and x.size == 1:
        x = x.item()
    if isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, Node):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{what}: {str(x)[:20]}... is too large for a float (the "
                                "largest is about 1.8e308)") from None
    hint = (f" of shape {np.shape(x)}; use Tensor for arrays" if isinstance(
        x, (np.ndarray, list, tuple)) else
            "; use .data to take its number" if isinstance(x, Node) else "")
    raise TypeError(f"{what} takes one real number, got {type(x).__name__} "
                    f"{repr(x)[:40]}{hint}")


class Value(Operators, Node):
    """A scalar node: `.data` is a float, `.grad` is d(output)/d(this), 0.0 until `backward`.

    `requires_grad` is True by default (every `Value` is a variable you may want to learn);
    `label` names it in messages and drawings.  `<`, `<=`, `>`, `>=` compare the numbers and give
    a bool (outside the graph); `==` is identity, so Values can be dict keys.
    """

    __slots__ = ("data",)
    data: float
    zero_grad_value = 0.0
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float64(2) * Value

    def __init__(self, data: Any, label: str | None = None, requires_grad: bool = True) -> None:
        self.data = data if type(data) is float else to_float(data)
        self.grad, self.requires_grad, self.grad_fn = 0.0, bool(requires_grad), None
        if label is not None:
            self.label = label

    # -- what the engine asks (graph.py, function.py) -------------------------------------------
    @staticmethod
    def raw_constant(x: Any, ctx: Any) -> float:
        """A plain operand as a float for `ctx`'s op."""
        if type(x) is float:
            return x
        if not isinstance(x, (numbers.Real, np.bool_, np.ndarray)):
            raise TypeError(f"{ctx.name()}: a Value can only be combined with a real number or "
                            f"a Value, got {type(x).__name__} {repr(x)[:40]}")
        return to_float(x, ctx.name())

    @classmethod
    def constant(cls, raw: Any) -> Value:
        return cls.engine(raw, requires_grad=False)

    def fit_gradient(self, g: Any, op: Any) -> Any:  # a float (a Value at higher order)
        if type(g) is float or isinstance(g, Value) and switches.grad_enabled:
            return g
        return to_float(g.data if isinstance(g, Value) else g,
                        f"{getattr(op, 'name', lambda: op)()} (the gradient of {self._name()})")

    def seed(self, grad: Any = None) -> float:
        return 1.0 if grad is None else to_float(
            grad.data if isinstance(grad, Value) else grad, "backward(grad)")


Value.engine = Value


def weighted_input(w: Sequence[Any], x: Sequence[Any], b: Any = 0.0) -> Any:
    """The weighted input z = w1·x1 + ... + wn·xn + b of a unit (§1-3), as one graph node.

    `w` and `x` are equally long sequences of `Value`s or numbers (or `Tensor`s); b is the bias,
    minus the threshold θ.  It equals `sum(wi * xi for wi, xi in zip(w, x)) + b` in value and in
    every derivative (engine/fused.py).
    """
    if len(w) != len(x):
        raise ValueError(f"weighted_input: {len(w)} weights but {len(x)} inputs; one weight "
                         "per input")
    if all(type(xi) is float for xi in x):  # data, such as pixels: not part of the graph
        return WeightedInput.apply(*w, b, x=tuple(x))
    return WeightedInput.apply(*w, *x, b)
