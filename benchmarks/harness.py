"""Timing, memory, rows, tables and verdicts for the benchmarks.

How a figure is taken:
- `time_calls` (W1 tensor, W3, W4): the clock is `time.perf_counter`; one call is timed to choose
  `number`, the calls per repeat, so that a repeat lasts at least `Budget.min_repeat_s` (W1's
  steps: `Budget.step_repeat_s`); `Budget.warmup` repeats are thrown away, `Budget.repeats` kept.
  The figure is the MEDIAN time per call over the kept repeats, with the mean beside it; max/med
  is the slowest repeat (for calls of 1 ms or more, the slowest single call) over the median.
  The garbage collector stays enabled, as a user runs it; `gc.collect()` runs before each case.
- `time_steps` (W1 scalar): every step clocked alone for `Budget.scalar_step_s` seconds after 3
  warm-up steps; the figure is the MEAN step, with the garbage collector OFF (disabled while
  clocking; gc.collect() between chunks of steps, outside the clock, or micrograd's cyclic
  graphs would pile up) or ON (as a user runs it: its pauses land in the steps that trigger them).
- `paired_ratio` (the judged ratios: W1 tensor over the floor and PyTorch over it, "x numpy" of
  W3 and W4 large, and W1 scalar's speed-up over micrograd with the collector off): tinygrad_edu
  and the reference clocked in alternating blocks of `Budget.paired_block_s`, the order swapped
  every round, one ratio of the blocks' mean calls per round; the judged figure is the MEDIAN ratio over `Budget.paired_rounds`
  rounds, with the middle half printed. Both halves of a round see the same machine load, which
  the ratio of two figures taken a minute apart does not. (With the collector on, micrograd's
  cyclic garbage would be collected in whichever block came next, so W1 scalar with the
  collector on keeps the sequential means of `time_steps`.)
- `live_graph_cost` (W2 memory): bytes of a live graph per node, by tracemalloc, and objects the
  garbage collector tracks per node, by gc.get_objects(), right after the build and after a
  collection (which untracks tuples of plain numbers).
- `peak_memory`: one extra call under tracemalloc (never while timing): the highest traced
  allocation above the level before the call. tracemalloc does not see PyTorch's allocator.

Every table records the load average before and after it was measured and the number of CPUs,
and its rows carry a verdict against each speed target (benchmarks/README.md lists them).
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
from typing import Any
from collections.abc import Callable


@dataclass(frozen=True)
class Budget:
    """How long to measure: `--quick` (about a minute in all) or the full run (a few minutes)."""

    quick: bool
    repeats: int  # kept repeats per figure (time_calls)
    warmup: int  # repeats run before, not kept
    min_repeat_s: float  # a repeat runs the call `number` times so it lasts at least this long
    step_repeat_s: float  # the same for W1's tensor steps
    scalar_step_s: float  # W1 scalar: seconds of clocked steps per engine and garbage-collector mode
    linear_sizes: tuple[int, ...]  # W2: the graph sizes n whose 2n/n ratio is taken
    linear_repeats: tuple[int, ...]  # W2: repeats at each of those sizes
    memory_nodes: int = 100_000  # W2: nodes of the graph whose memory is measured
    paired_rounds: int = 21  # judged ratios: rounds of paired_ratio
    paired_block_s: float = 0.05  # judged ratios: seconds per block of paired_ratio


QUICK = Budget(quick=True, repeats=5, warmup=1, min_repeat_s=0.002, step_repeat_s=0.1, scalar_step_s=0.8,
               linear_sizes=(10_000, 100_000), linear_repeats=(5, 1), paired_rounds=9, paired_block_s=0.02)
FULL = Budget(quick=False, repeats=15, warmup=2, min_repeat_s=0.010, step_repeat_s=0.25, scalar_step_s=3.0,
              linear_sizes=(10_000, 100_000, 1_000_000), linear_repeats=(7, 3, 3))

SLOW_CALL_S = 1e-3  # calls at least this long are also clocked one by one
WARMUP_STEPS = 3  # time_steps: steps run before the clock starts
MIN_STEPS = 5  # time_steps: steps clocked at the least
GC_OFF_CHUNK = 20  # time_steps with the collector off: gc.collect() after this many steps


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
    def mean(self) -> float:
        return statistics.fmean(self.per_call)

    @property
    def max(self) -> float:
        """The slowest single call when calls were clocked one by one, else the slowest repeat."""
        return self.slowest_call if self.slowest_call is not None else max(self.per_call)

    @property
    def steadiness(self) -> float:
        """max over median: 1.0 is perfectly steady."""
        return self.max / self.median


def time_calls(fn: Callable[[], Any], budget: Budget, min_repeat_s: float | None = None) -> Timing:
    """Time `fn()` as the module docstring says; returns seconds per call. When one call takes
    SLOW_CALL_S or more, every call is also clocked alone and `max` is the slowest single call."""
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


def time_steps(step: Callable[[], Any], seconds: float, collector_on: bool) -> Timing:
    """Clock every call of `step()` alone for about `seconds` (at least MIN_STEPS calls) after
    WARMUP_STEPS calls; the garbage collector ON as a user runs it, or OFF while clocking (a
    gc.collect() every GC_OFF_CHUNK calls, outside the clock). Each call is one "repeat"."""
    clock = time.perf_counter
    gc.collect()
    for _ in range(WARMUP_STEPS):
        step()
    was_enabled = gc.isenabled()
    per_call: list[float] = []
    if not collector_on:
        gc.disable()
    try:
        deadline = clock() + seconds
        while clock() < deadline or len(per_call) < MIN_STEPS:
            start = clock()
            step()
            per_call.append(clock() - start)
            if not collector_on and len(per_call) % GC_OFF_CHUNK == 0:
                gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    gc.collect()
    return Timing(per_call, 1, max(per_call))


@dataclass
class Paired:
    """Our time over the reference's, clocked in alternating blocks (see `paired_ratio`)."""

    ratios: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> str:
        """The middle half of the per-round ratios, as "1.41-1.52x"."""
        q = statistics.quantiles(self.ratios, n=4) if len(self.ratios) > 1 else self.ratios * 3
        return f"{q[0]:.2f}-{q[-1]:.2f}x"

    def fill(self, row: Result, figure: str, column: str, what: str = "paired rounds") -> float:
        """Make the median `row`'s judged `figure` and its `column` cell, with a note saying how
        it was taken; returns it."""
        row.figures[figure] = self.median
        row.cells[column] = fmt_ratio(self.median)
        row.notes.append(f"{column}: median of {len(self.ratios)} {what} (middle half {self.spread})")
        return self.median


