"""Costs (§1-7): how far the network's outputs a are from the targets t.

Each works on the scalar engine (a list of `Value`s for one image, or a list of such lists for a
batch) and on the tensor engine (a `Tensor` (out,) or (N, out)); targets are plain numbers.
Every cost refuses outputs and targets of different shapes (it never broadcasts one against the
other: an (N, 1) output and N targets would otherwise give an (N, N) cost).  A cost is built from
plain ops, recorded in a scope named after it (`Scope("squared_error")`, ...), so a drawing at
the neuron or layer level shows it as one box.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import numpy as np

from .engine.fused import SoftmaxCrossEntropy
from .tools.trace import Scope, name_scope
from .habits import Tensor
from .habits import Value

__all__ = ["squared_error", "mse", "softmax_cross_entropy"]


def _is_value_batch(a: Any) -> bool:
    return not isinstance(a, Tensor) and len(a) > 0 and isinstance(a[0], (list, tuple))


def _shape_of_values(a: Any, who: str) -> tuple[int, ...]:
    """The shape of a list of outputs (K,) or of a batch, a list of N such lists (N, K)."""
    if not _is_value_batch(a):
        return (len(a),)
    widths = {len(row) for row in a}
    if len(widths) != 1:
        raise ValueError(f"{who}: the images of the batch have {sorted(widths)} outputs; every "
                         "image needs the same number")
    return (len(a), widths.pop())


def _targets(a: Any, t: Any, who: str) -> Any:
    """The targets as an array (or a `Tensor`) of the outputs' shape, or a clear ValueError."""
    shape = a.shape if isinstance(a, Tensor) else _shape_of_values(a, who)
    if isinstance(t, Tensor) and isinstance(a, Tensor):  # a graph value: kept, gradient and all
        t_shape = t.shape
    else:
        t = t.data if isinstance(t, Tensor) else t
        try:
            t = np.asarray(t, dtype=a.dtype if isinstance(a, Tensor) else np.float64)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{who}: the targets are not an array of numbers ({e})") from None
        t_shape = t.shape
    if t_shape != shape:
        fix = (f"; reshape the targets to {shape} (e.g. t.reshape({', '.join(map(str, shape))}))"
               if math.prod(t_shape) == math.prod(shape) else
               "; give one target per output")
        raise ValueError(f"{who}: outputs of shape {shape} and targets of shape {t_shape} differ "
                         f"(costs never broadcast one against the other){fix}")
    return t


_SQUARED_ERROR, _MSE, _CROSS_ENTROPY = Scope("squared_error"), Scope("mse"), \
    Scope("softmax_cross_entropy")


def _half_sum_of_squares(a: Any, t: Any) -> Any:
    """½ Σ (a - t)² over every output of every image (the book's C, or C_T over a batch)."""
    if isinstance(a, Tensor):
        return 0.5 * ((a - t) ** 2).sum()
    pairs = zip(a, t.tolist()) if not _is_value_batch(a) else \
        ((a_k, t_k) for a_n, t_n in zip(a, t.tolist()) for a_k, t_k in zip(a_n, t_n))
    squares = [(a_k - t_k) ** 2 for a_k, t_k in pairs]
    return 0.5 * functools.reduce(operator.add, squares) if squares else 0.0  # no "0 +" node


def squared_error(a: Any, t: Any) -> Any:
    """The book's cost C = 1/2 Σ_k (t_k - a_k)^2 (§1-7); over a batch the sum of C: C_T.

    `a`: list of `Value`s (one image), list of such lists (a batch), or a `Tensor`;
    `t`: the targets, the same shape, as numbers.  Returns a `Value` (a float when no output
    is a `Value`) or a 0-d `Tensor`.  Shapes that differ are refused, never broadcast.
    """
    t = _targets(a, t, "squared_error")
    with name_scope(_SQUARED_ERROR):
        return _half_sum_of_squares(a, t)


def mse(a: Any, t: Any) -> Any:
    """The mean squared error: mean over every output of every image of (t_k - a_k)^2.

    (No 1/2, as PyTorch's MSELoss; for N images of K outputs mse = 2 C_T / (N K).)  The same
    inputs as `squared_error`, refused in the same way when the shapes differ.
    """
    t = _targets(a, t, "mse")
    n = math.prod(t.shape)
    if n == 0:
        raise ValueError("mse: no outputs (an empty batch); the mean of nothing is undefined, "
                         "pass at least one output")
    with name_scope(_MSE):
        if isinstance(a, Tensor):
            return ((a - t) ** 2).mean()
        return _half_sum_of_squares(a, t) * (2.0 / n)


# -- cross-entropy ----------------------------------------------------------------------------

_WHO = "softmax_cross_entropy"


