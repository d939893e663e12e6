"""The tinygrad_edu rows: the engine as its users run it (issue 6).

Every factory is registered under a name that starts with "tinygrad_edu"; the harness judges
those rows against the issue's targets.  They use the public API a reader of the book would use:
`nn.MLP` on either engine, `losses`, `optim`.  No benchmark-specific shortcuts: what makes the
engine fast (a unit's weighted input z = w·x + b as one node, a layer's Z = X Wᵀ + b as one
node, the cost C_T as one node) is what every user of `nn` gets.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from benchmarks.compat import require
from benchmarks.registry import register
from benchmarks.w1_book_network import BookProblem, Stepper
from benchmarks.w2_scalar_graphs import ScalarGraph, value_graph
from benchmarks.w3_digits_mlp import DigitsProblem, Trainer

TENSOR = "tinygrad_edu Tensor"
VALUE = "tinygrad_edu Value"

_BOOK = {"W2": "layers.0.weight", "b2": "layers.0.bias", "W3": "layers.1.weight",
         "b3": "layers.1.bias"}
_DIGITS = {"W1": "layers.0.weight", "b1": "layers.0.bias", "W2": "layers.1.weight",
           "b2": "layers.1.bias"}


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


def _book_stepper(problem: BookProblem, engine: str) -> Stepper:
    """One full-batch step of the 12-3-2 network: C_T = Σ_images ½ Σ_k (t_k − a_k)², SGD."""
    squared_error = require("tinygrad_edu.losses.squared_error")
    SGD = require("tinygrad_edu.optim.SGD")
    output = "sigmoid" if problem.activation == "sigmoid" else "identity"
    model = _mlp([12, 3, 2], problem.activation, output, engine, problem.init, _BOOK)
    opt = SGD(model.parameters(), lr=problem.eta)
    if engine == "tensor":
        X = require("tinygrad_edu.Tensor")(problem.X)
        T = problem.T

        def cost() -> Any:
            return squared_error(model(X), T)
    else:
        images = list(zip(problem.X.tolist(), problem.T.tolist()))

        def cost() -> Any:
            return sum(squared_error(model(x), t) for x, t in images)

    def step() -> None:
        opt.zero_grad()
        cost().backward()
        opt.step()

    return Stepper(step, lambda: _params(model, _BOOK))


@register("W1", "sigmoid", TENSOR)
def w1_tensor(problem: BookProblem) -> Stepper:
    return _book_stepper(problem, "tensor")


@register("W1", "sigmoid", VALUE)
def w1_value_sigmoid(problem: BookProblem) -> Stepper:
    return _book_stepper(problem, "scalar")


@register("W1", "relu", VALUE)
def w1_value(problem: BookProblem) -> Stepper:
    """The ReLU/linear variant (the ops micrograd has) on the scalar engine's `nn.MLP`."""
    return _book_stepper(problem, "scalar")


# ------------------------------------------------------------ W2: (shape: str, n: int) -> ScalarGraph


@register("W2", "graphs", VALUE)
def w2_value(shape: str, n: int) -> ScalarGraph:
    """The chain and the fan-out on the scalar engine: the very code micrograd runs."""
    return value_graph(require("tinygrad_edu.Value"), shape, n)


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
    Tensor = require("tinygrad_edu.Tensor")
    fn: Callable[..., Any] = {
        "add": lambda a, b: a + b,
        "mul": lambda a, b: a * b,
        "exp": lambda a: a.exp(),
        "sum": lambda a: a.sum(),
        "matmul": lambda a, b: a @ b,
    }[op]
    ts = [Tensor(x, requires_grad=backward) for x in inputs]
    if not backward:
        return lambda: fn(*ts)

    def forward_backward() -> tuple[Any, ...]:
        for t in ts:
            t.grad = None
        fn(*ts).sum().backward()
        return tuple(t.grad for t in ts)

    return forward_backward
