"""Timing, peak memory, results and tables for the benchmarks (issue 6, "Fast enough to forget").

How a figure is taken (`time_calls`):
- the clock is `time.perf_counter`;
- the garbage collector stays ENABLED, as a user runs it: its pauses land in whichever repeat
  triggers them, and that is what the slowest repeat (`max`) shows. `gc.collect()` runs once
  before a case's warm-up, so one case does not pay for another's garbage. Before the first
  workload, the suite imports every library and calls `gc.freeze()` (see suite.settle_heap), so
  a full collection walks the workload's own objects, not torch's 300,000;
- one call is timed to choose `number`, the calls per repeat, so that a repeat lasts at least
  `Budget.min_repeat_s` (W1's training steps: `Budget.step_repeat_s`; tiny calls are timed in
  bulk, like `timeit`); then `Budget.warmup` repeats are run and thrown away, then
  `Budget.repeats` repeats are kept;
- the figure is the MEDIAN time per call over the kept repeats; `max/median` is its steadiness,
  where max is the slowest repeat, or for calls of 1 ms or more the slowest single call (each is
  then clocked alone too); the mean is kept as well (and shown when it is more than 25% off the
  median).

Peak memory (`peak_memory`) is taken in a separate call under `tracemalloc` (which slows Python
down, so never during timing): the highest traced allocation above what was allocated before the
call. tracemalloc sees Python objects and numpy buffers; it does NOT see PyTorch's allocator.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Budget:
    """How long to measure: `--quick` (under a minute in all) or the full run (a few minutes)."""

    quick: bool
    repeats: int  # kept repeats per figure
    warmup: int  # repeats run before, not kept
    min_repeat_s: float  # a repeat runs the call `number` times so it lasts at least this long
    step_repeat_s: float  # the same for W1's training steps (see time_calls)
    scalar_ops: int  # W2: size n of the scalar graphs (the 2x check builds 2n as well)
    scalar_repeats: int  # W2: repeats per graph size


QUICK = Budget(quick=True, repeats=5, warmup=1, min_repeat_s=0.002, step_repeat_s=0.1,
               scalar_ops=10_000, scalar_repeats=3)
FULL = Budget(quick=False, repeats=15, warmup=2, min_repeat_s=0.010, step_repeat_s=0.25,
              scalar_ops=100_000, scalar_repeats=5)

SLOW_CALL_S = 1e-3  # calls at least this long are also clocked one by one


@dataclass
class Timing:
    """Seconds per call, one figure per kept repeat (each repeat ran the call `number` times),
    and, for slow calls, the slowest single call."""

    per_call: list[float]
    number: int
    slowest_call: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.per_call)

    @property
    def max(self) -> float:
        """The slowest single call when calls were clocked one by one, else the slowest repeat."""
        return self.slowest_call if self.slowest_call is not None else max(self.per_call)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.per_call)

    @property
    def steadiness(self) -> float:
        """max over median: 1.0 is perfectly steady."""
        return self.max / self.median


def time_calls(fn: Callable[[], Any], budget: Budget, min_repeat_s: float | None = None) -> Timing:
    """Time `fn()` as described in the module docstring; returns seconds per call.

    A repeat lasts at least `min_repeat_s` (default `budget.min_repeat_s`). When one call takes
    SLOW_CALL_S or more, every call is also clocked alone and `max` is the slowest single call:
    a repeat of several steps averages a garbage collector's pause every other step (the median
    of repeats stays put), while the slowest step still shows it.
    """
    clock = time.perf_counter
    gc.collect()
    start = clock()
    fn()
    once = clock() - start
    number = max(1, math.ceil((min_repeat_s or budget.min_repeat_s) / max(once, 1e-9)))
    one_by_one = once >= SLOW_CALL_S
    per_call: list[float] = []
    slowest = 0.0
    for r in range(budget.warmup + budget.repeats):
        if one_by_one:
            calls = []
            for _ in range(number):
                start = clock()
                fn()
                calls.append(clock() - start)
            elapsed = sum(calls)
            if r >= budget.warmup:
                slowest = max(slowest, *calls)
        else:
            start = clock()
            for _ in range(number):
                fn()
            elapsed = clock() - start
        if r >= budget.warmup:
            per_call.append(elapsed / number)
    return Timing(per_call, number, slowest if one_by_one else None)


def time_once(fn: Callable[[], Any]) -> float:
    """Seconds taken by one call of `fn()`, gc as it is."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call of `fn()`, above what was allocated before it
    (tracemalloc; PyTorch's own allocator is invisible to it)."""
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - before)


