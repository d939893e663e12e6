"""The registry of workload implementations: where references and tinygrad_edu plug in.

Each workload module (w1_book_network, w2_scalar_graphs, w3_digits_mlp, w4_ops) declares its
cases and registers one factory per implementation:

    @register("W1", "sigmoid", "numpy (δ method)")
    def w1_numpy(problem: BookProblem) -> Stepper: ...

The factory's argument and return type are fixed per workload (see the workload module's
docstring and benchmarks/README.md). A factory that needs an optional package calls
`benchmarks.compat.require(...)`; if that raises `Unavailable`, the row is shown as skipped with
the note. Any other exception makes an "error" row: the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Case:
    """A figure to measure: one workload on one size or variant, and whom it is compared to."""

    workload: str  # "W1"
    key: str  # short key used by register(), e.g. "sigmoid"
    title: str  # shown in the table, e.g. "12-3-2 sigmoid, 1 GD step"
    references: tuple[str, ...]  # ratio is to the first of these implementations that ran
    target: str = ""  # the target, as text: "<= 3x numpy"
    target_ratio: float | None = None  # tinygrad_edu rows meet the target if ratio <= this
    target_impl: str = "tinygrad_edu"  # the rows the target is for (a prefix of their name)


@dataclass(frozen=True)
class Entry:
    """One implementation of one case."""

    workload: str
    case: str
    impl: str
    factory: Callable[..., Any]


_ENTRIES: list[Entry] = []


def register(workload: str, case: str, impl: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register `factory` as implementation `impl` of `case` of `workload`.

    Rows appear in registration order; a second registration of the same (workload, case, impl)
    replaces the first, so a later module can override a slot.
    """

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        entry = Entry(workload, case, impl, factory)
        for i, old in enumerate(_ENTRIES):
            if (old.workload, old.case, old.impl) == (workload, case, impl):
                _ENTRIES[i] = entry
                break
        else:
            _ENTRIES.append(entry)
        return factory

    return deco


def entries(workload: str, case: str) -> list[Entry]:
    """The implementations registered for one case, in registration order."""
    return [e for e in _ENTRIES if e.workload == workload and e.case == case]


def all_entries() -> list[Entry]:
    return list(_ENTRIES)
