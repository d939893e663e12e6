"""Costs as modules, PyTorch's habit: `loss_fn = MSELoss(); loss = loss_fn(a, t)`.

Thin wrappers over `tinygrad_edu.losses` (§1-7), which holds the formulas and their checks.
"""

from __future__ import annotations

from typing import Any

from .. import losses
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss"]

REDUCTIONS = ("mean", "sum")


def _check_reduction(who: str, reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be 'mean' or 'sum' ('none' is not supported), "
                         f"got {reduction!r}")
    return reduction


class MSELoss(Module):
    """The mean squared error, as PyTorch's nn.MSELoss: mean of (a - t)² over every output of
    every image (`losses.mse`); `reduction="sum"` gives Σ (a - t)², twice the book's C_T
    (`losses.squared_error` is C_T itself, with the ½)."""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction("MSELoss", reduction)

    def forward(self, a: Any, t: Any) -> Any:
        if self.reduction == "mean":
            return losses.mse(a, t)
        return 2.0 * losses.squared_error(a, t)

    def __repr__(self) -> str:
        return f"MSELoss(reduction={self.reduction!r})"


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of the output layer's weighted inputs z (the logits, no activation)
    against class indices, as PyTorch's nn.CrossEntropyLoss (`losses.softmax_cross_entropy`);
    `reduction` "mean" (over images, the default) or "sum"."""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = _check_reduction("CrossEntropyLoss", reduction)

    def forward(self, z: Any, t: Any) -> Any:
        return losses.softmax_cross_entropy(z, t, reduction=self.reduction)

    def __repr__(self) -> str:
        return f"CrossEntropyLoss(reduction={self.reduction!r})"
