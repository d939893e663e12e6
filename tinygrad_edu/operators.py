"""The operators and activations `Value` and `Tensor` share, written once (§1-2, §1-3).

Each operator is the fast entry of its op's `Function` (`binary(F.Mul)`, autograd.py); each
method is one line: the `Function` through `op1`, or `Function.apply` when it takes options.
Python numbers are welcome on either side of an operator: `1.0 - a`, `2 * w`, `a ** 2`.
"""

from __future__ import annotations

from typing import Any

from . import functions as F
from .autograd import binary, op1, reflected


class Operators:
    """Mixed into `Value` and `Tensor`: arithmetic, elementwise functions and activations."""

    __slots__ = ()

    # -- arithmetic: each operator is the fast entry of its op ----------------------------------
    __add__ = binary(F.Add)
    __radd__ = reflected(__add__)
    __sub__ = binary(F.Sub)
    __rsub__ = reflected(__sub__)
    __mul__ = binary(F.Mul)
    __rmul__ = reflected(__mul__)
    __truediv__ = binary(F.Div)
    __rtruediv__ = reflected(__truediv__)
    __pow__ = binary(F.Pow)
    __rpow__ = reflected(__pow__)

    def __neg__(self) -> Any:
        return op1(F.Neg, self)

    def __pos__(self) -> Any:
        return self

    # -- elementwise functions ------------------------------------------------------------------
    def exp(self) -> Any:
        """e^x (inf past about 709)."""
        return op1(F.Exp, self)

    def log(self) -> Any:
        """ln x; ln 0 = -inf with gradient +inf, ln of a negative number is NaN."""
        return op1(F.Log, self)

    def sqrt(self) -> Any:
        """√x = x ** 0.5 (gradient inf at 0, as in PyTorch)."""
        return self ** 0.5

    def abs(self) -> Any:
        """|x| = relu(x) + relu(-x): derivative ±1, and 0 at the corner x = 0 (as PyTorch)."""
        return op1(F.ReLU, self) + op1(F.ReLU, op1(F.Neg, self))

    def __abs__(self) -> Any:
        return self.abs()

    # -- activation functions (§1-2, §1-3) ------------------------------------------------------
    def sigmoid(self) -> Any:
        """σ(z) = 1/(1+e^-z), the book's activation (§1-3); σ' = σ(1-σ)."""
        return op1(F.Sigmoid, self)

    def tanh(self) -> Any:
        """tanh z; derivative 1 - tanh²z."""
        return op1(F.Tanh, self)

    def relu(self) -> Any:
        """max(0, z); derivative 1 for z > 0, 0 for z <= 0 (0 at the corner)."""
        return op1(F.ReLU, self)

    def leaky_relu(self, slope: float = 0.01) -> Any:
        """z for z > 0 else slope·z; derivative 1 for z > 0, `slope` for z <= 0."""
        return F.LeakyReLU.apply(self, slope=slope)

    def step(self, surrogate: str = "zero", strict: bool = False) -> Any:
        """The unit step (§1-2): 1 when z reaches 0 (z >= 0; with `strict`, only z > 0), else 0.
        Gradient 0, or a surrogate: `"ste"` (pass the gradient straight through) or
        `"sigmoid"` (use σ'(z))."""
        return F.Step.apply(self, surrogate=surrogate, strict=strict)

    def hard_sigmoid(self) -> Any:
        """clip(0.25z + 0.5, 0, 1); derivative 0.25 inside (-2, 2), 0 outside and at ±2."""
        return op1(F.HardSigmoid, self)

    def hard_tanh(self) -> Any:
        """clip(z, -1, 1); derivative 1 inside (-1, 1), 0 outside and at ±1."""
        return op1(F.HardTanh, self)