@dataclass
class Result:
    """One row of the table: one implementation on one case of a workload."""

    workload: str  # "W1"
    case: str  # e.g. "12-3-2 sigmoid, 1 GD step"
    impl: str  # e.g. "numpy (δ method)"
    status: str = "ok"  # "ok", "skipped" or "error"
    median_s: float | None = None  # seconds per call (W2: per op)
    max_s: float | None = None
    mean_s: float | None = None
    repeats: int = 0
    number: int = 0
    peak_bytes: int | None = None
    reference: str | None = None  # the implementation the ratio is taken to
    ratio: float | None = None  # median / reference median, same run
    target: str = ""  # the target for this case, as text
    meets_target: bool | None = None  # for tinygrad_edu rows once they run
    notes: list[str] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)  # other measured numbers, for --json

    @property
    def steadiness(self) -> float | None:
        if self.median_s is None or self.max_s is None or self.median_s == 0:
            return None
        return self.max_s / self.median_s

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["steadiness"] = self.steadiness
        return row


def fill_ratios(rows: list[Result], references: tuple[str, ...]) -> None:
    """Set `ratio` on every timed row to its median over the first available reference's."""
    by_impl = {r.impl: r for r in rows if r.status == "ok" and r.median_s}
    ref = next((by_impl[name] for name in references if name in by_impl), None)
    for row in rows:
        if ref is None or row.median_s is None:
            continue
        row.reference = ref.impl
        row.ratio = row.median_s / ref.median_s  # type: ignore[operator]


# ---------------------------------------------------------------- formatting


def fmt_time(seconds: float | None) -> str:
    """Seconds in the unit that gives 3 significant digits: 412 ns, 38.2 µs, 1.25 s."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            digits = 0 if value >= 100 else 1 if value >= 10 else 2
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}x" if x < 100 else f"{x:.0f}x"


COLUMNS = ("id", "case", "implementation", "median", "max/med", "peak mem", "x ref", "notes")


def _cells(r: Result) -> list[str]:
    return [" ".join(cell.split()) for cell in _raw_cells(r)]  # one line per row


def _raw_cells(r: Result) -> list[str]:
    if r.status != "ok":
        return [r.workload, r.case, r.impl, r.status, "", "", "", "; ".join(r.notes)]
    notes = list(r.notes)
    if r.mean_s is not None and r.median_s and abs(r.mean_s / r.median_s - 1.0) > 0.25:
        notes.insert(0, f"mean {fmt_time(r.mean_s)}")  # a lopsided spread, e.g. gc every other step
    if r.meets_target is not None:
        notes.insert(0, ("meets" if r.meets_target else "MISSES") + f" target {r.target}")
    ratio = fmt_ratio(r.ratio)
    if r.ratio is not None and r.reference and r.reference != r.impl:
        ratio += f" {r.reference.split(' ')[0]}"
    return [
        r.workload,
        r.case,
        r.impl,
        fmt_time(r.median_s),
        f"{r.steadiness:.2f}" if r.steadiness is not None else "-",
        fmt_bytes(r.peak_bytes),
        ratio,
        "; ".join(notes),
    ]


def text_table(rows: list[Result]) -> str:
    """A plain table for the terminal."""
    cells = [list(COLUMNS)] + [_cells(r) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Result]) -> str:
    """The same table in Markdown, for benchmarks/README.md."""
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |")
    return "\n".join(out)


# ---------------------------------------------------------------- machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str]:
    """What the figures were measured on; printed above every table."""
    from benchmarks.compat import version

    import numpy as np

    info = {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": version("torch"),
        "micrograd": version("micrograd"),
        "dezero": version("dezero"),
        "scikit-learn": version("scikit-learn"),
        "gc": "enabled (thresholds %s)" % (gc.get_threshold(),),
    }
    try:  # BLAS threads, when threadpoolctl (a scikit-learn dependency) is there
        from threadpoolctl import threadpool_info

        pools = sorted({(p["internal_api"], p["num_threads"]) for p in threadpool_info()})
        info["thread pools"] = ", ".join(f"{api} {n} threads" for api, n in pools) or "-"
    except ImportError:
        pass
    return info
