"""The layers and costs as functions, PyTorch's `torch.nn.functional`:

    import tinygrad_edu.nn.functional as F
    a = F.sigmoid(F.linear(x, W, b))          # a = σ(z), z = x Wᵀ + b (§1-3, §1-4)
    C = F.mse_loss(a, t)                      # mean of (a - t)² (§1-7, without the ½)

The modules (`nn.Linear`, `nn.MSELoss`, `nn.BCELoss`, `nn.Dropout`, ...) call these functions,
so each formula is written once.  Costs take `reduction` "mean" (the default) or "sum".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, random
from ..habits import Tensor
from ..functional import as_tensor, where
from ..functional import log_softmax, relu, sigmoid, softmax, tanh  # F's activations, one place
from ..losses import _targets

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout", "mse_loss",
           "cross_entropy", "binary_cross_entropy", "check_reduction"]

REDUCTIONS = ("mean", "sum")


def check_reduction(who: str, reduction: str) -> str:
    """`reduction` if it is "mean" or "sum", else a ValueError naming `who`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be 'mean' or 'sum' ('none' is not supported), "
                         f"got {reduction!r}")
    return reduction


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """z = x Wᵀ + b (§1-4): `weight` (out, in), one row per unit; `bias` (out,) or None."""
    x = as_tensor(input)
    z = x @ weight.T
    return z if bias is None else z + bias


def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """In training, each element is set to 0 with probability `p` and the rest scaled by
    1/(1 - p), so the expected value stays the same; otherwise `input` as it is.  The mask is
    drawn from the package's generator (`tinygrad_edu.manual_seed`)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p is a probability in [0, 1], got {p}")
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    keep = random.generator().random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * (keep * scale).astype(x.dtype)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """The mean squared error, mean of (a - t)² over every output of every image
    (`losses.mse`); "sum" gives Σ (a - t)², twice the book's C_T (`losses.squared_error`)."""
    if check_reduction("mse_loss", reduction) == "mean":
        return losses.mse(input, target)
    return 2.0 * losses.squared_error(input, target)


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy of the weighted inputs z (the logits) against class indices (or
    probability rows): `losses.softmax_cross_entropy`."""
    return losses.softmax_cross_entropy(input, target,
                                        reduction=check_reduction("cross_entropy", reduction))


def _clamped_log(p: Tensor) -> Tensor:
    """ln p, no lower than -100 (PyTorch's bound: a probability of 0 gives a finite cost).

    Where ln p < -100 the logarithm is taken of 1 instead and then replaced by -100, so its
    gradient there is 0, not 0/0 = NaN."""
    inside = p.data >= np.exp(-100.0)
    return where(inside, where(inside, p, 1.0).log(), -100.0)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-(t ln a + (1 - t) ln(1 - a)) for outputs a in [0, 1] (a sigmoid's) and targets t, each
    logarithm no lower than -100 as in PyTorch; `weight` rescales each element's cost."""
    check_reduction("binary_cross_entropy", reduction)
    a = as_tensor(input)
    if np.any((a.data < 0) | (a.data > 1)):
        raise ValueError("binary_cross_entropy: the outputs must be probabilities in [0, 1]; "
                         "apply a sigmoid first")
    t = _targets(a, target, "binary_cross_entropy")
    cost: Tensor = -(t * _clamped_log(a) + (1.0 - t) * _clamped_log(1.0 - a))
    if weight is not None:
        cost = cost * (weight.data if isinstance(weight, Tensor) else np.asarray(weight))
    return cost.mean() if reduction == "mean" else cost.sum()

