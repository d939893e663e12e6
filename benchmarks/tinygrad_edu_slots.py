"""The tinygrad_edu rows: where the engine plugs into the benchmarks (issue 6).

Every factory here is registered under a name that starts with "tinygrad_edu"; the harness
judges those rows against the issue's targets. While `tinygrad_edu.Tensor` / `tinygrad_edu.Value`
are not importable, `require` raises `Unavailable` and the row is skipped with that note.

The bodies are DRAFTS written against the API the engine is expected to have (listed below).
Before anything is timed, the harness compares each result with the numpy reference, so a draft
that does not fit the engine shows up as an "error" row naming the exception and line, never as
a wrong figure. Adapt the bodies here when the engine's API differs; keep the signatures.

Assumed API:
  Tensor(array, requires_grad=False); t.data is the numpy array (updated in place by the
  optimiser); t.grad is a numpy array or a Tensor, None before backward; t.grad = None clears it;
  +, -, * (Tensor or number, numpy broadcasting), ** number, @ (2-D), .exp(), .log(),
  .relu(), .sigmoid(), .sum() and .sum(axis=1, keepdims=True); .backward() on a 0-d result.
  Value(float); v.data and v.grad are floats, v.grad = 0.0 clears it; +, -, * with Values or
  numbers, ** number, .relu(); .backward() on the root (iterative: no recursion limit).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from benchmarks.compat import require
from benchmarks.registry import register
from benchmarks.w1_book_network import BookProblem, Stepper, scalar_stepper
from benchmarks.w2_scalar_graphs import ScalarGraph, value_graph
from benchmarks.w3_digits_mlp import DigitsProblem, NumpyAdam, Trainer

TENSOR = "tinygrad_edu Tensor"
VALUE = "tinygrad_edu Value"


def grad_array(t: Any) -> np.ndarray:
    """A tensor's gradient as a numpy array, whether the engine stores an array or a Tensor."""
    g = t.grad
    return g if isinstance(g, np.ndarray) else np.asarray(g.data)


# ------------------------------------------------------------ W1: (problem: BookProblem) -> Stepper


@register("W1", "sigmoid", TENSOR)
def w1_tensor(problem: BookProblem) -> Stepper:
    """The book's 12-3-2 sigmoid network on the Tensor engine; weights kept as (in, out) so the
    forward needs no transpose: a2 = σ(X W2ᵀ + b2), a3 = σ(a2 W3ᵀ + b3), C_T = ½ Σ (a3 − t)²."""
    Tensor = require("tinygrad_edu.Tensor")
    X, T = Tensor(problem.X), Tensor(problem.T)
    p = {k: Tensor(v.T.copy() if k.startswith("W") else v.copy(), requires_grad=True) for k, v in problem.init.items()}
    eta = problem.eta

    def step() -> None:
        a2 = (X @ p["W2"] + p["b2"]).sigmoid()
        a3 = (a2 @ p["W3"] + p["b3"]).sigmoid()
        c_t = ((a3 - T) ** 2).sum() * 0.5
        for v in p.values():
            v.grad = None
        c_t.backward()
        for v in p.values():
            v.data -= eta * grad_array(v)

    def params() -> dict[str, np.ndarray]:
        return {k: np.array(v.data.T if k.startswith("W") else v.data) for k, v in p.items()}

    return Stepper(step, params)


@register("W1", "relu", VALUE)
def w1_value(problem: BookProblem) -> Stepper:
    """The ReLU/linear variant on the scalar engine: the very code micrograd runs."""
    return scalar_stepper(require("tinygrad_edu.Value"), problem)


# ------------------------------------------------------------ W2: (shape: str, n: int) -> ScalarGraph


@register("W2", "graphs", VALUE)
def w2_value(shape: str, n: int) -> ScalarGraph:
    """The chain and the fan-out on the scalar engine: the very code micrograd runs."""
    return value_graph(require("tinygrad_edu.Value"), shape, n)


# ------------------------------------------------------------ W3: (problem: DigitsProblem) -> Trainer


@register("W3", "mlp", TENSOR)
def w3_tensor(problem: DigitsProblem) -> Trainer:
    """The MLP on the Tensor engine, weights kept as (in, out) so the forward needs no
    transpose. Adam is the numpy one of the reference, applied to the tensors' arrays in place
    (swap in tinygrad_edu's optimiser when it has one)."""
    Tensor = require("tinygrad_edu.Tensor")
    p = {k: Tensor(v.T.copy() if k.startswith("W") else v.copy(), requires_grad=True) for k, v in problem.init.items()}
    adam = NumpyAdam({k: v.data for k, v in p.items()}, problem.lr, problem.betas, problem.eps)
    Y = np.eye(10)[problem.y_train]

    def logits(x: Any) -> Any:
        a1 = (x @ p["W1"] + p["b1"]).relu()
        return a1 @ p["W2"] + p["b2"]

    def train_epoch(batches: list[np.ndarray]) -> None:
        for idx in batches:
            z = logits(Tensor(problem.X_train[idx]))
            shifted = z - Tensor(z.data.max(axis=1, keepdims=True))  # a constant: no gradient
            log_softmax = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
            loss = (Tensor(Y[idx]) * log_softmax).sum() * (-1.0 / len(idx))
            for v in p.values():
                v.grad = None
            loss.backward()
            adam.step({k: grad_array(v) for k, v in p.items()})

    def predict(X: np.ndarray) -> np.ndarray:
        return np.asarray(logits(Tensor(X)).data).argmax(axis=1)

    def params() -> dict[str, np.ndarray]:
        return {k: np.array(v.data.T if k.startswith("W") else v.data) for k, v in p.items()}

    return Trainer(train_epoch, predict, params)


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
