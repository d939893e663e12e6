"""`Dropout`: in training, each input is set to 0 with probability p and the rest scaled by
1/(1 - p); in evaluation (`model.eval()`) the input passes unchanged, as PyTorch's."""

from __future__ import annotations

from typing import Any

from .functional import dropout
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability `p` while `training` (masks from the package's
    generator: `tinygrad_edu.manual_seed`), scale the rest by 1/(1 - p)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is a probability in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, input: Any) -> Any:
        return dropout(input, self.p, self.training)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