def paired_ratio(ours: Callable[[], Any], reference: Callable[[], Any], rounds: int,
                 block_s: float, collector_on: bool = True) -> Paired:
    """Clock `ours` and `reference` in alternating blocks of about `block_s` seconds each, the
    order swapped every round, and keep one ratio (ours over reference) per round: the ratio of
    the two blocks' mean calls.

    On a shared machine the load changes from second to second; a ratio of two figures taken
    minutes apart takes that change for a difference between the engines, while both halves of
    one round see the same load. The median over rounds is the judged figure. With
    `collector_on=False` each block runs with the garbage collector disabled, after a
    gc.collect() outside the clock, so neither side pays for the other's garbage."""
    clock = time.perf_counter

    def per_call(fn: Callable[[], Any], number: int) -> float:
        if not collector_on:
            gc.collect()
            gc.disable()
        try:
            start = clock()
            for _ in range(number):
                fn()
            return (clock() - start) / number
        finally:
            if not collector_on:
                gc.enable()

    numbers = [max(1, math.ceil(block_s / max(per_call(fn, 1), 1e-9))) for fn in (ours, reference)]
    ratios = []
    for r in range(rounds):
        if r % 2:
            ref_t, our_t = per_call(reference, numbers[1]), per_call(ours, numbers[0])
        else:
            our_t, ref_t = per_call(ours, numbers[0]), per_call(reference, numbers[1])
        ratios.append(our_t / ref_t)
    return Paired(ratios)


def time_once(fn: Callable[[], Any]) -> float:
    """Seconds taken by one call of `fn()`, gc as it is."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call of `fn()`, above what was allocated before it."""
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


