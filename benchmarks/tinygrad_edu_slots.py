"""The tinygrad_edu rows: the engine as its users run it.

Every factory is registered under a name that starts with "tinygrad_edu". The judged rows run
user-style code with plain public ops only, the very code the references run:
- W1 tensor: `w1_book_network.tensor_step` on `tinygrad_edu.Tensor` (the README's
  `(X @ W2.T + b2).sigmoid()` ..., the update under `no_grad`);
- W1 scalar and W2: `w1_book_network.scalar_cost` / `w2_scalar_graphs.build_graph` on
  `tinygrad_edu.Value` (micrograd-style: `z = z + w * x`, `z.relu()`);
- W3: `nn.MLP`, `losses.softmax_cross_entropy`, `optim.Adam`; W4: `a + b`, `a @ b`, `.sum()` ...
The rows "tinygrad_edu nn.MLP" show what the `nn` path costs beside the plain ops; no target.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from benchmarks.compat import require
from benchmarks.registry import register
from benchmarks.w1_book_network import PARAMS, BookProblem, Stepper, nodes_per_step, scalar_stepper, tensor_stepper
from benchmarks.w3_digits_mlp import DigitsProblem, Trainer

TENSOR = "tinygrad_edu Tensor"
VALUE = "tinygrad_edu Value"
NN = "tinygrad_edu nn.MLP"

_BOOK = dict(zip(PARAMS, ("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")))
_DIGITS = {"W1": "layers.0.weight", "b1": "layers.0.bias", "W2": "layers.1.weight", "b2": "layers.1.bias"}


def _mlp(sizes: list[int], activation: str, output: str, engine: str, init: dict[str, np.ndarray],
         names: dict[str, str]) -> Any:
    MLP = require("tinygrad_edu.nn.MLP")
    model = MLP(sizes, activation=activation, output_activation=output, engine=engine)
    model.load_state_dict({names[k]: v for k, v in init.items()})
    return model


def _params(model: Any, names: dict[str, str]) -> dict[str, np.ndarray]:
    state = model.state_dict()
    return {k: state[v] for k, v in names.items()}


# ------------------------------------------------------------ W1: (problem: BookProblem) -> Stepper


@register("W1", "tensor", TENSOR)
def w1_tensor(problem: BookProblem) -> Stepper:
    return tensor_stepper(require("tinygrad_edu.Tensor"), require("tinygrad_edu.no_grad"), problem)


@register("W1", "scalar", VALUE)
def w1_value(problem: BookProblem) -> Stepper:
    Value, topological_order = require("tinygrad_edu.Value"), require("tinygrad_edu.topological_order")
    stepper = scalar_stepper(Value, problem)
    stepper.notes.append(nodes_per_step(Value, problem, count=lambda cost: len(topological_order(cost))))
    return stepper


def _nn_stepper(problem: BookProblem, engine: str) -> Stepper:
    """The same network as `nn.MLP`, the cost ½ Σ (a − t)² in plain ops, `optim.SGD`."""
    SGD = require("tinygrad_edu.optim.SGD")
    output = "sigmoid" if problem.activation == "sigmoid" else "identity"
    model = _mlp([12, 3, 2], problem.activation, output, engine, problem.init, _BOOK)
    opt = SGD(model.parameters(), lr=problem.eta)
    if engine == "tensor":
        Tensor = require("tinygrad_edu.Tensor")
        X, T = Tensor(problem.X), Tensor(problem.T)

        def cost() -> Any:
            return 0.5 * ((T - model(X)) ** 2).sum()
    else:
        images = list(zip(problem.X.tolist(), problem.T.tolist()))

        def cost() -> Any:
            return 0.5 * sum((a - t_k) ** 2 for x, t in images for a, t_k in zip(model(x), t))

    def step() -> None:
        opt.zero_grad()
        cost().backward()
        opt.step()

    return Stepper(step, lambda: _params(model, _BOOK))


@register("W1", "tensor", NN)
def w1_nn_tensor(problem: BookProblem) -> Stepper:
    return _nn_stepper(problem, "tensor")


@register("W1", "scalar", NN)
def w1_nn_scalar(problem: BookProblem) -> Stepper:
    return _nn_stepper(problem, "scalar")


# ------------------------------------------------------------ W2: () -> Value class


@register("W2", "engine", VALUE)
def w2_value() -> type:
    return require("tinygrad_edu.Value")


# ------------------------------------------------------------ W3: (problem: DigitsProblem) -> Trainer


@register("W3", "mlp", TENSOR)
def w3_tensor(problem: DigitsProblem) -> Trainer:
    """The 64-128-10 MLP as `nn.MLP` on the tensor engine, softmax cross-entropy, `optim.Adam`."""
    Tensor = require("tinygrad_edu.Tensor")
    cross_entropy = require("tinygrad_edu.losses.softmax_cross_entropy")
    Adam = require("tinygrad_edu.optim.Adam")
    no_grad = require("tinygrad_edu.no_grad")
    model = _mlp([64, 128, 10], "relu", "identity", "tensor", problem.init, _DIGITS)
    opt = Adam(model.parameters(), lr=problem.lr, betas=problem.betas, eps=problem.eps)

    def train_epoch(batches: list[np.ndarray]) -> None:
        for idx in batches:
            opt.zero_grad()
            cross_entropy(model(Tensor(problem.X_train[idx])), problem.y_train[idx]).backward()
            opt.step()

    def predict(X: np.ndarray) -> np.ndarray:
        with no_grad():
            return model(Tensor(X)).data.argmax(axis=1)

    return Trainer(train_epoch, predict, lambda: _params(model, _DIGITS))


# ------------------------------------------------------------ W4: (op, inputs, backward) -> callable


@register("W4", "ops", TENSOR)
def w4_tensor(op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    """One op on Tensors; with `backward`, L = op(...).sum() and L.backward()."""
    from benchmarks.w4_ops import engine_op

    return engine_op(require("tinygrad_edu.Tensor"), op, inputs, backward)
