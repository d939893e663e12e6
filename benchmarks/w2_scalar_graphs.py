"""W2: the scalar engine on big graphs: time per op to build and to backpropagate, peak memory,
and linearity (a graph twice as large must cost at most 2.2x as much to backpropagate; the same
ratio is reported for building). Judge it on the full run: with --quick's 10,000 ops a graph
takes tens of milliseconds, and where the garbage collector's passes fall moves the ratio.

Two graph shapes, n = 100,000 in the full run (10,000 with --quick):
- "chain": x, then n ops in a row, alternately y ← y · 1.00001 and y ← y + 0.001;
  ∂y/∂x = 1.00001^⌈n/2⌉. Deep: a recursive topological sort needs n frames.
- "fanout": x feeds n ops t_i = x · c_i (c_i = 1..7 in turn) which are then summed one by one
  (n − 1 more ops, so 2n − 1 in all); ∂s/∂x = Σ c_i. Wide: one node with n parents.

Each repeat builds a fresh graph (timed), backpropagates once from the last node (timed), reads
∂/∂x, and drops the graph; gc stays enabled during both phases, and gc.collect() runs between
repeats outside the timed regions, so each repeat starts from a clean heap. No warm-up: a graph
this size is its own warm-up; the first repeat's ∂/∂x is checked against the exact value.

Peak memory (build + backward, tracemalloc) is taken on a graph of at most 10,000 ops and quoted
per op: tracemalloc counts the whole Python stack at every allocation, so under a recursive
backward like micrograd's its cost grows with depth x allocations (minutes at 100,000).

Plug-in signature: a factory `(shape: str, n: int) -> ScalarGraph`, registered with
`@register("W2", "graphs", name)`; `shape` is "chain" or "fanout". The gradient that
`backward` returns is checked against the exact value (a wrong one makes an "error" row).
"""

from __future__ import annotations

import dataclasses
import gc
import math
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from benchmarks.compat import require
from benchmarks.harness import Budget, Result, fmt_bytes, peak_memory
from benchmarks.registry import Case, register, entries
from benchmarks.runner import failure_row, finish_case, progress

SHAPES = ("chain", "fanout")
PHASES = ("build", "backward")
LINEAR_LIMIT = 2.2  # the bound on time(2n) / time(n)
MEMORY_OPS = 10_000  # peak memory is taken on a graph this size (see the module docstring)
CHAIN_FACTOR = 1.00001
CHAIN_SHIFT = 0.001

CASE = Case("W2", "graphs", "scalar graphs", ("micrograd",), target=f"backward of 2n <= {LINEAR_LIMIT}x n")


@dataclass
class ScalarGraph:
    """What a W2 factory returns.

    build() builds the whole graph and returns a handle (anything: the root, or (root, x));
    backward(handle) backpropagates from the root once and returns ∂root/∂x as a float.
    """

    build: Callable[[], Any]
    backward: Callable[[Any], float]
    notes: list[str] = dataclasses.field(default_factory=list)


def op_count(shape: str, n: int) -> int:
    """Ops in the graph: n for the chain, n products plus n − 1 sums for the fan-out."""
    return n if shape == "chain" else 2 * n - 1


