"""The tensor engine's dense layer: all units and all images at once, Z = X Wᵀ + b (§1-4)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functions as F
from ..tensor import Tensor
from .activations import check_activation, fire
from .module import Module
from .parameter import Parameter

__all__ = ["Linear"]


class Linear(Module):
    """A fully connected layer over `Tensor`s: input (N, in) -> output (N, out).

    `weight` is a `Parameter` (out, in), row i the weights of unit i (the book's w_ij: to unit i
    from input j); `bias` a `Parameter` (out,).  The output is a(X Wᵀ + b), with `activation`
    "identity" (the default, as PyTorch's Linear) or any name of `nn.ACTIVATIONS`.
    """

    scope_kind = "layer"

    def __init__(self, n_inputs: int, n_units: int, activation: str = "identity", *,
                 weight: np.ndarray | None = None, bias: np.ndarray | None = None,
                 layer: int = 2) -> None:
        weight = np.zeros((n_units, n_inputs)) if weight is None else np.asarray(weight, float)
        bias = np.zeros(n_units) if bias is None else np.asarray(bias, float)
        if weight.shape != (n_units, n_inputs) or bias.shape != (n_units,):
            raise ValueError(f"Linear: weight {weight.shape} and bias {bias.shape} do not fit "
                             f"{n_inputs} inputs and {n_units} units")
        self.n_inputs, self.n_units = n_inputs, n_units
        self.activation = check_activation(activation)
        self.layer = layer
        self.weight = Parameter(weight, label=f"W{layer}")
        self.bias = Parameter(bias, label=f"b{layer}")
        self._labels = (f"z{layer}", f"a{layer}")  # made once, used every call

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if not x.data.ndim or x.data.shape[-1] != self.n_inputs:
            raise ValueError(f"Linear: input of shape {x.shape}, expected (..., {self.n_inputs})")
        z = x @ self.weight.T + self.bias  # Z = X Wᵀ + b: a row of weighted inputs per image
        return fire(z, self.activation, self._labels)

    def __repr__(self) -> str:
        return f"Linear({self.n_inputs} -> {self.n_units}, {self.activation})"
