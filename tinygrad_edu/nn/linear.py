"""The tensor engine's dense layer: all units and all images at once, Z = X Wᵀ + b (§1-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..habits import Tensor
from ..random import start_generator
from .activations import check_activation, fire
from .module import Module
from .parameter import Parameter

__all__ = ["Linear"]


class Linear(Module):
    """A fully connected layer over `Tensor`s: input (N, in) -> output (N, out).

    `weight` is a `Parameter` (out, in), row i the weights of unit i (the book's w_ij: to unit i
    from input j); `bias` a `Parameter` (out,), or None with `bias=False`.  The output is
    a(Z) with Z = X Wᵀ + b, `activation` "identity" (the default, as PyTorch's Linear) or any
    name of `nn.ACTIVATIONS`.

    Start values, as PyTorch's Linear: every weight and bias drawn uniformly from
    ±1/√n_inputs, by `rng` (a `numpy.random.Generator`) when given, else by
    `numpy.random.default_rng(seed)` when a `seed` is given, else by the package's one
    generator (`tinygrad_edu.manual_seed` seeds it): two layers start differently, and a run
    seeded once repeats exactly.  `weight` (out, in) and `bias_value` (out,) give the start
    values instead.  `layer` names the values
    as the book does: W2, b2, z2, a2 for layer 2 (the default); "O" gives the output layer's WO,
    bO, zO, aO (§5-4).
    """

    scope_kind = "layer"

    def __init__(self, n_inputs: int, n_units: int, activation: str = "identity",
                 bias: bool = True, *, seed: int | None = None,
                 rng: np.random.Generator | None = None,
                 weight: np.ndarray | None = None, bias_value: np.ndarray | None = None,
                 layer: int | str = 2) -> None:
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias is True or False (whether the layer has one), got "
                            f"{type(bias).__name__}; give start values as bias_value=")
        if not bias and bias_value is not None:
            raise ValueError("Linear: bias_value given for a layer built with bias=False")
        rng = start_generator(seed, rng)
        bound = 1.0 / np.sqrt(n_inputs) if n_inputs else 0.0
        W = rng.uniform(-bound, bound, (n_units, n_inputs)) if weight is None else \
            np.asarray(weight, float)
        if W.shape != (n_units, n_inputs):
            raise ValueError(f"Linear: weight of shape {W.shape} does not fit {n_inputs} inputs "
                             f"and {n_units} units; expected ({n_units}, {n_inputs})")
        self.n_inputs, self.n_units = n_inputs, n_units
        self.activation = check_activation(activation)
        self.layer = layer
        self.weight = Parameter(W, label=f"W{layer}")
        self.bias: Parameter | None = None
        if bias:
            b = rng.uniform(-bound, bound, n_units) if bias_value is None else \
                np.asarray(bias_value, float)
            if b.shape != (n_units,):
                raise ValueError(f"Linear: bias of shape {b.shape} does not fit {n_units} "
                                 f"units; expected ({n_units},)")
            self.bias = Parameter(b, label=f"b{layer}")
        self._labels = (f"z{layer}", f"a{layer}")  # made once, used every call

    if TYPE_CHECKING:  # what an editor sees: calling the layer runs forward
        def __call__(self, x: Any) -> Tensor: ...

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if not x.data.ndim or x.data.shape[-1] != self.n_inputs:
            raise ValueError(f"Linear: input of shape {x.shape}, expected (..., {self.n_inputs})")
        z: Tensor = x @ self.weight.T  # Z = X Wᵀ (+ b): unit i's weighted input in column i
        if self.bias is not None:
            z = z + self.bias
        return fire(z, self.activation, self._labels)

    def __repr__(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return f"Linear({self.n_inputs} -> {self.n_units}, {self.activation}{bias})"
