"""W1: one full-batch gradient-descent step of the book's 12-3-2 network (§1-5, §3-5, §4-4).

The 64 images of Appendix A, targets one-hot (t1 = 1 for a "0"), cost
C_T = Σ_images ½ Σ_k (t_k − a_k)², the §4-4 initial weights, learning rate η = 0.2 (§4-4).
One step = forward over all 64 images, backward to the 47 parameters, update w ← w − η ∂C_T/∂w.

Two variants (cases):
- "sigmoid": the book's network, sigmoid hidden and output units; tensor engines.
- "relu": ReLU hidden units and linear outputs, because micrograd has no sigmoid; scalar engines
  (micrograd builds a graph of about 9,000 Value nodes per step) and the numpy δ method.

Plug-in signature: a factory `(problem: BookProblem) -> Stepper`, registered with
`@register("W1", "sigmoid" | "relu", name)`. Before timing, the harness runs ONE step and checks
that `params()` equals the numpy δ method's result (to 1e-9), so a factory must start from
`problem.init` and use `problem.eta`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from benchmarks.compat import require
from benchmarks.data import book_digits_4x3, book_initial_params
from benchmarks.harness import Budget, Result
from benchmarks.registry import Case, register
from benchmarks.runner import run_timed_case

NUMPY = "numpy (δ method)"
CASES = (
    Case("W1", "sigmoid", "12-3-2 sigmoid, 64 images, 1 GD step", (NUMPY,),
         target="<= 3x numpy", target_ratio=3.0, target_impl="tinygrad_edu Tensor"),
    Case("W1", "relu", "12-3-2 ReLU/linear, 64 images, 1 GD step", ("micrograd", NUMPY),
         target="<= 0.2x micrograd, less peak memory, max/med <= 2", target_ratio=0.2,
         target_impl="tinygrad_edu Value"),
)
ETA = {"sigmoid": 0.2, "relu": 0.01}  # 0.2 is the book's; the linear outputs need a smaller step


@dataclass
class BookProblem:
    """What every W1 implementation receives (float64 numpy arrays, copies it may keep)."""

    X: np.ndarray  # (64, 12) pixels 0/1, image No. n in row n-1
    T: np.ndarray  # (64, 2) one-hot targets
    init: dict[str, np.ndarray]  # W2 (3, 12), b2 (3,), W3 (2, 3), b3 (2,): the book's layout
    eta: float
    activation: str  # "sigmoid" or "relu"


@dataclass
class Stepper:
    """What a W1 factory returns: `step()` does one full GD step in place; `params()` returns the
    current W2, b2, W3, b3 as numpy arrays in the book's layout (only called outside timing)."""

    step: Callable[[], Any]
    params: Callable[[], dict[str, np.ndarray]]
    notes: list[str] = field(default_factory=list)


def book_problem(activation: str = "sigmoid") -> BookProblem:
    X, T = book_digits_4x3()
    return BookProblem(X, T, book_initial_params(), ETA[activation], activation)


# ------------------------------------------------------------ the book's δ method in numpy


def sigmoid(z: np.ndarray) -> np.ndarray:
    """§1-3: σ(z) = 1 / (1 + e^(−z))."""
    return 1.0 / (1.0 + np.exp(-z))


def forward(params: dict[str, np.ndarray], X: np.ndarray, activation: str) -> tuple[np.ndarray, ...]:
    """Weighted inputs and activations of all 64 images at once: z2, a2, z3, a3 (§1-4)."""
    z2 = X @ params["W2"].T + params["b2"]
    a2 = sigmoid(z2) if activation == "sigmoid" else np.maximum(z2, 0.0)
    z3 = a2 @ params["W3"].T + params["b3"]
    a3 = sigmoid(z3) if activation == "sigmoid" else z3
    return z2, a2, z3, a3


def cost(params: dict[str, np.ndarray], X: np.ndarray, T: np.ndarray, activation: str) -> float:
    """§1-7: C_T = Σ_images ½ Σ_k (t_k − a_k)²."""
    a3 = forward(params, X, activation)[3]
    return float(0.5 * np.sum((T - a3) ** 2))


