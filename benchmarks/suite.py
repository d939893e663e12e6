"""The whole suite: the workloads in order, each as one or more tables.

The scalar tables (W1's scalar case, W2) are measured first, in a process of their own that never
imports torch (benchmarks/scalar_process.py); the rest here, after settle_heap(). The tinygrad_edu
slots are registered after the references, so their rows follow the references' in every table.
"""

from __future__ import annotations

import gc

from benchmarks import scalar_process, w1_book_network, w3_digits_mlp, w4_ops
from benchmarks import tinygrad_edu_slots  # noqa: F401  (registers the tinygrad_edu rows)
from benchmarks.compat import Unavailable, require
from benchmarks.harness import Budget, Table
from benchmarks.runner import progress

WORKLOADS = {
    "W1": "the book's 12-3-2 network: one full-batch GD step, tensor and scalar engines",
    "W2": "scalar engine on big graphs: memory per node, backward linear in the graph's size",
    "W3": "MLP 64-128-10 on the 8x8 digits: one epoch, test accuracy",
    "W4": "single ops: tiny arrays (overhead) and 1000x1000 (throughput)",
}

OPTIONAL = ("torch", "dezero", "dezero.functions", "sklearn.datasets", "sklearn.model_selection",
            "tinygrad_edu.Tensor")


def settle_heap() -> None:
    """Import every optional package now, then gc.freeze(): the objects that exist so far (the
    libraries' modules, functions, classes: about 300,000 once torch is in) go to the permanent
    generation, which the collector never walks again. Full collections then cost what the
    workload's own objects cost, whichever libraries the harness happened to import."""
    for name in OPTIONAL:
        try:
            require(name)
        except Unavailable:
            pass
    gc.collect()
    gc.freeze()


def run(names: list[str], budget: Budget) -> list[Table]:
    """Run the named workloads (all if empty) and return their tables in order."""
    names = names or list(WORKLOADS)
    scalar_names = [n for n in names if n in scalar_process.SCALAR_WORKLOADS]
    scalar: list[Table] = []
    if scalar_names:
        progress(f"{', '.join(scalar_names)} scalar: in a process without torch")
        scalar = scalar_process.spawn(scalar_names, budget)
    settle_heap()
    tables: list[Table] = []
    for name in names:
        progress(f"{name}: {WORKLOADS[name]}")
        if name == "W1":
            tables.append(w1_book_network.run_tensor(budget))
        elif name == "W3":
            tables += w3_digits_mlp.run(budget)
        elif name == "W4":
            tables += w4_ops.run(budget)
        tables += [t for t in scalar if t.key.split()[0] == name]
    return tables
