"""The whole suite: the workloads in order, and the tinygrad_edu slots registered after the
references (so their rows follow the references' in every case)."""

from __future__ import annotations

import gc
from typing import Callable

from benchmarks import w1_book_network, w2_scalar_graphs, w3_digits_mlp, w4_ops
from benchmarks import tinygrad_edu_slots  # noqa: F401  (registers the tinygrad_edu rows)
from benchmarks.compat import Unavailable, require
from benchmarks.harness import Budget, Result
from benchmarks.runner import progress

WORKLOADS: dict[str, tuple[str, Callable[[Budget], list[Result]]]] = {
    "W1": ("the book's 12-3-2 network: one full-batch GD step", w1_book_network.run),
    "W2": ("scalar engine on big graphs: build and backward per op", w2_scalar_graphs.run),
    "W3": ("MLP 64-128-10 on the 8x8 digits: one epoch, test accuracy", w3_digits_mlp.run),
    "W4": ("single ops: tiny arrays (overhead) and 1000x1000 (throughput)", w4_ops.run),
}


OPTIONAL = ("torch", "dezero", "dezero.functions", "micrograd.engine", "sklearn.datasets",
            "sklearn.model_selection", "tinygrad_edu.Tensor", "tinygrad_edu.Value")


def settle_heap() -> None:
    """Import every optional package now, then gc.freeze(): the objects that exist so far (the
    libraries' modules, functions, classes: about 300,000 once torch is in) go to the permanent
    generation, which the collector never walks again. Full collections then cost what the
    workload's own objects cost, the same whichever libraries the harness happened to import
    and in whatever order the workloads run."""
    for name in OPTIONAL:
        try:
            require(name)
        except Unavailable:
            pass
    gc.collect()
    gc.freeze()


def run(names: list[str], budget: Budget) -> list[Result]:
    """Run the named workloads (all if empty) and return their rows."""
    settle_heap()
    rows: list[Result] = []
    for name in names or list(WORKLOADS):
        title, fn = WORKLOADS[name]
        progress(f"{name}: {title}")
        rows += fn(budget)
    return rows
