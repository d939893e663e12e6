"""Running one case: build each registered implementation, check its result, then measure it.

A factory that raises `compat.Unavailable` gives a "skipped" row with the note; one that raises
NotImplementedError gives "skipped" with "slot not filled"; any other exception, or a result that
disagrees with the reference, gives an "error" row. Measuring happens only after the check passed.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any
from collections.abc import Callable

from benchmarks.compat import Unavailable
from benchmarks.harness import Budget, Result, fmt_bytes, peak_memory, time_calls, timing_cells
from benchmarks.registry import Entry, entries


def progress(message: str) -> None:
    """One line on stderr while the run goes (the tables go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def failure_row(case: str, impl: str, exc: BaseException) -> Result:
    """The row for an implementation that could not be built or checked."""
    row = Result(case, impl)
    if isinstance(exc, Unavailable):
        row.status, row.notes = "skipped", [str(exc)]
    elif isinstance(exc, NotImplementedError):
        row.status, row.notes = "skipped", ["slot not filled" + (f": {exc}" if str(exc) else "")]
    else:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row.status = "error"
        row.notes = [f"{type(exc).__name__}: {exc} ({where.filename.rsplit('/', 1)[-1]}:{where.lineno})"]
    return row


def run_entries(
    workload: str,
    key: str,
    case: str,
    build: Callable[[Entry], Any],
    check: Callable[[Any], list[str]],
    measure: Callable[[Entry, Any, Result], None],
    keep: dict[str, Any] | None = None,
) -> list[Result]:
    """For each implementation registered as (`workload`, `key`): obj = build(entry);
    notes = check(obj) (raises AssertionError on a wrong result); then measure(entry, obj, row)
    fills the row of `case`.  With `keep`, every obj that passed its check is kept there under
    its implementation's name (for a paired ratio taken afterwards)."""
    rows = []
    for entry in entries(workload, key):
        progress(f"  {workload} {key}{', ' + case if case else ''}: {entry.impl}")
        try:
            obj = build(entry)
            notes = check(obj)
        except Exception as exc:  # the row says what went wrong; the run goes on
            rows.append(failure_row(case, entry.impl, exc))
            continue
        if keep is not None:
            keep[entry.impl] = obj
        row = Result(case, entry.impl, notes=notes)
        measure(entry, obj, row)
        rows.append(row)
    return rows


def timed(budget: Budget, call: Callable[[Any], Callable[[], Any]], memory: bool = True,
          min_repeat_s: float | None = None) -> Callable[[Entry, Any, Result], None]:
    """A `measure` for run_entries: time `call(obj)` with time_calls and, if `memory`, take its
    peak memory (not for torch rows: tracemalloc cannot see PyTorch's allocator)."""

    def measure(entry: Entry, obj: Any, row: Result) -> None:
        fn = call(obj)
        timing_cells(row, time_calls(fn, budget, min_repeat_s))
        if memory and entry.impl.startswith("torch"):
            row.notes.append("torch memory not seen by tracemalloc")
        elif memory:
            row.figures["peak_bytes"] = peak_memory(fn)
            row.cells["peak mem"] = fmt_bytes(row.figures["peak_bytes"])

    return measure
