"""The scalar engine's network parts: the book's unit (`Neuron`) and a layer of them (§1-3, §1-4).

Every weight, bias, weighted input z and activation a is a `Value`, one node per number, as the
book draws a network: unit by unit.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

import numpy as np

from ..engine import weighted_input
from ..habits import Value
from .activations import check_activation, fire
from .module import Module, State

__all__ = ["Neuron", "Layer"]


class Neuron(Module):
    """One unit (§1-3): weighted input z = Σ_i w_i x_i + b, output a = a(z).

    `w` is a list of `Value` weights (one per input), `b` the bias `Value` (the book's b = -θ,
    the "bias of the heart").  `name` is the unit's name in labels ("A", "3", ...); `layer` the
    book's layer number (the input layer is 1), so the weight from input "4" to unit "A" of layer
    2 is labelled "w2[A,4]".

    >>> n = Neuron(2, weights=[5.0, 3.0], bias=-4.0, activation="step")
    >>> [n([x1, x2]).data for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    [0.0, 0.0, 1.0, 1.0]
    """

    scope_kind = "neuron"

    def __init__(self, n_inputs: int, activation: str = "sigmoid", *,
                 weights: Sequence[float] | None = None, bias: float = 0.0,
                 name: str = "1", input_names: Sequence[str] | None = None, layer: int = 2,
                 ) -> None:
        self.activation = check_activation(activation)
        if weights is None:
            weights = [0.0] * n_inputs
        if len(weights) != n_inputs:
            raise ValueError(f"Neuron: {len(weights)} weights for {n_inputs} inputs")
        if input_names is None:
            input_names = [str(j + 1) for j in range(n_inputs)]
        self.name = name
        self.layer = layer
        self.w = [Value(float(wj), label=f"w{layer}[{name},{input_names[j]}]")
                  for j, wj in enumerate(weights)]
        self.b = Value(float(bias), label=f"b{layer}[{name}]")
        self._labels = (f"z{layer}[{name}]", f"a{layer}[{name}]")  # made once, used every call

    def forward(self, x: Sequence[Any]) -> Value:
        """a = a(z), z = w·x + b; `x` holds floats (pixels) or `Value`s (the previous layer's a)."""
        w = self.w
        if len(x) != len(w):
            raise ValueError(f"neuron {self.name}: {len(x)} inputs for {len(w)} weights")
        z: Value = weighted_input(w, x, self.b)  # one node: z = w1·x1 + ... + wn·xn + b
        return fire(z, self.activation, self._labels)

    def __repr__(self) -> str:
        return f"Neuron({self.name}, {len(self.w)} inputs, {self.activation})"


class Layer(Module):
    """A fully connected layer of `Neuron`s (§1-4): every unit sees every input.

    Its state is stored as one weight matrix "weight" (units, inputs), row i the weights of
    unit i, and one bias vector "bias" (units,), the same layout as the tensor engine's `Linear`.
    """

    scope_kind = "layer"
    _state_covers_children = True

    def __init__(self, n_inputs: int, n_units: int, activation: str = "sigmoid", *,
                 weight: np.ndarray | None = None, bias: np.ndarray | None = None,
                 names: Sequence[str] | None = None, input_names: Sequence[str] | None = None,
                 layer: int = 2) -> None:
        weight = np.zeros((n_units, n_inputs)) if weight is None else np.asarray(weight, float)
        bias = np.zeros(n_units) if bias is None else np.asarray(bias, float)
        if weight.shape != (n_units, n_inputs) or bias.shape != (n_units,):
            raise ValueError(f"Layer: weight {weight.shape} and bias {bias.shape} do not fit "
                             f"{n_inputs} inputs and {n_units} units")
        names = [str(i + 1) for i in range(n_units)] if names is None else list(names)
        self.n_inputs, self.n_units, self.activation = n_inputs, n_units, activation
        self.neurons = [Neuron(n_inputs, activation, weights=weight[i].tolist(),
                               bias=float(bias[i]), name=names[i], input_names=input_names,
                               layer=layer) for i in range(n_units)]

    def forward(self, x: Sequence[Any]) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]

    def _own_state(self) -> State:
        return {"weight": np.array([[w.data for w in n.w] for n in self.neurons]),
                "bias": np.array([n.b.data for n in self.neurons])}

    def _own_nodes(self, name: str) -> list[Value]:
        if name == "weight":
            return [w for neuron in self.neurons for w in neuron.w]
        return [neuron.b for neuron in self.neurons]

    def _load_own_state(self, name: str, array: np.ndarray) -> None:
        for neuron, row in zip(self.neurons, array.tolist()):
            if name == "weight":
                for w, x in zip(neuron.w, row):
                    w.data = float(x)
            else:
                neuron.b.data = float(row)

    def __repr__(self) -> str:
        return f"Layer({self.n_inputs} -> {self.n_units}, {self.activation})"