def gradients(params: dict[str, np.ndarray], X: np.ndarray, T: np.ndarray, activation: str) -> dict[str, np.ndarray]:
    """§4-3, §4-4: the unit errors δ, vectorised over the images, and ∂C_T/∂(W2, b2, W3, b3).

    Output layer δ3 = (a3 − t) a′(z3); hidden layer δ2 = (δ3 W3) ⊙ a′(z2);
    ∂C_T/∂W = Σ_images δ ⊗ a(previous layer), ∂C_T/∂b = Σ_images δ.
    """
    z2, a2, z3, a3 = forward(params, X, activation)
    if activation == "sigmoid":
        delta3 = (a3 - T) * a3 * (1.0 - a3)
        delta2 = (delta3 @ params["W3"]) * a2 * (1.0 - a2)
    else:
        delta3 = a3 - T
        delta2 = (delta3 @ params["W3"]) * (z2 > 0.0)
    return {
        "W2": delta2.T @ X,
        "b2": delta2.sum(axis=0),
        "W3": delta3.T @ a2,
        "b3": delta3.sum(axis=0),
    }


def numpy_step(params: dict[str, np.ndarray], problem: BookProblem) -> None:
    """One GD step in place (§2-11): w ← w − η ∂C_T/∂w."""
    grads = gradients(params, problem.X, problem.T, problem.activation)
    for name, g in grads.items():
        params[name] -= problem.eta * g


def expected_after_one_step(problem: BookProblem) -> dict[str, np.ndarray]:
    params = {k: v.copy() for k, v in problem.init.items()}
    numpy_step(params, problem)
    return params


@register("W1", "sigmoid", NUMPY)
@register("W1", "relu", NUMPY)
def numpy_stepper(problem: BookProblem) -> Stepper:
    """The hand-written reference: the limit for an engine built on numpy."""
    params = {k: v.copy() for k, v in problem.init.items()}
    return Stepper(lambda: numpy_step(params, problem), lambda: {k: v.copy() for k, v in params.items()})


# ------------------------------------------------------------ PyTorch (CPU, float64)


@register("W1", "sigmoid", "torch")
def torch_stepper(problem: BookProblem) -> Stepper:
    """PyTorch's autograd with the update written by hand under no_grad, as for every other
    implementation (torch.optim.SGD would add about as much again on this tiny network)."""
    torch = require("torch")
    F = torch.nn.functional
    X = torch.from_numpy(problem.X)
    T = torch.from_numpy(problem.T)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in problem.init.items()}
    eta = problem.eta

    def step() -> None:
        a2 = torch.sigmoid(F.linear(X, p["W2"], p["b2"]))
        a3 = torch.sigmoid(F.linear(a2, p["W3"], p["b3"]))
        c_t = 0.5 * ((T - a3) ** 2).sum()
        for v in p.values():
            v.grad = None
        c_t.backward()
        with torch.no_grad():
            for v in p.values():
                v -= eta * v.grad

    return Stepper(step, lambda: {k: v.detach().numpy().copy() for k, v in p.items()})


# ------------------------------------------------------------ DeZero 0.0.13


@register("W1", "sigmoid", "dezero")
def dezero_stepper(problem: BookProblem) -> Stepper:
    """DeZero (Deep Learning from Scratch 3): F.linear takes W as (in, out), so we keep W.T."""
    require("dezero")
    F = require("dezero.functions")
    Variable = require("dezero").Variable
    X, T = problem.X, problem.T
    p = {k: Variable(v.T.copy() if k.startswith("W") else v.copy()) for k, v in problem.init.items()}

    def step() -> None:
        a2 = F.sigmoid(F.linear(X, p["W2"], p["b2"]))
        a3 = F.sigmoid(F.linear(a2, p["W3"], p["b3"]))
        c_t = F.sum((a3 - T) ** 2) * 0.5
        for v in p.values():
            v.cleargrad()
        c_t.backward()
        for v in p.values():
            v.data -= problem.eta * v.grad.data

    def params() -> dict[str, np.ndarray]:
        return {k: (v.data.T if k.startswith("W") else v.data).copy() for k, v in p.items()}

    return Stepper(step, params)


# ------------------------------------------------------------ scalar engines (micrograd API)


def scalar_cost_graph(Value: type, W2: list, b2: list, W3: list, b3: list,
                      X: list[list[float]], T: list[list[float]]) -> Any:
    """C_T of the ReLU/linear variant as a graph of scalar Values, written as a user of a
    micrograd-like engine writes it: z = b + Σ_j w_j x_j unit by unit, image by image.
    Needs only Value + Value, Value * float, Value - float, Value ** 2, Value.relu()."""
    c_t = Value(0.0)
    for x, t in zip(X, T):
        a2 = []
        for w_row, b in zip(W2, b2):
            z = b
            for w, x_j in zip(w_row, x):
                z = z + w * x_j
            a2.append(z.relu())
        for w_row, b, t_k in zip(W3, b3, t):
            z = b
            for w, a_j in zip(w_row, a2):
                z = z + w * a_j
            c_t = c_t + (z - t_k) ** 2 * 0.5
    return c_t


