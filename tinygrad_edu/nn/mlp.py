"""`MLP`: a fully connected network on either engine, with one parameter layout (§1-4, §3-5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload
from collections.abc import Sequence

import numpy as np

from ..engine import no_grad
from ..habits import Tensor
from .activations import check_activation
from .linear import Linear
from .module import Module
from .scalar import Layer

__all__ = ["MLP", "ENGINES"]

ENGINES = ("scalar", "tensor")
SAME = "same"  # output_activation: the same as the hidden layers


class MLP(Module):
    """A multi-layer network: `sizes` = units per layer, input layer first ([12, 3, 2]: §1-5).

    `engine="scalar"`: `layers` are `Layer`s of `Neuron`s over `Value`s, one image at a time
    (a list of 12 pixels -> a list of 2 output `Value`s), as the book draws the network.
    `engine="tensor"`: `layers` are `Linear`s over `Tensor`s, all images at once
    ((N, 12) -> (N, 2)).

    On both engines `state_dict()` holds "layers.{k}.weight" (out, in) and "layers.{k}.bias"
    (out,), so the same weights give the same outputs on both.  The weights are drawn from a
    normal distribution with standard deviation 1/sqrt(inputs of the unit), the biases are 0,
    by `numpy.random.default_rng(seed)`: the same `seed` gives the same start on both engines.
    `activation` is the hidden layers' activation; `output_activation` the output layer's:
    a name of `nn.ACTIVATIONS`, None for none (the identity: the output is z itself), or
    "same" (the default) for the hidden layers' activation, as the book's networks have.
    `unit_names` names the units per layer (input layer first), for labels such as "w2[A,4]".
    """

    scope_kind = "network"

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid",
                 output_activation: str | None = SAME, engine: str = "scalar", seed: int = 0,
                 unit_names: Sequence[Sequence[str]] | None = None) -> None:
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP needs at least two layer sizes >= 1, got {sizes}")
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
        if unit_names is not None:
            unit_names = [list(map(str, names)) for names in unit_names]
            if [len(n) for n in unit_names] != sizes:
                raise ValueError(f"unit_names has {[len(n) for n in unit_names]} names per "
                                 f"layer for sizes {sizes}")
        self.sizes = sizes
        self.activation = check_activation(activation)
        self.output_activation = check_activation(
            activation if output_activation == SAME else
            "identity" if output_activation is None else output_activation)
        self.engine = engine
        self.seed = seed
        self.unit_names = unit_names
        rng = np.random.default_rng(seed)
        layers: list[Module] = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            act = self.output_activation if k == len(sizes) - 2 else self.activation
            weight = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
            bias = np.zeros(n_out)
            if engine == "tensor":
                layers.append(Linear(n_in, n_out, act, weight=weight, bias_value=bias,
                                     layer=k + 2))
            else:
                names = unit_names[k + 1] if unit_names else None
                inputs = unit_names[k] if unit_names else None
                layers.append(Layer(n_in, n_out, act, weight=weight, bias=bias, names=names,
                                    input_names=inputs, layer=k + 2))
        self.layers = layers

    if TYPE_CHECKING:  # what an editor sees: calling the network runs forward
        @overload
        def __call__(self, x: Tensor) -> Tensor: ...
        @overload
        def __call__(self, x: Any) -> Any: ...
        def __call__(self, x: Any) -> Any: ...

    def forward(self, x: Any) -> Any:
        """The output layer's activations.

        Scalar engine: one image (a sequence of numbers or `Value`s) -> list of `Value`s; a
        batch (2-d array or list of images) -> list of such lists.
        Tensor engine: (N, in) or (in,) array or `Tensor` -> `Tensor` (N, out) or (out,).
        """
        if self.engine == "scalar":
            if _is_batch(x):
                return [self.forward(image) for image in x]
            a: Any = list(x)
        else:
            a = x if isinstance(x, Tensor) else Tensor(x)
        for layer in self.layers:
            a = layer(a)
        return a

    def layer_outputs(self, x: Any) -> list[np.ndarray]:
        """The activations a of every layer for input `x`, input layer first (under no_grad).

        `x` is one image (in,) -> arrays (units,), or a batch (N, in) -> arrays (N, units).
        """
        x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        outputs = [x]
        with no_grad():
            if self.engine == "tensor":
                t = Tensor(x)
                for layer in self.layers:
                    t = layer(t)
                    outputs.append(t.data.copy())
                return outputs
            images = x if x.ndim == 2 else x[None, :]
            per_layer: list[list[list[float]]] = [[] for _ in self.layers]
            for image in images:
                a = image.tolist()
                for k, layer in enumerate(self.layers):
                    a = layer(a)
                    per_layer[k].append([v.data for v in a])
        for rows in per_layer:
            arr = np.array(rows)
            outputs.append(arr if x.ndim == 2 else arr[0])
        return outputs

    def predict(self, x: Any) -> np.ndarray:
        """The output activations as a numpy array (N, out) or (out,), computed under no_grad."""
        return self.layer_outputs(x)[-1]

    def __repr__(self) -> str:
        return (f"MLP({self.sizes}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, engine={self.engine!r})")


def _is_batch(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.ndim == 2
    return len(x) > 0 and isinstance(x[0], (list, tuple, np.ndarray))
