"""W4: single ops, per-op overhead on tiny arrays and throughput on large ones.

Ops: add (a + b), mul (a * b), exp (e^a), sum (Σ a), matmul (a @ b); float64 inputs drawn from a
standard normal (seed 0). Sizes: "tiny" is shape (3,), except matmul, which takes (3, 3) @ (3, 3);
"large" is (1000, 1000) for all. Modes:
- "forward": the op alone;
- "fwd+bwd": L = op(inputs).sum(), then ∂L/∂(each input). The numpy reference writes that
  backward by hand (add: ones; mul: b and a; exp: e^a; sum: ones; matmul: 1 b^T and a^T 1).

Plug-in signature: a factory `(op: str, inputs: tuple[np.ndarray, ...], backward: bool) ->
Callable[[], Any]`, registered with `@register("W4", "ops", name)`. The callable runs the op once
(plus the backward if `backward`) and returns the forward result, or with `backward` the tuple of
input gradients; anything np.asarray() understands (the harness compares it with numpy's before
timing). The factory does its conversions (numpy -> engine) outside the callable; it may raise
NotImplementedError for an op it does not have.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from benchmarks.compat import as_numpy, require
from benchmarks.harness import Budget, Result
from benchmarks.registry import Case, register
from benchmarks.runner import run_timed_case

NUMPY = "numpy"
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


def case_for(op: str, size: str, mode: str) -> Case:
    shape = "1000x1000" if size == "large" else ("(3,3)@(3,3)" if op == "matmul" else "(3,)")
    return Case("W4", "ops", f"{op} {shape}: {mode}", (NUMPY,),
                target=f"<= {LARGE_TARGET}x numpy" if size == "large" else "",
                target_ratio=LARGE_TARGET if size == "large" else None)


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
    if op == "add":
        return g, g  # both inputs receive ∂L/∂out itself
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


@register("W4", "ops", "torch")
def torch_op(op: str, inputs: tuple[np.ndarray, ...], backward: bool) -> Callable[[], Any]:
    """PyTorch CPU tensors (float64); backward through autograd from .sum()."""
    torch = require("torch")
    fn = {"add": torch.add, "mul": torch.mul, "exp": torch.exp, "sum": torch.sum, "matmul": torch.matmul}[op]
    ts = [torch.tensor(x, requires_grad=backward) for x in inputs]
    if not backward:
        return lambda: fn(*ts)

    def forward_backward() -> tuple[Any, ...]:
        for t in ts:
            t.grad = None
        fn(*ts).sum().backward()
        return tuple(t.grad for t in ts)

    return forward_backward


def run(budget: Budget) -> list[Result]:
    rows: list[Result] = []
    for size in SIZES:
        for op in OPS:
            for mode in MODES:
                inputs = inputs_for(op, size)
                backward = mode == "fwd+bwd"
                want = numpy_forward_backward(op, inputs) if backward else numpy_forward(op, inputs)
                case = case_for(op, size, mode)

                def check(fn: Callable[[], Any], want: Any = want) -> list[str]:
                    got = fn()
                    got_t = got if isinstance(got, tuple) else (got,)
                    want_t = want if isinstance(want, tuple) else (want,)
                    assert len(got_t) == len(want_t), f"{len(got_t)} results, expected {len(want_t)}"
                    for g, w in zip(got_t, want_t):
                        g = as_numpy(g)
                        assert g.shape == np.shape(w), f"shape {g.shape}, expected {np.shape(w)}"
                        assert np.allclose(g, w, rtol=1e-9, atol=1e-9), "result differs from numpy's"
                    return []

                rows += run_timed_case(
                    case, budget,
                    build=lambda entry: entry.factory(op, inputs, backward),
                    check=check,
                    call=lambda fn: fn,
                    memory=size == "large",
                )
    return rows
