"""Every derivative rule, once: forward and backward side by side, for both engines, any order.

A rule reads `ctx.args` and `ctx.out` (function.py) and writes the chain rule with operators,
the methods floats, arrays and graph values share (`.sum`, `.reshape`, `.T`), and the helpers
below, each doing one thing on a float, an array or a graph value: the same lines give first
derivatives on raw numbers and higher ones under `create_graph`.  What a rule computes from
`ctx.raw_args` (a mask, a slope) is a constant at every order.  At a kink an activation's
derivative is that of the flat side (0), as in PyTorch; a flat region passes 0 even for an
infinite gradient (`mask`, never a multiplication by 0).
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

from .function import Function, Operand
from .graph import Node

# -- the helpers: one job each, on a float, an array or a graph value -------------------------


def exp(x: Any) -> Any:
    """e^x; inf past about 709, as IEEE 754 says (Python's math.exp would raise)."""
    if isinstance(x, Operators):  # a graph value: the op
        return x.exp()
    if isinstance(x, float):
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf
    with np.errstate(over="ignore"):
        return np.exp(x)


def log(x: Any) -> Any:
    """ln x; ln 0 = -inf, ln of a negative number is NaN."""
    if isinstance(x, Operators):
        return x.log()
    if isinstance(x, float):
        return math.log(x) if x > 0.0 else -math.inf if x == 0.0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def divide(a: Any, b: Any) -> Any:
    """a / b; x/0 is ±inf and 0/0 NaN, as IEEE 754 says."""
    if type(a) is not float or type(b) is not float:  # arrays, numpy numbers, graph values
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b
    if b != 0.0:  # Python's floats never warn: no errstate to enter (0.9 µs)
        return a / b
    return math.nan if a == 0.0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)


def power(a: Any, b: Any) -> Any:
    """a ** b; IEEE 754 where Python raises: 0 ** -1 = inf, (-8) ** 0.5 = NaN, overflow inf."""
    if isinstance(a, Node) or isinstance(b, Node):
        return a ** b
    if isinstance(a, float) and isinstance(b, (int, float)):  # the scalar engine
        try:
            r = a ** b
            if not isinstance(r, complex):
                return float(r)
        except (OverflowError, ZeroDivisionError):
            pass
        with np.errstate(all="ignore"):
            return float(np.power(a, b))
    with np.errstate(all="ignore"):
        return a ** b


