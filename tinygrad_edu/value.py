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
from typing import Any, Sequence

import numpy as np

from . import functions as F
from .autograd import Node
from .xp import ScalarMath


def _describe(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


class Value(Node):
    """A scalar node: `.data` is a float, `.grad` is d(output)/d(this), 0.0 until `backward`.

    `requires_grad` is True by default (every `Value` is a variable you may want to learn);
    `label` names it in error messages and drawings.  Operators `+ - * / **` and unary `-`
    accept Python numbers on either side.
    """

    __slots__ = ()
    _xp = ScalarMath
    _zero_grad_value = 0.0
    _grad_type = float
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float64(2) * Value

    def __init__(self, data: Any, label: str | None = None, requires_grad: bool = True) -> None:
        self.data = self._to_float(data)
        self.grad = 0.0
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._ctx = None
        self._hooks = None

    @staticmethod
    def _to_float(data: Any) -> float:
        if type(data) is float:
            return data
        if isinstance(data, Node):
            raise TypeError(f"Value() takes a real number, got a {type(data).__name__}; "
                            "use .data to take its number, or .detach() for a copy")
        if isinstance(data, (numbers.Real, np.floating, np.integer, np.bool_)):
            return float(data)
        if isinstance(data, np.ndarray):
            raise TypeError(f"Value() takes one real number, got an array of shape {data.shape}; "
                            "use Tensor for arrays (or .item() for a one-element array)")
        raise TypeError(f"Value() takes a real number (int or float), got "
                        f"{type(data).__name__} {_describe(data)}")

    # -- engine interface (see autograd.Node) -------------------------------------------------
    @classmethod
    def _from_raw(cls, raw: Any) -> "Value":
        v = object.__new__(Value)
        v.data = raw if type(raw) is float else float(raw)
        v.grad = 0.0
        v.requires_grad = False
        v.label = None
        v._ctx = None
        v._hooks = None
        return v

    @classmethod
    def _constant(cls, x: Any, fn: type) -> float:
        if type(x) is float:
            return x
        if isinstance(x, (numbers.Real, np.floating, np.integer, np.bool_)) and not isinstance(
                x, Node):
            return float(x)
        if isinstance(x, Node):  # a Tensor: Function.apply refuses the mix before we get here
            raise TypeError(f"{fn.name()}: cannot mix Value and {type(x).__name__}")
        hint = "; use Tensor for arrays" if isinstance(x, (np.ndarray, list, tuple)) else ""
        raise TypeError(f"{fn.name()}: a Value can only be combined with a real number or a "
                        f"Value, got {type(x).__name__} {_describe(x)}{hint}")

    def _fit_grad(self, g: Any, fn: type) -> Any:
        if type(g) is float or isinstance(g, Value):
            return g
        try:
            return float(g)
        except (TypeError, ValueError):
            raise TypeError(f"{fn.name()}.backward returned {type(g).__name__} "
                            f"{_describe(g)} as the gradient of a Value; return a float") from None

    def _accumulate(self, g: float, given: set[int]) -> None:
        self.grad += g

    def _seed(self, create_graph: bool) -> Any:
        return Value(1.0, requires_grad=False) if create_graph else 1.0

    def _check_grad_arg(self, grad: Any) -> Any:
        if isinstance(grad, Value):
            return grad
        if isinstance(grad, np.ndarray) and grad.size != 1:
            raise ValueError(f"backward: the gradient of a Value must be one number, got an "
                             f"array of shape {grad.shape}")
        return self._to_float(grad.item() if isinstance(grad, np.ndarray) else grad)

    # -- arithmetic -----------------------------------------------------------------------------
    def __add__(self, other: Any) -> "Value":
        return F.Add.apply(self, other)

    def __radd__(self, other: Any) -> "Value":
        return F.Add.apply(other, self)

    def __sub__(self, other: Any) -> "Value":
        return F.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> "Value":
        return F.Sub.apply(other, self)

    def __mul__(self, other: Any) -> "Value":
        return F.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> "Value":
        return F.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> "Value":
        return F.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> "Value":
        return F.Div.apply(other, self)

    def __pow__(self, other: Any) -> "Value":
        return F.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> "Value":
        return F.Pow.apply(other, self)

    def __neg__(self) -> "Value":
        return F.Neg.apply(self)

    def __pos__(self) -> "Value":
        return self

    def __float__(self) -> float:
        return self.data

    # -- functions and activations (§1-2, §1-3) ---------------------------------------------
    def exp(self) -> "Value":
        """e^x (inf past about 709)."""
        return F.Exp.apply(self)

    def log(self) -> "Value":
        """ln x; ln 0 = -inf with gradient +inf, ln of a negative number is NaN."""
        return F.Log.apply(self)

    def sigmoid(self) -> "Value":
        """σ(z) = 1/(1+e^-z), the book's activation (§1-3); σ' = σ(1-σ)."""
        return F.Sigmoid.apply(self)

    def tanh(self) -> "Value":
        """tanh z; derivative 1 - tanh²z."""
        return F.Tanh.apply(self)

    def relu(self) -> "Value":
        """max(0, z); derivative 1 for z > 0, 0 for z <= 0 (0 at the corner)."""
        return F.ReLU.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """z for z > 0 else slope·z; derivative 1 for z > 0, `slope` for z <= 0."""
        return F.LeakyReLU.apply(self, slope=slope)

    def step(self, surrogate: str = "zero") -> "Value":
        """The unit step (§1-2): 1 for z >= 0, else 0.  Gradient 0, or a surrogate:
        `"ste"` (pass the gradient straight through) or `"sigmoid"` (use σ'(z))."""
        return F.Step.apply(self, surrogate=surrogate)

    def hard_sigmoid(self) -> "Value":
        """clip(0.25z + 0.5, 0, 1); derivative 0.25 inside (-2, 2), 0 outside and at ±2."""
        return F.HardSigmoid.apply(self)

    def hard_tanh(self) -> "Value":
        """clip(z, -1, 1); derivative 1 inside (-1, 1), 0 outside and at ±1."""
        return F.HardTanh.apply(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})" if isinstance(
            self.grad, float) else f"Value(data={self.data:.6g}{label})"


Value._engine = Value


def weighted_input(w: Sequence[Any], x: Sequence[Any], b: Any = 0.0) -> Any:
    """The weighted input z = w1·x1 + ... + wn·xn + b of a unit (§1-3), as one graph node.

    `w` and `x` are equally long sequences of `Value`s or numbers (or of `Tensor`s); b is the
    bias, minus the threshold θ.  Its gradient: dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1.
    """
    if len(w) != len(x):
        raise ValueError(f"weighted_input: {len(w)} weights but {len(x)} inputs; one weight "
                         "per input")
    if set(map(type, x)) == {float}:  # data, such as pixels: not part of the graph
        return F.WeightedInput.apply(*w, b, x=tuple(x))
    return F.WeightedInput.apply(*w, *x, b)
