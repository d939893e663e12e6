"""Every derivative rule, written once for both engines and for every order.

Each op is a `Function`: `forward` computes the output from raw floats or arrays, `backward`
turns d(cost)/d(output) into d(cost)/d(input) by the chain rule.  A rule reads its operands by
position, `ctx.args`, and its result, `ctx.out`, never by matching objects; it uses only
arithmetic operators and `ctx.xp` (math on floats, on arrays, or on graph values), so the same
lines serve `Value`, `Tensor`, and second derivatives.  Broadcasting is undone by the engine.

The activation functions follow the book (§1-2, §1-3) and state their derivative at the corners:
at a kink the derivative is the one of the flat side (0), as PyTorch does; a flat region passes
0 even for an infinite gradient (a mask, not a multiplication by 0).

The ops the operators call through the fast entries `op1` and `binary` (arithmetic, exp, log, the
activations, matmul, `.T`, a full `sum()`) keep nothing on ctx in `forward`: their rules need
only the operands, the result and the keyword arguments.
"""

from __future__ import annotations

from operator import mul as _mul
from typing import Any

import numpy as np

from .autograd import Context, Function, Node


def _raw(x: Any) -> Any:
    """The raw number or array of an operand (a graph value under create_graph)."""
    return x.data if isinstance(x, Node) else x


# ----------------------------------------------------------------------------------------------
# arithmetic
# ----------------------------------------------------------------------------------------------


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    op_name = "add"

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    op_name = "sub"

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad, (None if ctx.inputs[1] is None else -grad)