def _class_targets(t: Any, shape: tuple[int, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(class indices (N,), None) or (None, probability rows (N, K)) for logits of `shape`.

    As PyTorch's cross_entropy: targets of the logits' shape are probability rows (each >= 0,
    summing to 1); otherwise one class index per image, a whole number in 0..K-1.
    """
    n, k = (1, shape[0]) if len(shape) == 1 else shape
    if n == 0 or k == 0:
        raise ValueError(f"{_WHO}: logits of shape {shape} are empty (no images or no classes); "
                         "pass at least one image with at least one class")
    try:
        targets = np.asarray(t)
    except ValueError:  # ragged lists
        targets = np.asarray(t, dtype=object)
    if targets.dtype.kind not in "fiu":
        raise ValueError(f"{_WHO}: targets must be class indices or probability rows, got "
                         f"{targets.dtype} values")
    if targets.shape == tuple(shape):
        return _probability_rows(targets.astype(np.float64).reshape(n, k))
    allowed = [(), (1,)] if len(shape) == 1 else [(n,)]
    if targets.shape not in allowed:
        want = f"one class index or {k} probabilities" if len(shape) == 1 else \
            f"{n} class indices (shape ({n},)) or probability rows of shape {shape}"
        raise ValueError(f"{_WHO}: targets of shape {targets.shape} do not fit logits of shape "
                         f"{shape}; give {want}")
    return _class_indices(targets, shape), None


def _probability_rows(rows: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Rows that must each be >= 0 and sum to 1; one-hot rows become class indices."""
    k = rows.shape[1]
    bad = ~np.isfinite(rows).all(axis=1) | (rows < 0).any(axis=1) | \
        (np.abs(rows.sum(axis=1) - 1.0) > 1e-6 * k)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{_WHO}: target row {i} {rows[i].tolist()} is not a probability "
                         "row (entries >= 0 summing to 1); give class indices or rows such "
                         "as one-hot vectors")
    if ((rows == 1.0).sum(axis=1) == 1).all():  # one-hot: exactly the class-index cost, one node
        return rows.argmax(axis=1), None
    return None, rows


def _class_indices(targets: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """One whole number in 0..K-1 per image, as intp."""
    k = shape[-1]
    flat = targets.reshape(-1)
    if targets.dtype.kind in "iu":  # whole numbers already: only the range is checked
        if flat.size and (np.minimum.reduce(flat) < 0 or np.maximum.reduce(flat) >= k):
            raise ValueError(_out_of_range(int(flat[np.argmax((flat < 0) | (flat >= k))]),
                                           targets, shape))
        return flat.astype(np.intp, copy=False)
    flat = flat.astype(np.float64)
    fractional = flat != np.floor(flat)
    if fractional.any():
        raise ValueError(f"{_WHO}: target {flat[np.argmax(fractional)]!r} is not a whole class "
                         "index; give indices 0..K-1, or probability rows of the logits' shape")
    outside = (flat < 0) | (flat >= k)
    if outside.any():
        raise ValueError(_out_of_range(int(flat[np.argmax(outside)]), targets, shape))
    return flat.astype(np.intp)


def _out_of_range(label: int, targets: np.ndarray, shape: tuple[int, ...]) -> str:
    return (f"{_WHO}: class {label} is out of range, targets {targets.tolist()} do not fit "
            f"logits of shape {shape}; give class indices 0..{shape[-1] - 1}")


def _value_cost(z: list[Any], index: int | None, p: np.ndarray | None) -> Any:
    """-log softmax(z)[index], or -Σ_k p_k log softmax(z)_k, for one image's list of `Value`s."""
    m = max(v.data if isinstance(v, Value) else float(v) for v in z)
    sum_exp: Any = 0.0
    for v in z:
        sum_exp = sum_exp + (v - m).exp() if isinstance(v, Value) else sum_exp + math.exp(v - m)
    log_sum = (sum_exp.log() if isinstance(sum_exp, Value) else math.log(sum_exp)) + m
    if index is not None:
        return log_sum - z[index]
    assert p is not None  # either a class index or probability rows
    return log_sum - sum(p_k * z_k for p_k, z_k in zip(p.tolist(), z) if p_k)  # Σ p_k = 1


def softmax_cross_entropy(z: Any, t: Any, reduction: str = "mean") -> Any:
    """-log softmax(z)[t]: the cross-entropy of the softmax of the output-layer inputs z.

    `z`: the weighted inputs of the output layer (no activation): a list of `Value`s, a list of
    lists, or a `Tensor` (K,) / (N, K).  `t`, as in PyTorch: class indices (an int, or N whole
    numbers in 0..K-1), or probability rows of z's shape (one-hot rows, or soft labels: the
    cost is then -Σ_k t_k log softmax(z)_k).  Fractional or out-of-range indices, rows that are
    not probabilities and empty batches are refused.  `reduction`: "mean" (over images, the
    default) or "sum".  Computed with the largest z subtracted first, so no exp overflows.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{_WHO}: reduction must be 'mean' or 'sum', got {reduction!r}")
    with name_scope(_CROSS_ENTROPY):
        return _cross_entropy(z, t, reduction)


def _cross_entropy(z: Any, t: Any, reduction: str) -> Any:
    if isinstance(z, Tensor):
        if z.ndim not in (1, 2):
            raise ValueError(f"{_WHO}: logits must be (K,) or (N, K), got shape {z.shape}")
        idx, p = _class_targets(t, z.shape)
        zz = z if z.ndim == 2 else z.reshape(1, -1)
        n = zz.shape[0]
        if idx is not None:
            mean = SoftmaxCrossEntropy.apply(zz, labels=idx)  # one node for the whole cost
        else:
            assert p is not None  # either class indices or probability rows
            mean = -(zz.log_softmax(axis=1) * p.astype(z.dtype)).sum() * (1.0 / n)
        return mean if reduction == "mean" else mean * float(n)
    z = list(z)
    if not z:
        raise ValueError(f"{_WHO}: no logits (an empty list); pass at least one image")
    shape = _shape_of_values(z, _WHO)
    idx, p = _class_targets(t, shape)
    if len(shape) == 1:
        return _value_cost(z, None if idx is None else int(idx[0]), None if p is None else p[0])
    total: Any = 0.0
    for i, z_n in enumerate(z):
        total = total + _value_cost(list(z_n), None if idx is None else int(idx[i]),
                                    None if p is None else p[i])
    return total / len(z) if reduction == "mean" else total
