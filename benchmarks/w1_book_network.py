"""W1: one full-batch gradient-descent step of the book's 12-3-2 network (§1-5, §3-5, §4-4).

The 64 images of Appendix A and the §4-4 initial weights, from `tinygrad_edu.datasets`; targets
one-hot (t1 = 1 for a "0"), cost C_T = ½ Σ_images Σ_k (t_k − a_k)². One step = forward over all
64 images, backward to the 47 parameters, update w ← w − η ∂C_T/∂w. Two cases:

- "tensor": the book's network (sigmoid hidden and output units, η = 0.2), written with plain
  public ops exactly as a reader of the README writes it (`tensor_step`): the same code runs on
  tinygrad_edu, on the minimal engine and on PyTorch, beside the numpy δ method written by hand.
  Figure: the median step (harness.time_calls); judged: the step over the floor's and PyTorch's
  over it, each clocked in paired blocks (harness.paired_ratio).
- "scalar": ReLU hidden units and linear outputs (η = 0.01), because that is what micrograd can
  express, written as micrograd's users write it (`scalar_cost`): z = b, then z = z + w * x for
  each input (pixels are plain floats), a = z.relu(). Against micrograd. Figure: the MEAN step,
  with the garbage collector off and on (harness.time_steps), in a process that never imported
  torch (benchmarks/scalar_process.py), whose objects would make every full collection slower.
  The speed-up with the collector off, a narrow target, is judged on mean steps clocked in
  paired blocks beside micrograd's (harness.paired_ratio): the sequential means of two runs a
  minute apart gave 1.02x and 1.81x.

Plug-in signature, both cases: a factory `(problem: BookProblem) -> Stepper`, registered with
`@register("W1", "tensor" | "scalar", name)`. Before timing, the harness runs ONE step and checks
that `params()` equals the numpy δ method's result (to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import numpy as np

from benchmarks import minimal_engine
from benchmarks.compat import as_numpy, require
from benchmarks.harness import (Budget, Result, Started, Table, fmt_ratio, fmt_time, paired_ratio, ratio_column,
                                row_of, time_steps)
from benchmarks.registry import register
from benchmarks.runner import run_entries, timed

NUMPY = "numpy (δ method, by hand)"
FLOOR = "minimal engine (floor)"  # benchmarks/minimal_engine.py: a reference, not part of the package
TENSOR = "tinygrad_edu Tensor"
VALUE = "tinygrad_edu Value"
FLOOR_LIMIT = 1.8  # the tensor step over the floor's (paired rounds)
TORCH_SPEEDUP = 1.5  # PyTorch's step over the tensor step's (paired rounds)
SPEEDUP_GC_OFF, SPEEDUP_GC_ON = 0.75, 3.0  # micrograd's mean step over the scalar engine's
ETA = {"tensor": 0.2, "scalar": 0.01}  # 0.2 is the book's; the linear outputs need a smaller step
PARAMS = ("W2", "b2", "W3", "b3")


@dataclass
class BookProblem:
    """What every W1 implementation receives (float64 numpy arrays, copies it may keep)."""

    X: np.ndarray  # (64, 12) pixels 0/1, image No. n in row n-1
    T: np.ndarray  # (64, 2) one-hot targets
    init: dict[str, np.ndarray]  # W2 (3, 12), b2 (3,), W3 (2, 3), b3 (2,): the book's layout
    eta: float
    activation: str  # "sigmoid" (case "tensor") or "relu" (case "scalar")


@dataclass
class Stepper:
    """What a W1 factory returns: `step()` does one full GD step in place; `params()` returns the
    current W2, b2, W3, b3 as numpy arrays in the book's layout (only called outside timing)."""

    step: Callable[[], Any]
    params: Callable[[], dict[str, np.ndarray]]
    notes: list[str] = field(default_factory=list)


def book_problem(case: str = "tensor") -> BookProblem:
    datasets = require("tinygrad_edu.datasets")
    X, T = datasets.book_digits_4x3(one_hot=True)
    return BookProblem(X, T, datasets.book_nn_params("4-4-initial"), ETA[case],
                       "sigmoid" if case == "tensor" else "relu")


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


@register("W1", "tensor", NUMPY)
def numpy_stepper(problem: BookProblem) -> Stepper:
    """The hand-written reference: the limit for an engine built on numpy."""
    params = {k: v.copy() for k, v in problem.init.items()}
    return Stepper(lambda: numpy_step(params, problem), lambda: {k: v.copy() for k, v in params.items()})


# ------------------------------------------------------------ the tensor step as a user writes it


def tensor_step(X: Any, T: Any, params: list[Any], lr: float, no_grad: Callable[[], Any]) -> None:
    """One step of the book's network in plain public ops, as the README writes it; the same
    code for tinygrad_edu, the minimal engine and PyTorch."""
    W2, b2, W3, b3 = params
    A2 = (X @ W2.T + b2).sigmoid()
    A3 = (A2 @ W3.T + b3).sigmoid()
    C_T = 0.5 * ((T - A3) ** 2).sum()
    C_T.backward()
    with no_grad():
        for p in params:
            p.data -= lr * p.grad
            p.grad = None


