"""Costs (§1-7): how far the network's outputs a are from the targets t.

Each works on the scalar engine (a list of `Value`s for one image, or a list of such lists for a
batch) and on the tensor engine (a `Tensor` (out,) or (N, out)); targets are plain numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import functions as F
from .tensor import Tensor
from .value import Value

__all__ = ["squared_error", "mse", "softmax_cross_entropy"]


def _is_value_batch(a: Any) -> bool:
    return not isinstance(a, Tensor) and len(a) > 0 and isinstance(a[0], (list, tuple))


def _rows(t: Any) -> list:
    if type(t) is list and set(map(type, t)) == {float}:  # already what we need
        return t
    return np.asarray(t, dtype=np.float64).tolist()


def squared_error(a: Any, t: Any) -> Any:
    """The book's cost C = 1/2 Σ_k (t_k - a_k)^2 (§1-7); over a batch the sum of C: C_T.

    `a`: list of `Value`s (one image), list of such lists (a batch), or a `Tensor`;
    `t`: the targets, the same shape, as numbers.  Returns a `Value` or a 0-d `Tensor`.
    """
    if isinstance(a, Tensor):
        t = np.asarray(t, dtype=a.dtype)
        if t.shape != a.shape:
            raise ValueError(f"squared_error: outputs {a.shape} and targets {t.shape} differ")
        return 0.5 * ((t - a) ** 2).sum()  # C_T = ½ Σ (t - a)²
    if _is_value_batch(a):
        rows = _rows(t)
        if len(rows) != len(a):
            raise ValueError(f"squared_error: {len(a)} outputs and {len(rows)} targets")
        total: Any = 0.0
        for a_n, t_n in zip(a, rows):
            total = total + squared_error(a_n, t_n)
        return total
    t = _rows(t)
    if len(t) != len(a):
        raise ValueError(f"squared_error: {len(a)} outputs and {len(t)} targets")
    return 0.5 * sum((t_k - a_k) ** 2 for a_k, t_k in zip(a, t))  # C = ½ Σ_k (t_k - a_k)²


def mse(a: Any, t: Any) -> Any:
    """The mean squared error: mean over every output of every image of (t_k - a_k)^2.

    (No 1/2, as PyTorch's MSELoss; for N images of K outputs mse = 2 C_T / (N K).)
    """
    if isinstance(a, Tensor):
        return ((np.asarray(t, dtype=a.dtype) - a) ** 2).mean()
    n = sum(len(row) for row in a) if _is_value_batch(a) else len(a)
    return squared_error(a, t) * (2.0 / n)


def _class_index(t: Any, k: int) -> int:
    """A target as a class index: an int, or a one-hot row."""
    if isinstance(t, (int, np.integer)):
        index = int(t)
    else:
        row = np.asarray(t, dtype=np.float64)
        if row.shape != (k,):
            raise ValueError(f"softmax_cross_entropy: a one-hot target needs {k} entries, got "
                             f"shape {row.shape}")
        index = int(row.argmax())
    if not 0 <= index < k:
        raise ValueError(f"softmax_cross_entropy: class {index} out of range 0..{k - 1}")
    return index


def softmax_cross_entropy(z: Any, t: Any, reduction: str = "mean") -> Any:
    """-log softmax(z)[t]: the cross-entropy of the softmax of the output-layer inputs z.

    `z`: the weighted inputs of the output layer (no activation): a list of `Value`s, a list of
    lists, or a `Tensor` (K,) / (N, K).  `t`: class indices (int / ints) or one-hot rows.
    `reduction`: "mean" (over images, the default) or "sum".  Computed with the largest z
    subtracted first, so no exp overflows.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if isinstance(z, Tensor):
        batch = z.data.ndim == 2
        zz = z if batch else z.reshape(1, -1)
        n, k = zz.data.shape
        targets = np.asarray(t)
        if targets.ndim == (2 if batch else 1) and targets.shape[-1] == k and \
                targets.dtype.kind == "f":
            rows = targets.reshape(-1, k)
            idx = np.array([_class_index(r, k) for r in rows])
        else:
            idx = (targets if targets.ndim == 1 else targets.reshape(-1)).astype(np.intp,
                                                                             copy=False)
            if idx.shape != (n,) or not 0 <= idx.min() <= idx.max() < k:
                raise ValueError(f"softmax_cross_entropy: targets {targets.tolist()} do not fit "
                                 f"logits of shape {z.shape}")
        mean = F.SoftmaxCrossEntropy.apply(zz, labels=idx)  # one node for the whole cost
        return mean if reduction == "mean" else mean * float(n)
    if _is_value_batch(z):
        targets = list(t)
        if len(targets) != len(z):
            raise ValueError(f"softmax_cross_entropy: {len(z)} outputs and {len(targets)} targets")
        total: Any = 0.0
        for z_n, t_n in zip(z, targets):
            total = total + softmax_cross_entropy(z_n, t_n, "sum")
        return total / len(z) if reduction == "mean" else total
    index = _class_index(t, len(z))
    m = max(v.data if isinstance(v, Value) else float(v) for v in z)
    sum_exp: Any = 0.0
    for v in z:
        sum_exp = sum_exp + (v - m).exp() if isinstance(v, Value) else sum_exp + math.exp(v - m)
    log_sum = sum_exp.log() if isinstance(sum_exp, Value) else math.log(sum_exp)
    return (log_sum + m) - z[index]