def live_graph_cost(build: Callable[[], Any], nodes: int) -> dict[str, float]:
    """What a graph of `nodes` nodes costs while it is alive: `bytes_per_node` (tracemalloc: every
    allocation the build left behind) and `tracked_per_node` (objects the garbage collector
    tracks, counted by gc.get_objects()) right after the build, with the collector off, and
    `tracked_after_gc` after one gc.collect() (which stops tracking tuples of plain numbers)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    tracked_before = len(gc.get_objects())
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        graph = build()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tracked = len(gc.get_objects()) - tracked_before
    gc.collect()
    tracked_after_gc = len(gc.get_objects()) - tracked_before
    del graph
    if was_enabled:
        gc.enable()
    gc.collect()
    return {"bytes_per_node": (after - before) / nodes, "tracked_per_node": tracked / nodes,
            "tracked_after_gc": tracked_after_gc / nodes}


def load_average() -> list[float]:
    """The load average over 1, 5 and 15 minutes (NaN where the system has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return [float("nan")] * 3


# ---------------------------------------------------------------- rows, verdicts, tables


@dataclass
class Verdict:
    """One speed target, judged on one row: e.g. ("<= 2.2x numpy", "1.93x", True)."""

    target: str
    measured: str
    met: bool

    def __str__(self) -> str:
        return f"{self.target}: {'met' if self.met else 'MISSED'} ({self.measured})"


@dataclass
class Result:
    """One row of a table: one implementation on one case."""

    case: str
    impl: str
    status: str = "ok"  # "ok", "skipped" or "error"
    figures: dict[str, float] = field(default_factory=dict)  # the measured numbers (seconds, bytes, ratios)
    cells: dict[str, str] = field(default_factory=dict)  # the table's columns, formatted
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def judge(self, target: str, met: bool, measured: str) -> None:
        """Add a verdict: whether this row meets `target`, with the figure it was judged on."""
        self.verdicts.append(Verdict(target, measured, bool(met)))


@dataclass
class Started:
    """When a table's measurement began: the load average then, and the clock."""

    load: list[float] = field(default_factory=load_average)
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Table:
    """The rows of one measurement, with the machine's load while it was taken."""

    key: str  # "W1 tensor"
    title: str
    columns: list[str]  # the measured columns, between "implementation" and "verdict"
    rows: list[Result]
    load_before: list[float]
    load_after: list[float]
    cpus: int = field(default_factory=lambda: os.cpu_count() or 0)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long the measurement took

    @classmethod
    def done(cls, started: Started, key: str, title: str, columns: list[str], rows: list[Result],
             notes: list[str] | None = None) -> Table:
        """The table of a measurement that began at `started` and ends now."""
        return cls(key, title, columns, rows, started.load, load_average(), notes=notes or [],
                   seconds=time.perf_counter() - started.at)

    @property
    def load_line(self) -> str:
        before, after = (", ".join(f"{x:.2f}" for x in load) for load in (self.load_before, self.load_after))
        return f"load average (1, 5, 15 min) {before} before, {after} after; {self.cpus} CPUs; measured in {self.seconds:.0f} s"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Table:
        rows = [Result(**{**r, "verdicts": [Verdict(**v) for v in r["verdicts"]]}) for r in d["rows"]]
        return cls(**{**d, "rows": rows})


def row_of(rows: list[Result], impl: str, case: str | None = None) -> Result | None:
    """The measured row of `impl` (in `case`, if given), or None if it did not run."""
    return next((r for r in rows if r.impl == impl and r.status == "ok" and case in (None, r.case)), None)


def ratio_column(rows: list[Result], figure: str, reference: str, column: str) -> None:
    """Fill `column` of every measured row with its `figure` over the reference row's, case by
    case, and keep the ratio in `figures[column]`."""
    for row in rows:
        ref = row_of(rows, reference, row.case)
        if row.status != "ok" or ref is None or figure not in row.figures or not ref.figures.get(figure):
            continue
        row.figures[column] = row.figures[figure] / ref.figures[figure]
        row.cells[column] = fmt_ratio(row.figures[column])


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


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}x" if x < 100 else f"{x:.0f}x"


def timing_cells(row: Result, timing: Timing) -> None:
    """The figures and cells every timed row has: median, mean, max/med."""
    row.figures.update(median_s=timing.median, mean_s=timing.mean, max_s=timing.max, calls=len(timing.per_call) * timing.number)
    row.cells.update({"median": fmt_time(timing.median), "mean": fmt_time(timing.mean),
                      "max/med": f"{timing.steadiness:.2f}"})


def _cells(table: Table, r: Result) -> list[str]:
    head = [r.case, r.impl] if "case" in table.columns else [r.impl]
    measured = [c for c in table.columns if c != "case"]
    if r.status != "ok":
        return head + [r.status] + [""] * (len(measured) - 1) + ["", "; ".join(r.notes)]
    body = [r.cells.get(c, "-") for c in measured]
    return [" ".join(c.split()) for c in head + body + ["; ".join(map(str, r.verdicts)), "; ".join(r.notes)]]


def _header(table: Table) -> list[str]:
    head = ["case", "implementation"] if "case" in table.columns else ["implementation"]
    return head + [c for c in table.columns if c != "case"] + ["verdict", "notes"]


def text_table(table: Table) -> str:
    """A plain table for the terminal, under its title and load line."""
    cells = [_header(table)] + [_cells(table, r) for r in table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [f"{table.key}: {table.title}", table.load_line]
    for k, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += table.notes
    return "\n".join(lines)


def markdown_table(table: Table) -> str:
    """The same table in Markdown, for benchmarks/README.md."""
    header = _header(table)
    out = [f"#### {table.key}: {table.title}", "", table.load_line, "",
           "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in table.rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(table, r)) + " |")
    out += [""] + [f"{note}  " for note in table.notes]
    return "\n".join(out).rstrip()


def targets_summary(tables: list[Table], markdown: bool = False) -> str:
    """Every verdict of every table in one list: where each target stands."""
    lines = []
    for table in tables:
        for r in table.rows:
            for v in r.verdicts:
                where = f"{table.key}, {r.case}" if r.case else table.key
                mark = "met" if v.met else "MISSED"
                lines.append(f"| {where} | {r.impl} | {v.target} | {v.measured} | {mark} |" if markdown
                             else f"{mark:6s}  {where}: {r.impl}: {v.target} ({v.measured})")
    if markdown:
        lines = ["| table | implementation | target | measured | verdict |", "|---|---|---|---|---|"] + lines
    return "\n".join(lines)


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
    """What the figures were measured on; printed above the tables."""
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
        "gc thresholds": str(gc.get_threshold()),
    }
    try:  # BLAS threads, when threadpoolctl (a scikit-learn dependency) is there
        from threadpoolctl import threadpool_info

        pools = sorted({(p["internal_api"], p["num_threads"]) for p in threadpool_info()})
        info["thread pools"] = ", ".join(f"{api} {n} threads" for api, n in pools) or "-"
    except ImportError:
        pass
    return info