def tensor_stepper(Tensor: Callable[..., Any], no_grad: Callable[[], Any], problem: BookProblem) -> Stepper:
    """A "tensor" stepper for any engine whose Tensor(array, requires_grad=...) runs `tensor_step`."""
    X, T = Tensor(problem.X.copy()), Tensor(problem.T.copy())
    params = [Tensor(problem.init[k].copy(), requires_grad=True) for k in PARAMS]
    return Stepper(lambda: tensor_step(X, T, params, problem.eta, no_grad),
                   lambda: {k: as_numpy(p).copy() for k, p in zip(PARAMS, params)})


@register("W1", "tensor", FLOOR)
def floor_tensor_stepper(problem: BookProblem) -> Stepper:
    return tensor_stepper(minimal_engine.Tensor, minimal_engine.no_grad, problem)


@register("W1", "tensor", "torch")
def torch_stepper(problem: BookProblem) -> Stepper:
    """PyTorch's autograd on the CPU in float64, as many threads as `--threads` allows (1 by
    default), running the very same `tensor_step`."""
    torch = require("torch")
    stepper = tensor_stepper(torch.tensor, torch.no_grad, problem)
    stepper.notes.append(f"{torch.get_num_threads()} thread(s)")
    return stepper


@register("W1", "tensor", "dezero")
def dezero_stepper(problem: BookProblem) -> Stepper:
    """DeZero (Deep Learning from Scratch 3) in its own idiom: F.linear takes W as (in, out)."""
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


# ------------------------------------------------------------ the scalar step as a user writes it


def weighted_input(ws: list[Any], b: Any, xs: list[Any]) -> Any:
    """z = b + Σ_j w_j x_j, one multiplication and one addition at a time (§1-3)."""
    z = b
    for w, x in zip(ws, xs):
        z = z + w * x
    return z


def scalar_cost(W2: list, b2: list, W3: list, b3: list, X: list[list[float]], T: list[list[float]]) -> Any:
    """C_T of the ReLU/linear network as a graph of scalar Values, micrograd-style; needs only
    Value + Value, Value * float, Value - float, Value ** 2, Value.relu() and 0.5 * Value."""
    errors = []
    for x, t in zip(X, T):
        a2 = [weighted_input(ws, b, x).relu() for ws, b in zip(W2, b2)]
        a3 = [weighted_input(ws, b, a2) for ws, b in zip(W3, b3)]
        errors += [(a - t_k) ** 2 for a, t_k in zip(a3, t)]
    return 0.5 * sum(errors)


def scalar_stepper(Value: type, problem: BookProblem) -> Stepper:
    """A "scalar" stepper for any engine with micrograd's API: Value(float), .data, .grad (a
    float that backward() accumulates into; the update resets it to 0), .backward()."""
    W2, b2, W3, b3 = ([[Value(float(w)) for w in row] for row in problem.init[k]] if k.startswith("W")
                      else [Value(float(b)) for b in problem.init[k]] for k in PARAMS)
    flat = [w for row in W2 for w in row] + b2 + [w for row in W3 for w in row] + b3
    X, T = problem.X.tolist(), problem.T.tolist()
    eta = problem.eta

    def step() -> None:
        C_T = scalar_cost(W2, b2, W3, b3, X, T)
        C_T.backward()
        for p in flat:
            p.data -= eta * p.grad
            p.grad = 0.0

    def params() -> dict[str, np.ndarray]:
        return {"W2": np.array([[w.data for w in row] for row in W2]), "b2": np.array([b.data for b in b2]),
                "W3": np.array([[w.data for w in row] for row in W3]), "b3": np.array([b.data for b in b3])}

    return Stepper(step, params)


def count_nodes(root: Any, parents: Callable[[Any], Any]) -> int:
    """Nodes reachable from `root` through `parents(node)` (iteratively; None entries skipped)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in parents(stack.pop()):
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def nodes_per_step(Value: type, problem: BookProblem, parents: Callable[[Any], Any] | None = None,
                   count: Callable[[Any], int] | None = None) -> str:
    """A note: how many nodes one step's graph holds in this engine, counted by following
    `parents` from the cost, or by the engine's own `count(cost)`."""
    init = problem.init
    W2, b2, W3, b3 = ([[Value(float(w)) for w in row] for row in init[k]] if k.startswith("W")
                      else [Value(float(b)) for b in init[k]] for k in PARAMS)
    root = scalar_cost(W2, b2, W3, b3, problem.X.tolist(), problem.T.tolist())
    nodes = count(root) if count is not None else count_nodes(root, parents or (lambda v: ()))
    return f"{nodes:,} nodes/step"


@register("W1", "scalar", FLOOR)
def floor_scalar_stepper(problem: BookProblem) -> Stepper:
    stepper = scalar_stepper(minimal_engine.Value, problem)
    stepper.notes.append(nodes_per_step(minimal_engine.Value, problem, lambda v: v._prev))
    return stepper


