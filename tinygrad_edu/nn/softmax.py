"""`Softmax` as a module, PyTorch's `nn.Softmax(dim)`: e^{z_i} / Σ_j e^{z_j} along `dim`, each
row of outputs a probability distribution."""

from __future__ import annotations

from typing import Any

from ..functional import softmax
from .module import Module

__all__ = ["Softmax"]


class Softmax(Module):
    """e^{z_i} / Σ_j e^{z_j} along `dim`; `dim` is required here (PyTorch guesses one when it
    is left out, and warns)."""

    def __init__(self, dim: int) -> None:
        self.dim = int(dim)

    def forward(self, z: Any) -> Any:
        return softmax(z, self.dim)

    def __repr__(self) -> str:
        return f"Softmax(dim={self.dim})"
