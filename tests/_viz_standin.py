"""A small stand-in for `tinygrad_edu.nn.MLP` (the nn contract in CORE_API.md), for the viz tests.

Built from the core only: a module runs `forward` inside `name_scope(scope_name, scope_kind)`,
the scalar engine is a `Layer` of `Neuron`s over `Value`s, the tensor engine a `Linear` per layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu import Tensor, Value, name_scope, no_grad


class Module:
    scope_kind = "block"

    def __init__(self) -> None:
        self.scope_name = type(self).__name__

    def __call__(self, *args: Any) -> Any:
        with name_scope(self.scope_name, self.scope_kind):
            return self.forward(*args)


class Neuron(Module):
    scope_kind = "neuron"

    def __init__(self, w: np.ndarray, b: float) -> None:
        super().__init__()
        self.w = [Value(float(v), label=f"w{j + 1}") for j, v in enumerate(w)]
        self.b = Value(float(b), label="b")

    def forward(self, x: list) -> Value:
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z.sigmoid()


class Layer(Module):
    scope_kind = "layer"

    def __init__(self, name: str, W: np.ndarray, b: np.ndarray) -> None:
        super().__init__()
        self.scope_name = name
        self.neurons = [Neuron(W[i], b[i]) for i in range(W.shape[0])]
        for i, n in enumerate(self.neurons):
            n.scope_name = f"{name}.neurons.{i}"

    def forward(self, x: list) -> list:
        return [n(x) for n in self.neurons]


class Linear(Module):
    scope_kind = "layer"

    def __init__(self, name: str, W: np.ndarray, b: np.ndarray) -> None:
        super().__init__()
        self.scope_name = name
        self.weight = Tensor(W, requires_grad=True, label=f"{name}.weight")
        self.bias = Tensor(b, requires_grad=True, label=f"{name}.bias")

    def forward(self, x: Tensor) -> Tensor:
        return (x @ self.weight.T + self.bias).sigmoid()


class MLP(Module):
    scope_kind = "network"

    def __init__(self, sizes: list[int], activation: str = "sigmoid",
                 output_activation: str | None = None, engine: str = "scalar",
                 seed: int = 0, unit_names: list | None = None) -> None:
        super().__init__()
        self.sizes, self.engine, self.unit_names = list(sizes), engine, unit_names
        self.activation, self.output_activation = activation, output_activation or activation
        rng = np.random.default_rng(seed)
        self._build({f"layers.{k}.weight": rng.normal(size=(sizes[k + 1], sizes[k]))
                     for k in range(len(sizes) - 1)}
                    | {f"layers.{k}.bias": rng.normal(size=sizes[k + 1])
                       for k in range(len(sizes) - 1)})

    def _build(self, state: dict) -> None:
        make = Layer if self.engine == "scalar" else Linear
        self.layers = [make(f"layers.{k}", state[f"layers.{k}.weight"], state[f"layers.{k}.bias"])
                       for k in range(len(self.sizes) - 1)]

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {}
        for k, layer in enumerate(self.layers):
            if self.engine == "scalar":
                out[f"layers.{k}.weight"] = np.array([[w.data for w in n.w] for n in layer.neurons])
                out[f"layers.{k}.bias"] = np.array([n.b.data for n in layer.neurons])
            else:
                out[f"layers.{k}.weight"] = layer.weight.data.copy()
                out[f"layers.{k}.bias"] = layer.bias.data.copy()
        return out

    def load_state_dict(self, state: dict) -> None:
        self._build({k: np.asarray(v, dtype=np.float64) for k, v in state.items()})

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def layer_outputs(self, x: Any) -> list[np.ndarray]:
        with no_grad():
            if self.engine == "scalar":
                a = [float(v) for v in np.asarray(x, dtype=np.float64).reshape(-1)]
                outs = [np.array(a)]
                for layer in self.layers:
                    a = layer(a)
                    outs.append(np.array([v.data for v in a]))
                return outs
            a = Tensor(np.asarray(x, dtype=np.float64))
            outs = [a.data.copy()]
            for layer in self.layers:
                a = layer(a)
                outs.append(a.data.copy())
            return outs


def demon_mlp(engine: str = "scalar", W2: np.ndarray | None = None, b2: Any = None,
              W3: np.ndarray | None = None, b3: Any = None) -> MLP:
    """The 12-3-2 network with the book's unit names; the hand-set demons of §1-5 by default."""
    net = MLP([12, 3, 2], engine=engine)
    if W2 is None:
        W2 = np.full((3, 12), 0.1)
        for i, pixels in enumerate([(4, 7), (5, 8), (6, 9)]):
            for p in pixels:
                W2[i, p - 1] = 2.0
        W3 = np.array([[2.0, -1.5, 2.0], [-1.5, 2.5, -1.5]])
        b2, b3 = np.full(3, -1.5), np.array([-1.0, -0.5])
    net.load_state_dict({"layers.0.weight": W2, "layers.0.bias": b2,
                         "layers.1.weight": W3, "layers.1.bias": b3})
    net.unit_names = [[str(i) for i in range(1, 13)], ["A", "B", "C"], ["0", "1"]]
    return net