def scalar_stepper(Value: type, problem: BookProblem) -> Stepper:
    """A W1 "relu" stepper for any engine with micrograd's API: Value(float), .data, .grad
    (a float that backward() accumulates into and we reset to 0), .backward() on the cost."""
    if problem.activation != "relu":
        raise NotImplementedError("the scalar W1 workload is the ReLU/linear variant")
    init = problem.init
    W2 = [[Value(float(w)) for w in row] for row in init["W2"]]
    b2 = [Value(float(b)) for b in init["b2"]]
    W3 = [[Value(float(w)) for w in row] for row in init["W3"]]
    b3 = [Value(float(b)) for b in init["b3"]]
    flat = [w for row in W2 for w in row] + b2 + [w for row in W3 for w in row] + b3
    X, T = problem.X.tolist(), problem.T.tolist()
    eta = problem.eta

    def step() -> None:
        c_t = scalar_cost_graph(Value, W2, b2, W3, b3, X, T)
        for p in flat:
            p.grad = 0.0
        c_t.backward()
        for p in flat:
            p.data -= eta * p.grad

    def params() -> dict[str, np.ndarray]:
        return {
            "W2": np.array([[w.data for w in row] for row in W2]),
            "b2": np.array([b.data for b in b2]),
            "W3": np.array([[w.data for w in row] for row in W3]),
            "b3": np.array([b.data for b in b3]),
        }

    return Stepper(step, params)


def count_micrograd_nodes(root: Any) -> int:
    """Values reachable from `root` through micrograd's `_prev` sets (iteratively)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


@register("W1", "relu", "micrograd")
def micrograd_stepper(problem: BookProblem) -> Stepper:
    Value = require("micrograd.engine").Value
    stepper = scalar_stepper(Value, problem)
    init = problem.init
    graph = scalar_cost_graph(  # a throw-away graph, only to count its nodes
        Value,
        [[Value(float(w)) for w in row] for row in init["W2"]], [Value(float(b)) for b in init["b2"]],
        [[Value(float(w)) for w in row] for row in init["W3"]], [Value(float(b)) for b in init["b3"]],
        problem.X.tolist(), problem.T.tolist(),
    )
    stepper.notes.append(f"{count_micrograd_nodes(graph):,} nodes/step")
    return stepper


# ------------------------------------------------------------ running the cases


def check_one_step(stepper: Stepper, problem: BookProblem) -> list[str]:
    """Run one step and compare the parameters with the numpy δ method's (AssertionError if not)."""
    expected = expected_after_one_step(problem)
    stepper.step()
    got = stepper.params()
    for name, want in expected.items():
        diff = float(np.max(np.abs(np.asarray(got[name], dtype=np.float64) - want)))
        assert diff <= 1e-9, f"{name} after one step differs from the δ method by {diff:.3g}"
    return list(stepper.notes)


def run(budget: Budget) -> list[Result]:
    rows: list[Result] = []
    for case in CASES:
        problem = book_problem(case.key)
        rows += run_timed_case(
            case,
            budget,
            build=lambda entry: entry.factory(book_problem(case.key)),
            check=lambda stepper: check_one_step(stepper, problem),
            call=lambda stepper: stepper.step,
            min_repeat_s=budget.step_repeat_s,
        )
    scalar_verdicts(rows)
    return rows


def scalar_verdicts(rows: list[Result]) -> None:
    """The scalar target has three parts: 5x faster than micrograd (median ratio, done by the
    runner, and mean ratio), peak memory below micrograd's, slowest repeat within 2x of median."""
    micrograd = next((r for r in rows if r.impl == "micrograd" and r.status == "ok"), None)
    for row in rows:
        if row.case != CASES[1].title or not row.impl.startswith("tinygrad_edu") or row.meets_target is None:
            continue
        steady = row.steadiness is not None and row.steadiness <= 2.0
        lighter = micrograd is None or (
            row.peak_bytes is not None and micrograd.peak_bytes is not None and row.peak_bytes < micrograd.peak_bytes
        )
        by_mean = micrograd is None or (
            row.mean_s is not None and micrograd.mean_s is not None and row.mean_s <= 0.2 * micrograd.mean_s
        )  # micrograd's steps alternate fast/slow with gc: its median alone is a fragile yardstick
        if not by_mean:
            row.notes.append("mean not <= 0.2x micrograd's")
        if not steady:
            row.notes.append("max/med above 2")
        if not lighter:
            row.notes.append("peak memory not below micrograd's")
        row.meets_target = row.meets_target and by_mean and steady and lighter
