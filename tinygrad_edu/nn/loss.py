"""Costs as modules, PyTorch's habit: `loss_fn = MSELoss(); loss = loss_fn(a, t)`.

Thin wrappers over the functions of `nn.functional` and `tinygrad_edu.losses` (§1-7), which
hold the formulas and their checks.
"""

from __future__ import annotations

from typing import Any

from . import functional as F
from .functional import check_reduction as _check_reduction
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "BCELoss"]


class MSELoss(Module):
    """The mean squared error, as PyTorch's nn.MSELoss: mean of (a - t)² over every output of
    every image (`losses.mse`); `reduction="sum"` gives Σ (a - t)², twice the book's C_T
    (`losses.squared_error` is C_T itself, with the ½)."""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction("MSELoss", reduction)

    def forward(self, a: Any, t: Any) -> Any:
        return F.mse_loss(a, t, self.reduction)

    def __repr__(self) -> str:
        return f"MSELoss(reduction={self.reduction!r})"


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of the output layer's weighted inputs z (the logits, no activation)
    against class indices, as PyTorch's nn.CrossEntropyLoss (`losses.softmax_cross_entropy`);
    `reduction` "mean" (over images, the default) or "sum"."""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction("CrossEntropyLoss", reduction)

    def forward(self, z: Any, t: Any) -> Any:
        return F.cross_entropy(z, t, self.reduction)

    def __repr__(self) -> str:
        return f"CrossEntropyLoss(reduction={self.reduction!r})"


class BCELoss(Module):
    """Binary cross-entropy -(t ln a + (1 - t) ln(1 - a)) of outputs a in [0, 1] (a sigmoid's)
    against targets t, as PyTorch's nn.BCELoss (`nn.functional.binary_cross_entropy`);
    `weight` rescales each element's cost; `reduction` "mean" (the default) or "sum"."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        self.weight = weight
        self.reduction = _check_reduction("BCELoss", reduction)

    def forward(self, a: Any, t: Any) -> Any:
        return F.binary_cross_entropy(a, t, self.weight, self.reduction)

    def __repr__(self) -> str:
        return f"BCELoss(reduction={self.reduction!r})"
