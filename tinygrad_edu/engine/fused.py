"""Two fused ops, each beside the plain composition it equals (tests/engine/test_fused_ops.py
proves them equal in value, gradient and second derivative).

* `WeightedInput`: the book's weighted input of a unit, z = w1·x1 + ... + wn·xn + b (§1-3), one
  node because the book draws it as one circle;
* `SoftmaxCrossEntropy`: the mean cross-entropy of softmax(z), one node so that no exp overflows
  and the gradient (softmax(z) − t)/N comes in one step.
"""

from __future__ import annotations

from operator import mul
from typing import Any

import numpy as np

from .function import Function


class WeightedInput(Function):
    """z = w1·x1 + ... + wn·xn + b (§1-3);  ∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1.  The
    operands: w1..wn, x1..xn, b; or w1..wn, b with data (pixels) given as `x=`."""
    op_name = "Σw·x+b"
    n: int  # the number of weights

    def forward(ctx: Any, *operands: Any, x: Any = None) -> Any:
        n = len(operands) - 1 if x is not None else (len(operands) - 1) // 2
        ctx.n = n
        return sum(map(mul, operands[:n], x if x is not None else operands[n:2 * n]),
                   operands[-1])
    def backward(ctx: Any, grad: Any) -> Any:
        operands, n, x = ctx.args, ctx.n, ctx.options.get("x")
        if x is not None:  # data inputs: only the weights and the bias get gradients
            return (*[grad * xi for xi in x], grad)
        w, xs = operands[:n], operands[n:2 * n]
        return (*[grad * xi for xi in xs], *[grad * wi for wi in w], grad)

    def local_derivative(self, pos: int, names: list[str]) -> str | None:
        if "x" in self.options:  # w1..wn, b with the inputs x as data
            return f"x{pos + 1}" if pos < len(names) - 1 else "1"
        n = self.n  # w1..wn, x1..xn, b
        return names[n + pos] if pos < n else names[pos - n] if pos < 2 * n else "1"


def weighted_input_composed(w: Any, x: Any, b: Any) -> Any:
    """The same z as plain products and sums: what `WeightedInput` equals."""
    return sum((wi * xi for wi, xi in zip(w, x)), b)


class SoftmaxCrossEntropy(Function):
    """C = −(1/N) Σ_n Σ_k t_nk log softmax(z_n)_k, z (N, K) the output layer's weighted inputs,
    `labels` the classes (N,) or probability rows t (N, K);  ∂C/∂z = (softmax(z) − t) / N.
    Computed from z − max z: no overflow."""
    op_name = "cross-entropy"

    def forward(ctx: Any, z: np.ndarray, labels: Any = None) -> np.ndarray:
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        ctx.p = e / total  # the softmax: a constant to a second derivative
        ctx.onehot = labels if labels.ndim == 2 else np.eye(z.shape[1], dtype=z.dtype)[labels]
        return np.asarray(-(ctx.onehot * (shifted - np.log(total))).sum() / len(z))
    def backward(ctx: Any, grad: Any) -> Any:
        n = len(ctx.p)
        if isinstance(grad, np.ndarray):  # first order: from the softmax kept by forward
            return (ctx.p - ctx.onehot) * (grad / n)
        z = ctx.args[0]  # differentiated again: the softmax as graph ops
        return (z.softmax(axis=1) - ctx.onehot) * (grad * (1.0 / n))


def softmax_cross_entropy_composed(z: Any, labels: np.ndarray) -> Any:
    """The same cost as plain ops: what `SoftmaxCrossEntropy` equals."""
    onehot = np.eye(z.shape[1])[labels]
    return -(z.log_softmax(axis=1) * onehot).sum() * (1.0 / len(labels))