class Neg(Function):
    """z = -a;  dz/da = -1."""

    op_name = "neg"

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return -grad


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a (a weight times an input: §1-3)."""

    op_name = "mul"

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.args
        inputs = ctx.inputs
        return (None if inputs[0] is None else grad * b), (None if inputs[1] is None else grad * a)


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b² = -z/b (the second form cannot overflow where z
    is finite).  Division by 0 gives ±inf (or NaN for 0/0)."""

    op_name = "div"

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return ctx.xp.divide(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        b = ctx.args[1]
        ga = ctx.xp.divide(grad, b)
        return (None if ctx.inputs[0] is None else ga), (
            None if ctx.inputs[1] is None else -(ga * ctx.out))


class Pow(Function):
    """z = a ** b;  dz/da = b a^(b-1), dz/db = z ln a (NaN for a < 0, as the math says).

    At the corners the limits, as in PyTorch: dz/da = 0 where b = 0 (so x**0 at 0, and the second
    derivative of x**1 at 0, are 0, not 0·inf), and dz/db = 0 where a = 0 (0**b for b > 0).
    """

    op_name = "pow"

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return ctx.xp.power(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.args
        xp = ctx.xp
        ga = gb = None
        if ctx.inputs[0] is not None:
            if type(b) is float or type(b) is int:  # the usual x ** 2
                ga = grad * (b * xp.power(a, b - 1)) if b != 0 else grad * 0.0
            else:  # where b = 0 the base is moved off 0, then multiplied by b = 0
                ga = grad * (b * xp.power(a + xp.where_zero(b), b - 1))
        if ctx.inputs[1] is not None:
            gb = grad * (ctx.out * xp.log(a + xp.where_zero(a)))
        return ga, gb


class Exp(Function):
    """a = e^z;  da/dz = e^z = a.  exp(z) overflows to inf for z > 709 (float64)."""

    op_name = "exp"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.exp(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad * ctx.out


class Log(Function):
    """a = ln z;  da/dz = 1/z.

    ln 0 = -inf and its gradient there is +inf (1/z from the right; -inf for z = -0.0);
    ln of a negative number is NaN, with gradient 1/z.
    """

    op_name = "log"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.log(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.divide(grad, ctx.args[0])


class Mask(Function):
    """g where `keep`, 0 elsewhere (`keep` a constant mask): how a flat region passes 0 even for
    an infinite gradient.  Linear in g, so its backward is itself."""

    op_name = "mask"

    @staticmethod
    def forward(ctx: Context, g: Any, keep: Any = True) -> Any:
        return ctx.xp.mask(g, keep)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.mask(grad, ctx.kwargs["keep"])


class WeightedInput(Function):
    """The weighted input of a unit (§1-3): z = w1·x1 + w2·x2 + ... + wn·xn + b.

    The book's picture of a unit, one node for the whole sum (a fused op kept because it is an
    idea of the book; `tests` prove it equal to the sum of products in value, gradient and
    second derivative): dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1.  The operands come flat:
    w1..wn, x1..xn, b; or, when the inputs are data (plain numbers, such as pixels), w1..wn, b
    with the numbers passed as `x=`, so the graph holds only what can learn.
    """

    op_name = "Σw·x+b"

    @staticmethod
    def forward(ctx: Context, *operands: Any, x: Any = None) -> Any:
        if x is None:
            n = (len(operands) - 1) // 2
            w, x = operands[:n], operands[n:2 * n]
        else:
            w = operands[:-1]
        return sum(map(_mul, w, x), operands[-1])

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        operands = ctx.args
        x = ctx.kwargs.get("x")
        if x is not None:  # data inputs: only the weights and the bias get gradients
            return (*[grad * xi for xi in x], grad)
        inputs = ctx.inputs
        n = (len(operands) - 1) // 2
        # skip the products nobody wants (inputs are often data or earlier units)
        gw = [None if inputs[i] is None else grad * xi for i, xi in enumerate(operands[n:2 * n])]
        gx = [None if inputs[n + i] is None else grad * wi for i, wi in enumerate(operands[:n])]
        return (*gw, *gx, grad)


# ----------------------------------------------------------------------------------------------
# activation functions (§1-2, §1-3)
# ----------------------------------------------------------------------------------------------


class Sigmoid(Function):
    """σ(z) = 1 / (1 + e^-z) (§1-3);  σ'(z) = σ(z)(1 - σ(z)), smooth everywhere.

    Computed without overflow for any z (e^-|z| only), so σ(1000) = 1 and σ(-1000) = 0, with
    gradient 0.
    """

    op_name = "sigmoid"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.sigmoid(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a = ctx.out
        return grad * (a * (1.0 - a))


class Tanh(Function):
    """tanh z = 2σ(2z) - 1;  tanh'(z) = 1 - tanh²(z), smooth everywhere, finite for any z."""

    op_name = "tanh"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.tanh(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a = ctx.out
        return grad * (1.0 - a * a)


class ReLU(Function):
    """ReLU(z) = max(0, z);  derivative 1 for z > 0, 0 for z < 0, and 0 at the corner z = 0."""

    op_name = "relu"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.maximum(z, 0.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        xp = ctx.xp
        return xp.mask(grad, xp.positive(ctx.args[0]))


class LeakyReLU(Function):
    """z for z > 0, slope·z otherwise;  derivative 1 for z > 0 and `slope` for z <= 0 (corner)."""

    op_name = "leaky_relu"

    @staticmethod
    def forward(ctx: Context, z: Any, slope: float = 0.01) -> Any:
        return z * ctx.xp.leaky(z, slope)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad * ctx.xp.leaky(ctx.args[0], ctx.kwargs.get("slope", 0.01))


STEP_GRADIENTS = ("zero", "ste", "sigmoid")


class Step(Function):
    """The unit step u(z) of the McCulloch-Pitts neuron (§1-2): 1 for z >= 0, 0 for z < 0.

    The book's neuron fires when the weighted sum *reaches* the threshold θ (w·x ≥ θ, so
    u(0) = 1); some texts fire only above it: `strict=True` gives u(0) = 0.  The true derivative
    is 0 wherever it exists (and undefined at 0), so by default no gradient flows:
    `surrogate="zero"`.  Two surrogates make a step network trainable: `"ste"` (straight-through:
    pretend u'(z) = 1) and `"sigmoid"` (pretend u'(z) = σ'(z)).  The surrogate is a constant when
    the gradient is differentiated again.
    """

    op_name = "step"

    @staticmethod
    def forward(ctx: Context, z: Any, surrogate: str = "zero", strict: bool = False) -> Any:
        if surrogate not in STEP_GRADIENTS:
            raise ValueError(f"unknown surrogate {surrogate!r}: choose one of {STEP_GRADIENTS}")
        return ctx.xp.step(z, strict)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        surrogate = ctx.kwargs.get("surrogate", "zero")
        if surrogate == "ste":
            return grad
        if surrogate == "zero":
            return ctx.xp.mask(grad, False)
        s = ctx.xp.sigmoid(_raw(ctx.args[0]))
        return grad * (s * (1.0 - s))


class HardSigmoid(Function):
    """clip(0.25 z + 0.5, 0, 1): the sigmoid's first-order expansion at 0, clipped.

    Derivative 0.25 for -2 < z < 2, 0 for |z| > 2, and 0 at the corners z = ±2.
    """

    op_name = "hard_sigmoid"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.clip(0.25 * z + 0.5, 0.0, 1.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        xp = ctx.xp
        return xp.mask(grad * 0.25, xp.inside(ctx.args[0], -2.0, 2.0))


class HardTanh(Function):
    """clip(z, -1, 1);  derivative 1 for -1 < z < 1, 0 for |z| > 1, and 0 at the corners ±1."""

    op_name = "hard_tanh"

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        return ctx.xp.clip(z, -1.0, 1.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        xp = ctx.xp
        return xp.mask(grad, xp.inside(ctx.args[0], -1.0, 1.0))


# ----------------------------------------------------------------------------------------------
# tensor ops: products, reductions, shapes
# ----------------------------------------------------------------------------------------------


def _shapes(a: Any, b: Any) -> str:
    return f"{tuple(np.shape(a))} and {tuple(np.shape(b))}"


def _row_major(x: Any) -> bool:
    """False for an array laid out column by column, as the transpose `W.T` of a weight is."""
    return not isinstance(x, np.ndarray) or x.flags.c_contiguous or not x.flags.f_contiguous


def _matmul_mismatch(a: np.ndarray, b: np.ndarray) -> str:
    if a.ndim == 0 or b.ndim == 0:
        return (f"matmul: both operands need at least 1 dimension, got shapes {_shapes(a, b)}; "
                "use * for a scalar")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        return (f"matmul: shapes {_shapes(a, b)} do not fit: the last axis of the left ({ka}) "
                f"must equal the {'only' if b.ndim == 1 else 'second-to-last'} axis of the right "
                f"({kb}); transpose one of them (.T) or check the layer sizes")
    return f"matmul: the batch axes of shapes {_shapes(a, b)} do not broadcast"


class MatMul(Function):
    """Z = A @ B (numpy's rules: 2-D, batched, and 1-D vectors);  dA = G Bᵀ, dB = Aᵀ G.

    A layer's weighted inputs for a whole batch at once (§1-4): Z = X Wᵀ + b.
    """

    op_name = "matmul"

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return a @ b
        except ValueError:  # say what does not fit, and how to fix it
            raise ValueError(_matmul_mismatch(np.asarray(a), np.asarray(b))) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.args
        xp = ctx.xp
        a_nd, b_nd = a.ndim, b.ndim  # arrays, or Tensors under create_graph
        if a_nd == 2 and b_nd == 2:  # the usual case: a batch of rows times a weight matrix
            # each gradient in its operand's memory order: for `x @ W.T` the gradient of W.T
            # comes out as a transposed array, so W's own gradient is a plain one (no copy)
            ga = None if ctx.inputs[0] is None else (
                grad @ b.T if _row_major(a) else (b @ grad.T).T)
            gb = None if ctx.inputs[1] is None else (
                a.T @ grad if _row_major(b) else (grad.T @ a).T)
            return ga, gb
        # a 1-D left operand is a matrix with one row, a 1-D right one a matrix with one column:
        # lift all three to matrices, use the matrix rule, then drop the added axis again
        a2 = xp.expand_dims(a, 0) if a_nd == 1 else a
        b2 = xp.expand_dims(b, -1) if b_nd == 1 else b
        g2 = grad
        if a_nd == 1:
            g2 = xp.expand_dims(g2, -2 if b_nd > 1 else 0)
        if b_nd == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if ctx.inputs[0] is not None:
            ga = g2 @ xp.swap_last(b2)
            if a_nd == 1:
                shape = np.shape(_raw(ga))
                ga = xp.reshape(ga, shape[:-2] + shape[-1:])
        if ctx.inputs[1] is not None:
            gb = xp.swap_last(a2) @ g2
            if b_nd == 1:
                gb = xp.reshape(gb, np.shape(_raw(gb))[:-1])
        return ga, gb


class SoftmaxCrossEntropy(Function):
    """The mean over a batch of the cross-entropy of softmax(z_n), one node (for stability).

    z (N, K) the output layer's weighted inputs; `labels` either the classes (N,) as integers or
    probability rows (N, K).  C = -(1/N) Σ_n Σ_k p_nk log softmax(z_n)_k, computed from z - max z
    (no overflow);  dC/dz = (softmax(z) - p) / N.  Tests prove it equal to
    `-(p * z.log_softmax(axis=1)).sum() / N` in value, gradient and second derivative.
    """

    op_name = "cross-entropy"

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, labels: Any = None) -> np.ndarray:
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)  # z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = np.add.reduce(e, axis=1, keepdims=True)
        e /= total
        ctx.p = e  # the softmax, kept for backward (a constant at second order)
        if labels.ndim == 2:  # probability rows
            ctx.target = labels
            log_p = shifted - np.log(total)
            return -(labels * log_p).sum() / len(z)
        n, k = z.shape
        at = np.arange(0, n * k, k)
        at += labels  # where each image's label sits in the flattened (N, K) array
        ctx.target = at
        # -log p[label] = log Σ e - shifted[label]: one log per image, not per class
        return (np.add.reduce(np.log(total), None) - np.add.reduce(shifted.ravel()[at])) / n

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        z = ctx.args[0]
        p, target = ctx.p, ctx.target  # target: probability rows, or each label's flat index
        if isinstance(z, np.ndarray):  # first order: (softmax - p) / N from the saved softmax
            if target.ndim == 2:
                return (p - target) * (grad / len(p))
            delta = p.copy()
            delta.ravel()[target] -= 1.0  # minus the one-hot rows, in place
            delta *= grad / len(p)
            return delta
        onehot = target
        if target.ndim == 1:
            onehot = np.zeros(p.shape, dtype=p.dtype)
            onehot.ravel()[target] = 1.0
        # differentiated again: the softmax as graph ops
        return (z.softmax(axis=1) - onehot) * (grad * (1.0 / len(p)))


def _normalise_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, (int, np.integer)):
            raise TypeError(f"axis must be an integer or a tuple of integers, got {ax!r}")
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for an array of {ndim} dimension(s)")
        out.append(int(ax) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """s = Σ x over `axis`;  ds/dx = 1 for every summed element (the cost C_T sums over images)."""

    op_name = "sum"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is None and not keepdims:  # the cost: every element
            return x.sum()
        return x.sum(axis=_normalise_axis(axis, x.ndim), keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        xp = ctx.xp
        shape = ctx.args[0].shape
        kwargs = ctx.kwargs
        if kwargs:  # summed over some axes: put them back as axes of length 1 first
            grad = xp.reshape(grad, _keepdims_shape(shape, _normalise_axis(kwargs.get("axis"),
                                                                           len(shape))))
        return xp.broadcast_to(grad, shape)


class Max(Function):
    """m = max x over `axis`;  dm/dx = 1 at the maximum, 0 elsewhere (ties share it equally)."""

    op_name = "max"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        axes = _normalise_axis(axis, x.ndim)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"max over an empty axis of shape {x.shape} is undefined; "
                             "reduce over a non-empty axis")
        with np.errstate(invalid="ignore"):  # NaN propagates without a warning
            m = x.max(axis=axes, keepdims=True)
            hit = (x == m) | (np.isnan(x) & np.isnan(m))
            ctx.share = hit / hit.sum(axis=axes, keepdims=True)
        ctx.kept = m.shape
        return m if keepdims else m.reshape(tuple(n for i, n in enumerate(x.shape)
                                                  if i not in axes))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.reshape(grad, ctx.kept) * ctx.share


class Reshape(Function):
    """The same numbers in a new shape; the gradient is reshaped back."""

    op_name = "reshape"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.reshape(grad, ctx.in_shape)


class Transpose(Function):
    """Permute the axes (reverse them when `axes` is None); the gradient is permuted back."""

    op_name = "transpose"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: Any = None) -> np.ndarray:
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        axes = ctx.kwargs.get("axes")  # reversing the axes (.T) is its own inverse
        return ctx.xp.permute(grad, None if axes is None else tuple(np.argsort(axes).tolist()))


class Clone(Function):
    """A copy of x that stays in the graph; the gradient passes through unchanged."""

    op_name = "clone"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad


class BroadcastTo(Function):
    """Repeat x to `shape` by numpy broadcasting; the gradient is summed back (by the engine)."""

    op_name = "broadcast_to"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad


class GetItem(Function):
    """y = x[index] (slices, integers, integer arrays and boolean masks).

    The gradient is scattered back into a zero array of x's shape; an element picked twice
    gets both gradients (numpy's `add.at`).
    """

    op_name = "getitem"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any = None) -> np.ndarray:
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.scatter_add(grad, ctx.kwargs["index"], ctx.in_shape)


class ScatterAdd(Function):
    """A zero array of `shape` with g added at `index`: the backward of `GetItem`, and its own
    backward is `GetItem` again (so indexing can be differentiated twice)."""

    op_name = "scatter_add"

    @staticmethod
    def forward(ctx: Context, g: np.ndarray, index: Any = None,
                shape: tuple[int, ...] = ()) -> np.ndarray:
        from .xp import ArrayMath

        return ArrayMath.scatter_add(g, index, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.getitem(grad, ctx.kwargs["index"])


class Concatenate(Function):
    """Join tensors along an existing axis; each input gets its slice of the gradient."""

    op_name = "concatenate"

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        out = np.concatenate(xs, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([0] + [x.shape[ctx.axis] for x in xs]).tolist()
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        before = (slice(None),) * ctx.axis
        b = ctx.bounds
        return tuple(ctx.xp.getitem(grad, before + (slice(b[i], b[i + 1]),))
                     for i in range(len(b) - 1))


class Stack(Function):
    """Join same-shaped tensors along a new axis; input i gets the gradient's slice i."""

    op_name = "stack"

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        out = np.stack(xs, axis=axis)
        ctx.axis = axis % out.ndim
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        before = (slice(None),) * ctx.axis
        return tuple(ctx.xp.getitem(grad, before + (i,)) for i in range(len(ctx.inputs)))


class Softmax(Function):
    """y_i = e^{x_i} / Σ_j e^{x_j} along `axis`;  dx = y (g - Σ g y).

    Computed as e^{x - max x}, so no exponent overflows for any input.
    """

    op_name = "softmax"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        y = ctx.out
        axis = ctx.kwargs.get("axis", -1)
        return y * (grad - ctx.xp.sum(grad * y, axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - log Σ_j e^{x_j} along `axis`;  dx = g - softmax(x) Σ g.

    Computed as (x - max x) - log Σ e^{x - max x}: finite for any finite input.
    """

    op_name = "log_softmax"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        xp = ctx.xp
        axis = ctx.kwargs.get("axis", -1)
        return grad - xp.exp(ctx.out) * xp.sum(grad, axis=axis, keepdims=True)
