"""Running one case: build each registered implementation, check its result, time it.

A factory that raises `compat.Unavailable` gives a "skipped" row with the note; one that raises
NotImplementedError gives "skipped" with "slot not filled"; any other exception, or a result that
disagrees with the reference, gives an "error" row. Timing happens only after the check passed.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, Callable

from benchmarks.compat import Unavailable
from benchmarks.harness import Budget, Result, fill_ratios, peak_memory, time_calls
from benchmarks.registry import Case, Entry, entries


def progress(message: str) -> None:
    """One line on stderr while the run goes (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def failure_row(case: Case, entry: Entry, exc: BaseException) -> Result:
    """The row for an implementation that could not be built or checked."""
    row = Result(case.workload, case.title, entry.impl, target=case.target)
    if isinstance(exc, Unavailable):
        row.status, row.notes = "skipped", [str(exc)]
    elif isinstance(exc, NotImplementedError):
        row.status, row.notes = "skipped", ["slot not filled" + (f": {exc}" if str(exc) else "")]
    else:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row.status = "error"
        row.notes = [f"{type(exc).__name__}: {exc} ({where.filename.rsplit('/', 1)[-1]}:{where.lineno})"]
    return row


def finish_case(case: Case, rows: list[Result]) -> list[Result]:
    """Ratios to the case's reference, and the target verdict on tinygrad_edu rows."""
    fill_ratios(rows, case.references)
    for row in rows:
        if not row.impl.startswith(case.target_impl):
            continue
        row.target = case.target
        if row.ratio is not None and case.target_ratio:
            row.meets_target = row.ratio <= case.target_ratio
    return rows


def run_timed_case(
    case: Case,
    budget: Budget,
    build: Callable[[Entry], Any],
    check: Callable[[Any], list[str]],
    call: Callable[[Any], Callable[[], Any]],
    memory: bool = True,
    min_repeat_s: float | None = None,
) -> list[Result]:
    """For each implementation of `case`: obj = build(entry); notes = check(obj) (raises
    AssertionError on a wrong result); then time `call(obj)` with `time_calls` and, if `memory`,
    take its peak memory (not for torch rows, whose allocator tracemalloc cannot see).
    `min_repeat_s` overrides the budget's shortest repeat (see harness.time_calls)."""
    rows = []
    for entry in entries(case.workload, case.key):
        progress(f"  {case.workload} {case.title}: {entry.impl}")
        try:
            obj = build(entry)
            notes = check(obj)
        except Exception as exc:  # the row says what went wrong; the run goes on
            rows.append(failure_row(case, entry, exc))
            continue
        fn = call(obj)
        timing = time_calls(fn, budget, min_repeat_s)
        row = Result(case.workload, case.title, entry.impl, median_s=timing.median, max_s=timing.max,
                     mean_s=timing.mean, repeats=len(timing.per_call), number=timing.number, notes=notes)
        if memory and entry.impl.startswith("torch"):
            row.notes.append("torch memory not seen by tracemalloc")
        elif memory:
            row.peak_bytes = peak_memory(fn)
        rows.append(row)
    return finish_case(case, rows)