def expected_grad(shape: str, n: int) -> float:
    if shape == "chain":
        return CHAIN_FACTOR ** ((n + 1) // 2)
    return float(sum(i % 7 + 1 for i in range(n)))


def value_graph(Value: type, shape: str, n: int) -> ScalarGraph:
    """W2 for any engine with micrograd's API: Value(float), Value * float, Value + float,
    Value + Value, root.backward(), x.grad (a float)."""

    def build_chain() -> tuple[Any, Any]:
        x = Value(1.0)
        y = x
        for i in range(n):
            y = y * CHAIN_FACTOR if i % 2 == 0 else y + CHAIN_SHIFT
        return y, x

    def build_fanout() -> tuple[Any, Any]:
        x = Value(1.0)
        terms = [x * float(i % 7 + 1) for i in range(n)]
        s = terms[0]
        for t in terms[1:]:
            s = s + t
        return s, x

    def backward(handle: tuple[Any, Any]) -> float:
        root, x = handle
        root.backward()
        return float(x.grad)

    return ScalarGraph(build_chain if shape == "chain" else build_fanout, backward)


@register("W2", "graphs", "micrograd")
def micrograd_graph(shape: str, n: int) -> ScalarGraph:
    """micrograd's backward sorts the graph recursively: one Python frame per level, so the
    recursion limit is raised to fit the chain (Python 3.11 keeps those frames off the C stack)."""
    Value = require("micrograd.engine").Value
    graph = value_graph(Value, shape, n)
    needed = 2 * n + 1000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)
        graph.notes.append(f"recursion limit raised to {needed:,}")
    return graph


# ------------------------------------------------------------ running


def _time_phases(graph: ScalarGraph, repeats: int, want: float) -> tuple[list[float], list[float]]:
    """Build and backpropagate `repeats` times; the first ∂/∂x is checked against `want`."""
    builds, backs = [], []
    for r in range(repeats):
        gc.collect()
        start = time.perf_counter()
        handle = graph.build()
        mid = time.perf_counter()
        got = graph.backward(handle)
        end = time.perf_counter()
        del handle
        if r == 0:
            assert math.isclose(got, want, rel_tol=1e-9), f"∂/∂x is {got!r}, expected {want!r}"
        builds.append(mid - start)
        backs.append(end - mid)
    gc.collect()
    return builds, backs


def run(budget: Budget) -> list[Result]:
    n = budget.scalar_ops
    rows: list[Result] = []
    for shape in SHAPES:
        ops, ops2 = op_count(shape, n), op_count(shape, 2 * n)
        case_rows: dict[str, list[Result]] = {phase: [] for phase in PHASES}
        cases = {
            phase: dataclasses.replace(CASE, key=f"{shape}-{phase}", title=f"{shape}, {ops:,} ops: {phase}, per op")
            for phase in PHASES
        }
        for entry in entries("W2", "graphs"):
            progress(f"  W2 {shape} n={n:,}: {entry.impl}")
            try:
                graph, graph2 = entry.factory(shape, n), entry.factory(shape, 2 * n)
                timings = _time_phases(graph, budget.scalar_repeats, expected_grad(shape, n))
                timings2 = _time_phases(graph2, budget.scalar_repeats, expected_grad(shape, 2 * n))
            except Exception as exc:
                for phase in PHASES:
                    case_rows[phase].append(failure_row(cases[phase], entry, exc))
                continue
            m = min(n, MEMORY_OPS)
            small = entry.factory(shape, m)
            per_op = peak_memory(lambda: small.backward(small.build())) / op_count(shape, m)
            for phase, times, times2 in zip(PHASES, timings, timings2):
                med, med2 = statistics.median(times), statistics.median(times2)
                doubling = (med2 / ops2) / (med / ops) * 2  # time(2n) / time(n), per-op corrected
                row = Result("W2", cases[phase].title, entry.impl, median_s=med / ops, max_s=max(times) / ops,
                             mean_s=sum(times) / len(times) / ops,
                             repeats=len(times), number=1,
                             notes=[f"2n/n = {doubling:.2f}x", f"peak {fmt_bytes(round(per_op))}/op at {m:,}"]
                             + graph.notes, extra={"doubling": doubling, "peak_bytes_per_op": per_op})
                if entry.impl.startswith("tinygrad_edu") and phase == "backward":
                    row.meets_target = doubling <= LINEAR_LIMIT  # the target is on backward
                case_rows[phase].append(row)
        for phase in PHASES:
            rows += finish_case(dataclasses.replace(cases[phase], target_ratio=None), case_rows[phase])
    return rows