@register("W1", "scalar", "micrograd")
def micrograd_stepper(problem: BookProblem) -> Stepper:
    Value = require("micrograd.engine").Value
    stepper = scalar_stepper(Value, problem)
    stepper.notes.append(nodes_per_step(Value, problem, lambda v: v._prev))
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


def run_tensor(budget: Budget) -> Table:
    """The tensor case: every implementation's median step, over numpy's and the floor's; the
    judged ratios (over the floor, PyTorch's over ours) from paired rounds."""
    started = Started()
    problem = book_problem("tensor")
    built: dict[str, Stepper] = {}
    rows = run_entries("W1", "tensor", "", build=lambda entry: entry.factory(book_problem("tensor")),
                       check=lambda stepper: check_one_step(stepper, problem),
                       measure=timed(budget, lambda stepper: stepper.step, min_repeat_s=budget.step_repeat_s),
                       keep=built)
    ratio_column(rows, "median_s", NUMPY, "x numpy")
    ratio_column(rows, "median_s", FLOOR, "x floor")
    ours = row_of(rows, TENSOR)
    if ours is None or ours.status != "ok":
        return _tensor_table(started, rows)
    if FLOOR in built:
        x = paired_ratio(built[TENSOR].step, built[FLOOR].step, budget.paired_rounds,
                         budget.paired_block_s).fill(ours, "x floor", "x floor")
        ours.judge(f"<= {FLOOR_LIMIT}x floor", x <= FLOOR_LIMIT, f"{x:.3f}x")
    if "torch" in built:
        speedup = paired_ratio(built["torch"].step, built[TENSOR].step, budget.paired_rounds,
                               budget.paired_block_s).fill(ours, "torch / this", "torch / this")
        ours.judge(f">= {TORCH_SPEEDUP}x faster than torch", speedup >= TORCH_SPEEDUP, f"{speedup:.3f}x")
    return _tensor_table(started, rows)


def _tensor_table(started: Started, rows: list[Result]) -> Table:
    return Table.done(started, "W1 tensor", "the book's 12-3-2 network, sigmoid, 64 images: one full-batch GD "
                      "step (median of repeats)",
                      ["median", "mean", "max/med", "peak mem", "x numpy", "x floor", "torch / this"], rows)


def run_scalar(budget: Budget) -> list[Table]:
    """The scalar case, collector off and on: every implementation's MEAN step, micrograd's mean
    over it (the speed-up) and it over the floor's."""
    problem = book_problem("scalar")
    tables = []
    for collector_on in (False, True):
        started = Started()
        mode = "on" if collector_on else "off"

        def measure(entry: Any, stepper: Stepper, row: Result) -> None:
            timing = time_steps(stepper.step, budget.scalar_step_s, collector_on)
            row.figures.update(mean_s=timing.mean, median_s=timing.median, max_s=timing.max, calls=len(timing.per_call))
            row.cells.update({"mean": fmt_time(timing.mean), "median": fmt_time(timing.median),
                              "max/med": f"{timing.steadiness:.2f}", "steps": str(len(timing.per_call))})

        built: dict[str, Stepper] = {}
        rows = run_entries("W1", "scalar", "", build=lambda entry: entry.factory(book_problem("scalar")),
                           check=lambda stepper: check_one_step(stepper, problem), measure=measure,
                           keep=built)
        micrograd = row_of(rows, "micrograd")
        for row in rows:
            if row.status == "ok" and micrograd is not None:
                row.figures["speed-up"] = micrograd.figures["mean_s"] / row.figures["mean_s"]
                row.cells["micrograd / this"] = fmt_ratio(row.figures["speed-up"])
        ratio_column(rows, "mean_s", FLOOR, "x floor")
        ours = row_of(rows, VALUE)
        if not collector_on and ours is not None and ours.status == "ok" and "micrograd" in built:
            # the narrow target: judged on mean steps clocked in paired blocks (harness.paired_ratio)
            paired_ratio(built["micrograd"].step, built[VALUE].step, budget.paired_rounds,
                         budget.paired_block_s * 4, collector_on=False).fill(
                ours, "speed-up", "micrograd / this", "paired rounds of mean steps")
        if ours is not None and micrograd is not None:
            speedup = ours.figures["speed-up"]
            if collector_on:
                ours.judge(f">= {SPEEDUP_GC_ON}x faster than micrograd (mean)", speedup >= SPEEDUP_GC_ON,
                           f"{speedup:.3f}x")
            else:
                ours.judge(f">= {SPEEDUP_GC_OFF}x micrograd's speed (mean)", speedup >= SPEEDUP_GC_OFF,
                           f"{speedup:.3f}x")
        tables.append(Table.done(started, f"W1 scalar, GC {mode}",
                                 f"12-3-2 ReLU/linear, 64 images, one full-batch GD step, micrograd-style code, "
                                 f"garbage collector {mode.upper()} (mean step)",
                                 ["mean", "median", "max/med", "steps", "micrograd / this", "x floor"], rows))
    return tables