def mask(g: Any, keep: Any) -> Any:
    """g where `keep`, 0 elsewhere: an infinite g in a flat region gives 0, not NaN."""
    if isinstance(g, Node):
        return Mask.apply(g, keep=keep)
    if isinstance(g, float):
        return g if keep else 0.0
    return np.where(keep, g, 0.0)  # a Python 0.0: float32 stays float32


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back to `shape` (the engine does it for every rule's result)."""
    if len(g.shape) > len(shape):  # the axes broadcasting put in front (a bias: every row)
        g = g.sum(axis=tuple(range(len(g.shape) - len(shape))))
    stretched: tuple[int, ...] = ()  # then the axes of length 1 it stretched
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            stretched += (i,)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _float_mask(keep: Any, like: Any) -> Any:
    """1.0 where `keep`, else 0.0: a float, or an array of `like`'s float dtype (else float64)."""
    if isinstance(keep, bool):
        return 1.0 if keep else 0.0
    return keep.astype(like.dtype if like.dtype.kind == "f" else np.float64)


# -- arithmetic --------------------------------------------------------------------------------

class Add(Function):
    """z = a + b;  ∂z/∂a = 1, ∂z/∂b = 1."""
    op_name, symbol, derivative, saved = "add", "+", ("1", "1"), False

    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a + b
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, grad


class Sub(Function):
    """z = a − b;  ∂z/∂a = 1, ∂z/∂b = −1."""
    op_name, symbol, derivative, saved = "sub", "−", ("1", "(−1)"), False

    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a - b
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, -grad


class Neg(Function):
    """z = −a;  ∂z/∂a = −1."""
    op_name, symbol, derivative, saved = "neg", "−x", ("(−1)",), False

    def forward(ctx: Any, a: Any) -> Any:
        return -a
    def backward(ctx: Any, grad: Any) -> Any:
        return -grad


class Mul(Function):
    """z = a·b;  ∂z/∂a = b, ∂z/∂b = a (a weight times an input: §1-3)."""
    op_name, symbol, derivative = "mul", "×", ("{1}", "{0}")

    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a * b
    def backward(ctx: Any, grad: Any) -> Any:
        (a, b), (wa, wb) = ctx.args, ctx.inputs  # only the gradients wanted are computed
        return None if wa is None else grad * b, None if wb is None else grad * a


class Div(Function):
    """z = a / b;  ∂z/∂a = 1/b, ∂z/∂b = −a/b² = −z/b."""
    op_name, symbol, derivative = "div", "÷", ("1/{1}", "(−{0}/{1}²)")

    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return divide(a, b)
    def backward(ctx: Any, grad: Any) -> Any:
        ga = divide(grad, ctx.args[1])
        return ga, -(ga * ctx.out)


class Pow(Function):
    """z = a^b;  ∂z/∂a = b·a^(b−1), ∂z/∂b = z·ln a; at the corners the limits, as PyTorch:
    ∂z/∂a = 0 where b = 0 (x**0 passes even an infinite gradient on as 0), ∂z/∂b = 0 at a = 0."""
    op_name, symbol, derivative = "pow", "^", ("{1}·{0}^({1}−1)", "{0}^{1}·ln {0}")

    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return power(a, b)
    def backward(ctx: Any, grad: Any) -> Any:
        (a, b), (ra, rb) = ctx.args, ctx.raw_args
        if isinstance(rb, (int, float)):  # the usual x ** 2
            ga = grad * (b * power(a, b - 1)) if rb != 0 else mask(grad, False)
        else:  # where b = 0 the base is moved off 0 first, and an inf·0 there is masked away
            with np.errstate(invalid="ignore"):
                ga = mask(grad * (b * power(a + (rb == 0), b - 1)), rb != 0)
        gb = None
        if ctx.inputs[1] is not None:
            gb = mask(grad * (ctx.out * log(a + (ra == 0))), ra != 0)
        return ga, gb

    def local_derivative(self, pos: int, names: list[str]) -> str | None:
        return f"2·{names[0]}" if pos == 0 and names[1] == "2" else super().local_derivative(
            pos, names)


class Exp(Function):
    """a = e^z;  da/dz = e^z = a."""
    op_name, derivative = "exp", ("exp({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        return exp(z)
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * ctx.out


class Log(Function):
    """a = ln z;  da/dz = 1/z (+inf at 0)."""
    op_name, symbol, derivative = "log", "ln", ("1/{0}",)

    def forward(ctx: Any, z: Any) -> Any:
        return log(z)
    def backward(ctx: Any, grad: Any) -> Any:
        return divide(grad, ctx.args[0])


class Mask(Function):
    """g where `keep`, 0 elsewhere (`keep` constant): linear in g, its backward is itself."""
    op_name, saved = "mask", False

    def forward(ctx: Any, g: Any, keep: Any = True) -> Any:
        return mask(g, keep)
    def backward(ctx: Any, grad: Any) -> Any:
        return mask(grad, ctx.options["keep"])


# -- activation functions (§1-2, §1-3) ----------------------------------------------------------

class Sigmoid(Function):
    """σ(z) = 1/(1 + e^−z) (§1-3);  σ'(z) = σ(z)(1 − σ(z)).  No overflow for any z."""
    op_name, symbol, derivative = "sigmoid", "σ", ("σ'({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        if isinstance(z, float):  # from e^-|z|, which never overflows
            e = math.exp(-abs(z))
            return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
        with np.errstate(over="ignore"):  # e^-z = inf below z ≈ −709: then σ(z) = 0, exactly
            return 1.0 / (1.0 + np.exp(-z))
    def backward(ctx: Any, grad: Any) -> Any:
        a = ctx.out
        return grad * (a * (1.0 - a))


class Tanh(Function):
    """tanh z = 2σ(2z) − 1;  tanh'(z) = 1 − tanh²(z)."""
    op_name, derivative = "tanh", ("tanh'({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        return math.tanh(z) if isinstance(z, float) else np.tanh(z)
    def backward(ctx: Any, grad: Any) -> Any:
        a = ctx.out
        return grad * (1.0 - a * a)


class ReLU(Function):
    """ReLU(z) = max(0, z);  derivative 1 for z > 0, 0 for z < 0 and at the corner z = 0."""
    op_name, derivative = "relu", ("relu'({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        return (z if z > 0.0 or z != z else 0.0) if isinstance(z, float) else np.maximum(z, 0.0)
    def backward(ctx: Any, grad: Any) -> Any:
        return mask(grad, ctx.raw_args[0] > 0.0)


class LeakyReLU(Function):
    """z for z > 0, slope·z otherwise;  derivative 1 for z > 0, `slope` for z <= 0."""
    op_name, derivative, saved = "leaky_relu", ("leaky'({0})",), False  # slopes kept by forward

    def forward(ctx: Any, z: Any, slope: float = 0.01) -> Any:
        ctx.slope = _float_mask(z > 0, z) * (1.0 - slope) + slope  # the derivative at each z
        return z * ctx.slope
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * ctx.slope


STEP_GRADIENTS = ("zero", "ste", "sigmoid")


class Step(Function):
    """The unit step u(z) of the McCulloch-Pitts neuron (§1-2): 1 for z >= 0, 0 for z < 0.

    The book's neuron fires when the weighted input *reaches* the threshold (u(0) = 1);
    `strict=True` fires only above it (u(0) = 0).  u'(z) is 0 where it exists and undefined at
    0, so by default no gradient flows (`surrogate="zero"`, a convention); `"ste"` pretends
    u' = 1 (straight-through), `"sigmoid"` pretends u' = σ'.  A surrogate is a constant to a
    second derivative.
    """
    op_name, derivative = "step", ("u'({0})",)

    def forward(ctx: Any, z: Any, surrogate: str = "zero", strict: bool = False) -> Any:
        if surrogate not in STEP_GRADIENTS:
            raise ValueError(f"unknown surrogate {surrogate!r}: choose one of {STEP_GRADIENTS}")
        ctx.surrogate = surrogate
        return _float_mask(z > 0 if strict else z >= 0, z)
    def backward(ctx: Any, grad: Any) -> Any:
        if ctx.surrogate == "ste":
            return grad
        if ctx.surrogate == "zero":
            return mask(grad, False)
        s = Sigmoid.forward(ctx, ctx.raw_args[0])
        return grad * (s * (1.0 - s))


class HardSigmoid(Function):
    """clip(0.25z + 0.5, 0, 1);  derivative 0.25 inside (−2, 2), 0 outside and at ±2."""
    op_name, derivative = "hard_sigmoid", ("hard_sigmoid'({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        return min(max(0.25 * z + 0.5, 0.0), 1.0) if isinstance(z, float) else np.clip(
            0.25 * z + 0.5, 0.0, 1.0)
    def backward(ctx: Any, grad: Any) -> Any:
        z = ctx.raw_args[0]
        return mask(grad * 0.25, (z > -2.0) & (z < 2.0))


class HardTanh(Function):
    """clip(z, −1, 1);  derivative 1 inside (−1, 1), 0 outside and at the corners ±1."""
    op_name, derivative = "hard_tanh", ("hard_tanh'({0})",)

    def forward(ctx: Any, z: Any) -> Any:
        return min(max(z, -1.0), 1.0) if isinstance(z, float) else np.clip(z, -1.0, 1.0)
    def backward(ctx: Any, grad: Any) -> Any:
        z = ctx.raw_args[0]
        return mask(grad, (z > -1.0) & (z < 1.0))


# -- tensor ops: products, reductions, shapes --------------------------------------------------

class MatMul(Function):
    """Z = A @ B (numpy's rules);  ∂C/∂A = G Bᵀ, ∂C/∂B = Aᵀ G.  A layer's weighted inputs for a
    whole batch at once (§1-4): Z = X Wᵀ + b."""
    op_name, symbol = "matmul", "@"

    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return a @ b
        except ValueError:  # numpy names no layer: say what does not fit, and the fix
            raise ValueError("both operands need at least 1 dimension; use * for a scalar"
                             if np.ndim(a) == 0 or np.ndim(b) == 0 else f"shapes {a.shape} and "
                             f"{b.shape} do not fit: the left's last axis must equal the right's "
                             "second-to-last; transpose one (.T) or check the sizes") from None
    def backward(ctx: Any, grad: Any) -> Any:
        (a, b), (wa, wb) = ctx.args, ctx.inputs
        if a.ndim == 2 and b.ndim == 2:  # the usual case: a batch of rows times a weight
            return None if wa is None else grad @ b.T, None if wb is None else a.T @ grad
        # a 1-D operand is a matrix of one row (left) or one column (right): lift, multiply, drop
        a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
        b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
        g2 = grad.reshape(grad.shape[:-1] + (1,) + grad.shape[-1:]) if a.ndim == 1 else grad
        g2 = g2.reshape(g2.shape + (1,)) if b.ndim == 1 else g2
        ga, gb = g2 @ b2.swapaxes(-1, -2), a2.swapaxes(-1, -2) @ g2
        ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:]) if a.ndim == 1 else ga
        return ga, gb.reshape(gb.shape[:-1]) if b.ndim == 1 else gb


def normalise_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple) as a sorted tuple of axes; a clear error otherwise."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, (int, np.integer)):
            raise TypeError(f"axis must be an integer or a tuple of integers, got {ax!r}")
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for an array of {ndim} dimension(s)")
    out = tuple(sorted(int(ax) % max(ndim, 1) for ax in axes))
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis; name each axis once")
    return out


class Sum(Function):
    """s = Σ x over `axis`;  ∂s/∂x = 1 for every summed element (C_T sums over images)."""
    op_name, symbol, saved = "sum", "Σ", False

    def forward(ctx: Any, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        axes = tuple(range(x.ndim)) if axis is None else normalise_axis(axis, x.ndim)
        kept = x.sum(axis=axes, keepdims=True)  # the summed axes kept, of length 1
        ctx.kept = kept.shape
        return kept if keepdims else np.asarray(kept.squeeze(axis=axes))
    def backward(ctx: Any, grad: Any) -> Any:  # the gradient repeated over the summed axes
        grad, shape = grad.reshape(ctx.kept), ctx.args[0].shape
        return BroadcastTo.apply(grad, shape=shape) if isinstance(grad, Node) else (
            np.broadcast_to(grad, shape))  # a read-only view: no array of x's size is made


class Reshape(Function):
    """The same numbers in a new shape; the gradient is reshaped back."""
    op_name, view, saved = "reshape", True, False

    def forward(ctx: Any, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        return x.reshape(shape)
    def backward(ctx: Any, grad: Any) -> Any:
        return grad.reshape(ctx.args[0].shape)


class Transpose(Function):
    """Permute the axes (reverse them when `axes` is None); the gradient is permuted back."""
    op_name, view, saved = "transpose", True, False

    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        ctx.back = None if axes is None else tuple(np.argsort(axes).tolist())
        return x.transpose(axes)
    def backward(ctx: Any, grad: Any) -> Any:
        if isinstance(grad, Node):  # differentiated again: the same op, the other way round
            return Transpose.apply(grad, axes=ctx.back)
        return grad.transpose(ctx.back)


class BroadcastTo(Function):
    """x repeated to `shape` by broadcasting; the engine sums the gradient back."""
    op_name, view, saved = "broadcast_to", True, False

    def forward(ctx: Any, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.broadcast_to(x, shape)
    def backward(ctx: Any, grad: Any) -> Any:
        return grad


# -- the operators, written once for both engines ---------------------------------------------

N = TypeVar("N", bound="Operators")  # an op's result is of its operand's engine: Value or Tensor


class Operators:
    """Mixed into `Value` and `Tensor`: arithmetic with Python numbers on either side
    (`1.0 - a`, `2 * w`, `a ** 2`; the reflected `__r*__` put the number first), elementwise
    functions and the book's activations."""

    __slots__ = ()

    def __add__(self: N, other: Operand[N]) -> N:
        return Add.apply(self, other)

    def __radd__(self: N, other: Operand[N]) -> N:
        return Add.apply(other, self)

    def __sub__(self: N, other: Operand[N]) -> N:
        return Sub.apply(self, other)

    def __rsub__(self: N, other: Operand[N]) -> N:
        return Sub.apply(other, self)

    def __mul__(self: N, other: Operand[N]) -> N:
        return Mul.apply(self, other)

    def __rmul__(self: N, other: Operand[N]) -> N:
        return Mul.apply(other, self)

    def __truediv__(self: N, other: Operand[N]) -> N:
        return Div.apply(self, other)

    def __rtruediv__(self: N, other: Operand[N]) -> N:
        return Div.apply(other, self)

    def __pow__(self: N, other: Operand[N]) -> N:
        return Pow.apply(self, other)

    def __rpow__(self: N, other: Operand[N]) -> N:
        return Pow.apply(other, self)

    def __neg__(self: N) -> N:
        return Neg.apply(self)

    def __pos__(self: N) -> N:
        return self

    def exp(self: N) -> N:
        """e^x (inf past about 709)."""
        return Exp.apply(self)

    def log(self: N) -> N:
        """ln x; ln 0 = −inf with gradient +inf, ln of a negative number is NaN."""
        return Log.apply(self)

    def sigmoid(self: N) -> N:
        """σ(z) = 1/(1 + e^−z), the book's activation (§1-3); σ' = σ(1 − σ)."""
        return Sigmoid.apply(self)

    def tanh(self: N) -> N:
        """tanh z; derivative 1 − tanh²z."""
        return Tanh.apply(self)

    def relu(self: N) -> N:
        """max(0, z); derivative 1 for z > 0, 0 for z <= 0."""
        return ReLU.apply(self)

    def leaky_relu(self: N, slope: float = 0.01) -> N:
        """z for z > 0 else slope·z."""
        return LeakyReLU.apply(self, slope=slope)

    def step(self: N, surrogate: str = "zero", strict: bool = False) -> N:
        """The unit step (§1-2): 1 when z reaches 0 (z > 0 with `strict`), else 0; gradient 0,
        or a surrogate: "ste" (straight through) or "sigmoid" (σ'(z))."""
        return Step.apply(self, surrogate=surrogate, strict=strict)

    def hard_sigmoid(self: N) -> N:
        """clip(0.25z + 0.5, 0, 1)."""
        return HardSigmoid.apply(self)

    def hard_tanh(self: N) -> N:
        """clip(z, −1, 1)."""
        return HardTanh.apply(self)
