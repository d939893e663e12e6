"""Every derivative rule, written once for both engines.

Each op is a `Function`: `forward` computes the output from raw floats or arrays, `backward`
turns d(cost)/d(output) into d(cost)/d(input) by the chain rule.  The rules use only arithmetic
operators and `ctx.xp` (math on floats, on arrays, or on graph values), so the same lines serve
`Value`, `Tensor`, and second derivatives.  Broadcasting is undone by the engine, not here.

The activation functions follow the book (§1-2, §1-3) and state their derivative at the corners:
at a kink the derivative is the one of the flat side (0), as PyTorch does.
"""

from __future__ import annotations

from operator import mul as _mul
from typing import Any

import numpy as np

from .autograd import Context, Function

# ----------------------------------------------------------------------------------------------
# arithmetic
# ----------------------------------------------------------------------------------------------


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad, -grad


class Neg(Function):
    """z = -a;  dz/da = -1."""

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return -grad


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a (a weight times an input: §1-3)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.saved_values
        return grad * b, grad * a


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b².  Division by 0 gives ±inf (or NaN for 0/0)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return ctx.xp.divide(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.saved_values
        xp = ctx.xp
        ga = xp.divide(grad, b) if ctx.needs_input_grad[0] else None
        gb = -xp.divide(grad * a, b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """z = a ** b;  dz/da = b a^(b-1), dz/db = z ln a (NaN for a < 0, as the math says)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        z = ctx.xp.power(a, b)
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b, z = ctx.saved_values
        xp = ctx.xp
        ga = grad * b * xp.power(a, b - 1) if ctx.needs_input_grad[0] else None
        gb = grad * z * xp.log(a) if ctx.needs_input_grad[1] else None
        return ga, gb


class Exp(Function):
    """a = e^z;  da/dz = e^z = a.  exp(z) overflows to inf for z > 709 (float64)."""

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        a = ctx.xp.exp(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (a,) = ctx.saved_values
        return grad * a


class Log(Function):
    """a = ln z;  da/dz = 1/z.

    ln 0 = -inf and its gradient there is +inf (1/z from the right; -inf for z = -0.0);
    ln of a negative number is NaN, with gradient 1/z.
    """

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        ctx.save_for_backward(z)
        return ctx.xp.log(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (z,) = ctx.saved_values
        return grad * ctx.xp.reciprocal(z)


class WeightedInput(Function):
    """The weighted input of a unit (§1-3): z = w1·x1 + w2·x2 + ... + wn·xn + b.

    One node for the whole sum, as the book draws a unit, instead of 2n additions and
    multiplications: dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1.  The operands come flat:
    w1..wn, x1..xn, b; or, when the inputs are data (plain numbers, such as pixels), w1..wn, b
    with the numbers passed as `x=`, so the graph holds only what can learn.
    """

    @classmethod
    def name(cls) -> str:
        return "Σw·x+b"

    @staticmethod
    def forward(ctx: Context, *operands: Any, x: Any = None) -> Any:
        if x is None:
            n = (len(operands) - 1) // 2
            w, x = operands[:n], operands[n:2 * n]
            ctx.save_for_backward(*operands[:2 * n])
        else:
            w = operands[:-1]
            ctx.constant_x = x  # for backward: dz/dw_i = x_i
        return sum(map(_mul, w, x), operands[-1])

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        inputs = ctx.inputs
        x = getattr(ctx, "constant_x", None)
        if x is not None:  # constant inputs: only the weights and the bias get gradients
            return (*[grad * xi for xi in x], grad)
        wx = ctx.saved_values
        n = len(wx) // 2
        # skip the products nobody wants (inputs are usually data or earlier units)
        gw = [grad * x if inputs[i] is not None else None for i, x in enumerate(wx[n:])]
        gx = [grad * w if inputs[n + i] is not None else None for i, w in enumerate(wx[:n])]
        return (*gw, *gx, grad)


# ----------------------------------------------------------------------------------------------
# activation functions (§1-2, §1-3)
# ----------------------------------------------------------------------------------------------


class Sigmoid(Function):
    """σ(z) = 1 / (1 + e^-z) (§1-3);  σ'(z) = σ(z)(1 - σ(z)), smooth everywhere.

    Computed without overflow for any z (e^-|z| only), so σ(±1000) is 1 and 0 with gradient 0.
    """

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        a = ctx.xp.sigmoid(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (a,) = ctx.saved_values
        return grad * a * (1.0 - a)


class Tanh(Function):
    """tanh z = 2σ(2z) - 1;  tanh'(z) = 1 - tanh²(z), smooth everywhere, finite for any z."""

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        a = ctx.xp.tanh(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (a,) = ctx.saved_values
        return grad * (1.0 - a * a)


class ReLU(Function):
    """ReLU(z) = max(0, z);  derivative 1 for z > 0, 0 for z < 0, and 0 at the corner z = 0."""

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        ctx.save_for_backward(z > 0)  # the slope: 1 where z > 0, else 0
        return ctx.xp.maximum(z, 0.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (positive,) = ctx.saved_values
        return grad * positive


class LeakyReLU(Function):
    """z for z > 0, slope·z otherwise;  derivative 1 for z > 0 and `slope` for z <= 0 (corner)."""

    @staticmethod
    def forward(ctx: Context, z: Any, slope: float = 0.01) -> Any:
        d = ctx.xp.where(z > 0, 1.0, slope)
        ctx.save_for_backward(d)
        return z * d

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (d,) = ctx.saved_values
        return grad * d


STEP_GRADIENTS = ("zero", "ste", "sigmoid")


class Step(Function):
    """The unit step u(z) of the McCulloch-Pitts neuron (§1-2): 1 for z >= 0, 0 for z < 0.

    Example 1 of §1-2 fires at w·x = θ, so u(0) = 1.  The true derivative is 0 wherever it
    exists (and undefined at 0), so by default no gradient flows: `surrogate="zero"`.
    Two surrogates make a step network trainable:
    `"ste"` (straight-through: pretend u'(z) = 1) and `"sigmoid"` (pretend u'(z) = σ'(z)).
    The surrogate is treated as a constant when the gradient is differentiated again.
    """

    @staticmethod
    def forward(ctx: Context, z: Any, surrogate: str = "zero") -> Any:
        xp = ctx.xp
        if surrogate == "zero":
            d: Any = 0.0
        elif surrogate == "ste":
            d = 1.0
        elif surrogate == "sigmoid":
            s = xp.sigmoid(z)
            d = s * (1.0 - s)
        else:
            raise ValueError(f"unknown surrogate {surrogate!r}: choose one of {STEP_GRADIENTS}")
        ctx.save_for_backward(d)
        return xp.step(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (d,) = ctx.saved_values
        return grad * d


class HardSigmoid(Function):
    """clip(0.25 z + 0.5, 0, 1): the sigmoid's first-order expansion at 0, clipped.

    Derivative 0.25 for -2 < z < 2, 0 for |z| > 2, and 0 at the corners z = ±2.
    """

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        xp = ctx.xp
        ctx.save_for_backward(0.25 * xp.inside(z, -2.0, 2.0))
        return xp.clip(0.25 * z + 0.5, 0.0, 1.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (d,) = ctx.saved_values
        return grad * d


class HardTanh(Function):
    """clip(z, -1, 1);  derivative 1 for -1 < z < 1, 0 for |z| > 1, and 0 at the corners ±1."""

    @staticmethod
    def forward(ctx: Context, z: Any) -> Any:
        xp = ctx.xp
        ctx.save_for_backward(xp.inside(z, -1.0, 1.0))
        return xp.clip(z, -1.0, 1.0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (d,) = ctx.saved_values
        return grad * d


# ----------------------------------------------------------------------------------------------
# tensor ops: products, reductions, shapes
# ----------------------------------------------------------------------------------------------


def _shapes(a: Any, b: Any) -> str:
    return f"{tuple(np.shape(a))} and {tuple(np.shape(b))}"


class MatMul(Function):
    """Z = A @ B (numpy's rules: 2-D, batched, and 1-D vectors);  dA = G Bᵀ, dB = Aᵀ G.

    A layer's weighted inputs for a whole batch at once (§1-4): Z = X Wᵀ + b.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                             f"{_shapes(a, b)}; use * for a scalar")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(
                f"matmul: shapes {_shapes(a, b)} do not fit: the last axis of the left ({ka}) "
                f"must equal the {'only' if b.ndim == 1 else 'second-to-last'} axis of the right "
                f"({kb}); transpose one of them (.T) or check the layer sizes")
        ctx.save_for_backward(a, b)
        ctx.ndims = (a.ndim, b.ndim)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        a, b = ctx.saved_values
        xp = ctx.xp
        a_nd, b_nd = ctx.ndims
        # a 1-D left operand is a matrix with one row, a 1-D right one a matrix with one column:
        # lift all three to matrices, use the matrix rule, then drop the added axis again
        a2 = a.reshape(1, -1) if a_nd == 1 else a
        b2 = b.reshape(-1, 1) if b_nd == 1 else b
        if a_nd == 1 and b_nd == 1:
            g2 = grad.reshape(1, 1)
        elif a_nd == 1:
            g2 = xp.expand_dims(grad, -2)
        elif b_nd == 1:
            g2 = xp.expand_dims(grad, -1)
        else:
            g2 = grad
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g2 @ xp.swap_last(b2)
            if a_nd == 1:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if ctx.needs_input_grad[1]:
            gb = xp.swap_last(a2) @ g2
            if b_nd == 1:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb


class Affine(Function):
    """The weighted inputs of a whole layer for a whole batch (§1-4): Z = X Wᵀ + b.

    X (..., in), W (out, in), b (out,) -> Z (..., out); row n of Z holds z_i = Σ_j w_ij x_nj + b_i
    for every unit i, the tensor form of `WeightedInput`.  One node instead of three (transpose,
    product, sum):  dX = G W,  dW = Gᵀ X (summed over the images),  db = Σ_n G.
    """

    @classmethod
    def name(cls) -> str:
        return "X·Wᵀ+b"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[1]:
            raise ValueError(f"affine: inputs {tuple(x.shape)} do not fit weights "
                             f"{tuple(w.shape)} (out, in): the last axis of the inputs must be "
                             f"{w.shape[1] if w.ndim == 2 else 'in'}")
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        x, w = ctx.saved_values
        inputs = ctx.inputs
        if len(x.shape) == 2:  # a batch of images, one per row: the usual case
            g2, x2 = grad, x
            gx = None if inputs[0] is None else g2 @ w
        else:  # one image, or more batch axes: all images as rows
            g2, x2 = grad.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])
            gx = None if inputs[0] is None else (g2 @ w).reshape(x.shape)
        gw = None if inputs[1] is None else g2.T @ x2
        gb = None if inputs[2] is None else g2.sum(axis=0)
        return gx, gw, gb


class SquaredError(Function):
    """The book's cost (§1-7): C = ½ Σ_k (t_k − a_k)², one node for the whole sum.

    The operands come flat: outputs a_1..a_n, then targets t_1..t_n (on the tensor engine one
    array each, summed over every element: over a batch that is C_T).
    dC/da_k = a_k − t_k  (the start of the output δ, §4-3),  dC/dt_k = t_k − a_k.
    """

    @classmethod
    def name(cls) -> str:
        return "½Σ(t−a)²"

    @staticmethod
    def forward(ctx: Context, *operands: Any) -> Any:
        ctx.save_for_backward(*operands)
        sumsq = ctx.xp.sumsq
        if len(operands) == 2:  # one array (or number) of outputs: the tensor engine's case
            return 0.5 * sumsq(operands[0] - operands[1])
        n = len(operands) // 2
        return 0.5 * sum([sumsq(a - t) for a, t in zip(operands[:n], operands[n:])])

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        operands = ctx.saved_values
        if len(operands) == 2:  # the tensor engine's case, as in forward
            d = grad * (operands[0] - operands[1])
            return d, (None if ctx.inputs[1] is None else -d)
        n = len(operands) // 2
        d = [grad * (a - t) for a, t in zip(operands[:n], operands[n:])]
        targets = ctx.inputs[n:]
        return (*d, *[None if p is None else -dk for p, dk in zip(targets, d)])


class SoftmaxCrossEntropy(Function):
    """The mean over a batch of -log softmax(z_n)[k_n]: cross-entropy of the softmax, one node.

    z (N, K) the output layer's weighted inputs, `labels` (N,) the classes.  Computed from
    z - max z (no overflow); dC/dz = (softmax(z) - onehot) / N.
    """

    @classmethod
    def name(cls) -> str:
        return "cross-entropy"

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, labels: Any = None) -> np.ndarray:
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(z))
        ctx.save_for_backward(z)
        ctx.p = e / total  # the softmax, kept for backward
        ctx.labels = (rows, labels)
        # -log p[label] = log Σ e - shifted[label]: one log per image, not per class
        return (np.log(total).sum() - shifted[rows, labels].sum()) / len(z)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (z,) = ctx.saved_values
        if isinstance(z, np.ndarray):
            d = ctx.p.copy()
            d[ctx.labels] -= 1.0  # softmax - onehot
            d *= grad / len(d)
            return d
        # differentiated again: the softmax as graph ops
        onehot = np.zeros(ctx.p.shape, dtype=ctx.p.dtype)
        onehot[ctx.labels] = 1.0
        return (z.softmax(axis=1) - onehot) * (grad * (1.0 / len(onehot)))


def _normalise_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for an array of {ndim} dimension(s)")
        out.append(int(ax) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """s = Σ x over `axis`;  ds/dx = 1 for every summed element (the cost C_T sums over images)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        axes = _normalise_axis(axis, x.ndim)
        ctx.shape = x.shape
        ctx.kept = _keepdims_shape(x.shape, axes)
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.broadcast_to(grad.reshape(ctx.kept), ctx.shape)


class Max(Function):
    """m = max x over `axis`;  dm/dx = 1 at the maximum, 0 elsewhere (ties share it equally)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Any:
        if x.size == 0:
            raise ValueError("max of an empty array is undefined")
        axes = _normalise_axis(axis, x.ndim)
        m = x.max(axis=axes, keepdims=True)
        hit = (x == m)
        ctx.save_for_backward(hit / hit.sum(axis=axes, keepdims=True))
        ctx.kept = m.shape
        return m if keepdims else m.reshape(tuple(n for i, n in enumerate(x.shape)
                                                  if i not in axes))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (share,) = ctx.saved_values
        return grad.reshape(ctx.kept) * share


class Reshape(Function):
    """The same numbers in a new shape; the gradient is reshaped back."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad.reshape(ctx.shape)


class Transpose(Function):
    """Permute the axes (reverse them by default); the gradient is permuted back."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: Any = None) -> np.ndarray:
        if axes is None:  # reversing the axes is its own inverse
            ctx.inverse = None
            return x.transpose()
        ctx.inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad.transpose(ctx.inverse)


class BroadcastTo(Function):
    """Repeat x to `shape` by numpy broadcasting; the gradient is summed back (by the engine)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad


def _raw_index(index: Any) -> Any:
    """An index with any Tensor in it replaced by its integer or boolean array."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    data = getattr(index, "data", None)
    if isinstance(data, np.ndarray):
        return data.astype(np.intp) if data.dtype.kind == "f" else data
    return index


class GetItem(Function):
    """y = x[index] (slices, integers, integer and boolean arrays).

    The gradient is scattered back into a zero array of x's shape; an element picked twice
    gets both gradients (numpy's `add.at`).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any = None) -> np.ndarray:
        ctx.index = index
        ctx.shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return ctx.xp.scatter_add(grad, ctx.index, ctx.shape)


class ScatterAdd(Function):
    """A zero array of `shape` with g added at `index`: the backward of `GetItem`, and its own
    backward is `GetItem` again (so indexing can be differentiated twice)."""

    @staticmethod
    def forward(ctx: Context, g: np.ndarray, index: Any = None,
                shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad[ctx.index]


class Concatenate(Function):
    """Join tensors along an existing axis; each input gets its slice of the gradient."""

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
        return tuple(grad[before + (slice(b[i], b[i + 1]),)] for i in range(len(b) - 1))


class Stack(Function):
    """Join same-shaped tensors along a new axis; input i gets the gradient's slice i."""

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        out = np.stack(xs, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.count = len(xs)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        before = (slice(None),) * ctx.axis
        return tuple(grad[before + (i,)] for i in range(ctx.count))


class Softmax(Function):
    """y_i = e^{x_i} / Σ_j e^{x_j} along `axis`;  dx = y (g - Σ g y).

    Computed as e^{x - max x}, so no exponent overflows for any input.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        ctx.axis = axis
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (y,) = ctx.saved_values
        return y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - log Σ_j e^{x_j} along `axis`;  dx = g - softmax(x) Σ g.

    Computed as (x - max x) - log Σ e^{x - max x}: finite for any finite input.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (y,) = ctx.saved_values
        return grad - ctx.xp.exp(y) * grad.sum(axis=ctx.axis, keepdims=True)
