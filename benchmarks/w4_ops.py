"""W4: single ops, per-op overhead on tiny arrays and throughput on large ones.

Ops: add (a + b), mul (a * b), exp (e^a), sum (Σ a), matmul (a @ b); float64 inputs drawn from a
standard normal (seed 0). Sizes: "tiny" is shape (3,), except matmul, which takes (3, 3) @ (3, 3);
"large" is (1000, 1000) for all. Modes:
- "forward": the op alone;
- "fwd+bwd": L = op(inputs).sum(), then ∂L/∂(each input). The numpy reference writes that
  backward by hand (add: ones, and a copy for the second input, since no engine may give two
  leaves one gradient array; mul: b and a; exp: e^a; sum: ones; matmul: 1 b^T and a^T 1).

tinygrad_edu, the minimal engine and PyTorch run the same code (`engine_op`); the figure is the
median (harness.time_calls). Target: within 1.2x of numpy on the large arrays.

Plug-in signature: a factory `(op: str, inputs: tuple[np.ndarray, ...], backward: bool) ->
Callable[[], Any]`, registered with `@register("W4", "ops", name)`. The callable runs the op once
(plus the backward if `backward`) and returns the forward result, or with `backward` the tuple of
input gradients; anything np.asarray() understands (the harness compares it with numpy's before
timing). The factory does its conversions (numpy -> engine) outside the callable; it may raise
NotImplementedError for an op it does not have.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from benchmarks import minimal_engine
from benchmarks.compat import as_numpy, require
from benchmarks.harness import Budget, Result, Started, Table, paired_ratio, ratio_column
from benchmarks.registry import register
from benchmarks.runner import run_entries, timed

NUMPY = "numpy"
FLOOR = "minimal engine (floor)"
TENSOR = "tinygrad_edu Tensor"
OPS = ("add", "mul", "exp", "sum", "matmul")
ARITY = {"add": 2, "mul": 2, "exp": 1, "sum": 1, "matmul": 2}
SIZES = ("tiny", "large")
MODES = ("forward", "fwd+bwd")
LARGE_TARGET = 1.2


def inputs_for(op: str, size: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    if size == "large":
        shape: tuple[int, ...] = (1000, 1000)
    else:
        shape = (3, 3) if op == "matmul" else (3,)
    return tuple(rng.standard_normal(shape) for _ in range(ARITY[op]))


def case_title(op: str, size: str, mode: str) -> str:
    shape = "1000x1000" if size == "large" else ("(3,3)@(3,3)" if op == "matmul" else "(3,)")
    return f"{op} {shape}: {mode}"


def numpy_forward(op: str, inputs: tuple[np.ndarray, ...]) -> Any:
    a = inputs[0]
    if op == "add":
        return a + inputs[1]
    if op == "mul":
        return a * inputs[1]
    if op == "exp":
        return np.exp(a)
    if op == "sum":
        return a.sum()
    if op == "matmul":
        return a @ inputs[1]
    raise NotImplementedError(op)


def numpy_forward_backward(op: str, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """L = op(inputs).sum(); returns ∂L/∂inputs, written by hand."""
    a = inputs[0]
    out = numpy_forward(op, inputs)
    out.sum()  # L itself, as an engine would compute it
    g = np.ones_like(out)  # ∂L/∂out
    if op == "add":  # both inputs receive ∂L/∂out, each in an array of its own: an engine may
        return g, g.copy()  # not hand two leaves one .grad (docs/guarantees.md), so neither does this
    if op == "mul":
        return g * inputs[1], g * a
    if op == "exp":
        return (g * out,)
    if op == "sum":
        return (np.broadcast_to(g, a.shape).copy(),)
    if op == "matmul":
        return g @ inputs[1].T, a.T @ g
    raise NotImplementedError(op)


@register("W4", "ops", NUMPY)
def numpy_op(op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    if backward:
        return lambda: numpy_forward_backward(op, inputs)
    return lambda: numpy_forward(op, inputs)


def engine_op(Tensor: Callable[..., Any], op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    """One op on an engine's tensors, written as its users write it: a + b, a * b, a.exp(),
    a.sum(), a @ b; with `backward`, op(...).sum().backward() and the inputs' .grad. The same
    code for tinygrad_edu, the minimal engine and PyTorch."""
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


@register("W4", "ops", FLOOR)
def floor_op(op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    return engine_op(minimal_engine.Tensor, op, inputs, backward)


@register("W4", "ops", "torch")
def torch_op(op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    """PyTorch CPU tensors (float64); backward through autograd from .sum()."""
    return engine_op(require("torch").tensor, op, inputs, backward)


def check_against(want: Any) -> Callable[[Callable[[], Any]], list[str]]:
    """A check for run_entries: the callable's result equals numpy's `want` (1e-9)."""

    def check(fn: Callable[[], Any]) -> list[str]:
        got = fn()
        got_t = got if isinstance(got, tuple) else (got,)
        want_t = want if isinstance(want, tuple) else (want,)
        assert len(got_t) == len(want_t), f"{len(got_t)} results, expected {len(want_t)}"
        for g, w in zip(got_t, want_t):
            g = as_numpy(g)
            assert g.shape == np.shape(w), f"shape {g.shape}, expected {np.shape(w)}"
            assert np.allclose(g, w, rtol=1e-9, atol=1e-9), "result differs from numpy's"
        return []

    return check


def run(budget: Budget) -> list[Table]:
    tables = []
    for size in SIZES:
        started = Started()
        rows: list[Result] = []
        built: dict[str, dict[str, Callable[[], Any]]] = {}  # case -> implementation -> its call
        for op in OPS:
            for mode in MODES:
                inputs = inputs_for(op, size)
                backward = mode == "fwd+bwd"
                want = numpy_forward_backward(op, inputs) if backward else numpy_forward(op, inputs)
                case = case_title(op, size, mode)
                rows += run_entries("W4", "ops", case, build=lambda entry: entry.factory(op, inputs, backward),
                                    check=check_against(want),
                                    measure=timed(budget, lambda fn: fn, memory=size == "large"),
                                    keep=built.setdefault(case, {}))
        ratio_column(rows, "median_s", NUMPY, "x numpy")
        ratio_column(rows, "median_s", FLOOR, "x floor")
        if size == "large":
            for row in rows:
                calls = built[row.case]
                if row.impl == TENSOR and row.status == "ok" and NUMPY in calls:
                    x = paired_ratio(calls[TENSOR], calls[NUMPY], budget.paired_rounds,
                                     budget.paired_block_s).fill(row, "x numpy", "x numpy")
                    row.judge(f"<= {LARGE_TARGET}x numpy", x <= LARGE_TARGET, f"{x:.3f}x")
        columns = ["case", "median", "max/med"] + (["peak mem"] if size == "large" else []) + ["x numpy", "x floor"]
        title = ("single ops on 1000x1000 float64 arrays: throughput" if size == "large"
                 else "single ops on tiny arrays, (3,) and (3,3)@(3,3): the overhead per op")
        tables.append(Table.done(started, f"W4 {size}", title, columns, rows))
    return tables
