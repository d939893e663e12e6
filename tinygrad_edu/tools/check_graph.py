"""`check_graph`: check every op's backward where it sits in a recorded graph.

`gradcheck` says *whether* a whole function's gradient is right; when it is not, the question is
*which* op is wrong.  `check_graph(root)` walks the graph behind `root` from the inputs up
(iteratively, in topological order) and, for each recorded op, re-runs that op alone in float64
on copies of the operands it was given, and compares its `backward` with central finite
differences of that op alone (§2-6, §2-7), the way §4-3 checks each unit error δ on its own.
The report names the first op that disagrees, its input shapes, its module path, and the file
and line of the user's code that created it (recorded under `record_sites()` or
`detect_anomaly()`).

    >>> from tinygrad_edu import Value, check_graph
    >>> x = Value(0.5)
    >>> report = check_graph((x * x).sigmoid())
    >>> bool(report), report.n_ops
    (True, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ..engine import Function, Node, no_grad, topological_order
from ..engine.ops import Step, sum_to
from .checks import numerical_gradient

# ops whose backward is a chosen surrogate, not the derivative: finite differences cannot check
# them (the unit step's straight-through and sigmoid rules, §1-2)
_SURROGATE: dict[type, Callable[[dict[str, Any]], bool]] = {
    Step: lambda kw: kw.get("surrogate", "zero") != "zero",
}


@dataclass
class OpCheck:
    """The verdict on one recorded op."""

    position: int  # 1-based, in topological order from the inputs
    name: str  # the op's name, e.g. "mul", "sigmoid"
    input_shapes: tuple[str, ...]  # "(3, 4)", "scalar", with " const" for a constant operand
    scope: str  # the module path, "MLP/layers.0/A", or ""
    created_at: str | None  # "file:line in function" under record_sites()/detect_anomaly()
    status: str  # "ok", "mismatch", "stale", "skipped"
    detail: str = ""  # what disagrees (or why it was skipped)
    corners: int = 0  # elements at a kink: backward lies between the one-sided differences
    max_error: float = 0.0  # the largest |backward - central difference| (corners left out)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")

    def where(self) -> str:
        if self.created_at:
            return f"created at {self.created_at}"
        return ("created at an unknown place (build the graph inside tinygrad_edu.record_sites() "
                "or detect_anomaly() to record each op's file and line)")

    def describe(self) -> str:
        """Several lines: the op, its inputs, its module path, where it was created, what's
        wrong."""
        lines = [f"op {self.position} '{self.name}' ({self.status})",
                 f"  inputs: {', '.join(self.input_shapes) or 'none'}"]
        if self.scope:
            lines.append(f"  module: {self.scope}")
        lines.append(f"  {self.where()}")
        if self.detail:
            lines.append(f"  {self.detail}")
        return "\n".join(lines)


@dataclass
class GraphReport:
    """What `check_graph` found: `bool(report)` is True when every op agrees.

    `str(report)` names the first op that disagrees (or summarises a clean graph); `checks` holds
    one `OpCheck` per recorded op, inputs first; `failures` the ones that disagree.
    """

    checks: list[OpCheck] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def failures(self) -> list[OpCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def first_failure(self) -> OpCheck | None:
        return next((c for c in self.checks if not c.ok), None)

    @property
    def n_ops(self) -> int:
        return len(self.checks)

    def __bool__(self) -> bool:
        return all(c.ok for c in self.checks)

    def __iter__(self) -> Iterator[OpCheck]:
        return iter(self.checks)

    def __str__(self) -> str:
        tol = f"eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        first = self.first_failure
        if first is None:
            skipped = [c for c in self.checks if c.status == "skipped"]
            corners = sum(c.corners for c in self.checks)
            extra = ""
            if corners:
                extra += (f"; {corners} element(s) sat at a corner (backward between the "
                          "one-sided differences)")
            if skipped:
                extra += f"; {len(skipped)} op(s) skipped (" + ", ".join(
                    sorted({f"{c.name}: {c.detail}" for c in skipped})) + ")"
            return (f"check_graph: all {self.n_ops} op(s) agree with finite differences "
                    f"({tol}){extra}")
        others = self.failures[1:]
        more = ""
        if others:
            more = f"\n{len(others)} more op(s) disagree: " + ", ".join(
                f"op {c.position} '{c.name}'" for c in others[:5]) + (
                ", ..." if len(others) > 5 else "")
        return (f"check_graph: op {first.position} of {self.n_ops}, '{first.name}', disagrees with "
                f"finite differences of that op alone ({tol}):\n{first.describe()}{more}")

    def __repr__(self) -> str:
        return f"<GraphReport {self.n_ops} ops, {len(self.failures)} disagree>"


_ONE = np.ones(1)


def _to64(a: Any) -> Any:
    """A float64 copy of an operand (floats and non-float arrays are kept as they are)."""
    if isinstance(a, np.ndarray):
        return a.astype(np.float64) if a.dtype.kind == "f" else a.copy()
    if isinstance(a, np.floating):
        return float(a)
    return a


def _shape_text(a: Any, constant: bool) -> str:
    text = str(tuple(a.shape)) if isinstance(a, np.ndarray) else "scalar"
    return text + " const" if constant else text


def _scope_text(ctx: Function) -> str:
    return "/".join(s.name for s in getattr(ctx, "scope", ()))


def _size(a: Any) -> int:
    return a.size if isinstance(a, np.ndarray) else 1


def _index_text(flat: int, shape: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, np.unravel_index(flat, shape)))}]" if shape else ""


def _moved(a: Any, direction: np.ndarray, step: float) -> Any:
    if isinstance(a, np.ndarray):
        return a + step * direction.reshape(a.shape)
    return a + step * float(direction[0])


def check_graph(root: Node, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
                max_elements: int = 100, directions: int = 3, seed: int = 0) -> GraphReport:
    """Check each recorded op's `backward` against finite differences of that op alone.

    For every op behind `root` (inputs first), the op's `Function` is re-run in float64 on
    copies of its recorded operands; with a random weighting v of its output, the gradient
    `backward(v)` gives for each input that needs one is compared with central differences of
    s(x) = v · forward(x): element by element for inputs of at most `max_elements` elements, else
    along `directions` random directions.  An element passes when
    |backward - fd| <= atol + rtol·|fd|, or, at a kink (relu at 0, a tie in max), when backward
    lies between the two one-sided differences.  An op whose recorded output no longer matches a
    re-run of its forward is reported "stale" (an operand was modified in place after the
    forward, so backward would use the wrong numbers).  Ops with a surrogate gradient by design
    (`step(surrogate="ste" | "sigmoid")`) are skipped and listed.

    Returns a `GraphReport`; `bool(report)` is True when every op agrees.
    """
    if not isinstance(root, Node):
        raise TypeError(f"check_graph needs a Value or a Tensor, got {type(root).__name__}")
    report = GraphReport(eps=eps, atol=atol, rtol=rtol)
    how = _How(eps, atol, rtol, max_elements, directions, np.random.default_rng(seed))
    with no_grad():
        ops = [n for n in topological_order(root) if n.grad_fn is not None]
        for position, node in enumerate(ops, start=1):
            report.checks.append(_check_op(node, position, how))
    return report


@dataclass
class _How:
    """check_graph's settings, shared by every op: the step, the tolerances, the probes and the
    random numbers (one generator, drawn from op after op)."""

    eps: float
    atol: float
    rtol: float
    max_elements: int
    directions: int
    rng: np.random.Generator


def _check_op(node: Node, position: int, how: _How) -> OpCheck:
    """Re-run one op in float64, call its backward, and compare each input's gradient with
    central differences of v · forward (the steps below, in order)."""
    ctx: Any = node.grad_fn
    args = ctx.raw_args
    shapes = tuple(_shape_text(a, ctx.inputs[i] is None) for i, a in enumerate(args or ()))
    check = OpCheck(position, ctx.name(), shapes, _scope_text(ctx),
                    getattr(ctx, "created_at", None), "ok")
    op = _Rerun(node, ctx)
    skipped = _why_skipped(op, args)
    if skipped or args is None:
        check.status, check.detail = "skipped", skipped
        return check
    x64 = [_to64(a) for a in args]
    try:
        y, c0 = op.forward(x64)
    except Exception as e:  # a forward that cannot be re-run on copies
        check.status, check.detail = "skipped", f"forward could not be re-run ({e})"
        return check
    if not op.matches_record(y):
        check.status = "stale"
        check.detail = ("re-running the forward on the recorded operands gives a different "
                        "output: an operand was modified in place after the op ran, so its "
                        "backward would use the wrong numbers")
        return check
    op.v = float(how.rng.standard_normal()) if op.scalar_engine else how.rng.standard_normal(
        np.shape(y))
    op.s0 = op.reduce(y)
    grads = op.backward(c0)
    if len(grads) != len(args):
        check.status = "mismatch"
        check.detail = (f"backward returned {len(grads)} gradient(s) for {len(args)} "
                        "input(s)")
        return check
    for i, p in enumerate(ctx.inputs):
        if p is not None and not _check_input(check, op, x64, i, grads[i], how):
            return check
    return check


class _Rerun:
    """One recorded op, re-run alone on float64 copies of its operands."""

    def __init__(self, node: Node, ctx: Any) -> None:
        self.node, self.ctx, self.fn = node, ctx, type(ctx)
        self.kwargs = ctx.options
        self.scalar_engine = not isinstance(node.data, np.ndarray)  # a Value: floats throughout
        self.v: Any = None  # the random weighting of the output, drawn once the op is fresh
        self.s0 = 0.0  # v · the re-run output

    def forward(self, values: list[Any]) -> tuple[Any, Function]:
        """The op's forward on `values`, with a fresh ctx that its backward can then read."""
        c = self.fn()
        c.inputs, c.options = self.ctx.inputs, self.kwargs
        c.args = tuple(values)
        c.out = self.fn.forward(c, *values, **self.kwargs)
        return c.out, c

    def matches_record(self, y: Any) -> bool:
        """Whether the re-run output equals the recorded one (else an operand was modified in
        place after the op ran)."""
        recorded = self.node.data
        if self.scalar_engine:
            y, recorded = float(y), float(recorded)
            return y == recorded or abs(y - recorded) <= 1e-9 * (1.0 + abs(recorded)) or (
                y != y and recorded != recorded)
        y_arr = np.asarray(y, dtype=np.float64)
        loose = 1e-4 if recorded.dtype == np.float32 else 1e-9
        return y_arr.shape == recorded.shape and bool(np.allclose(
            y_arr, recorded.astype(np.float64), rtol=loose, atol=loose, equal_nan=True))

    def backward(self, c0: Function) -> tuple[Any, ...]:
        """The op's backward(v) from the context of a re-run, one entry per operand."""
        grads = self.fn.backward(c0, self.v)
        if not isinstance(grads, tuple):
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        return grads

    def s(self, values: list[Any]) -> float:
        """v · forward(values): the op's output reduced to one number."""
        return self.reduce(self.forward(values)[0])

    def reduce(self, out: Any) -> float:
        """v · out."""
        if self.scalar_engine:
            return float(self.v) * float(out)
        return float((self.v * np.asarray(out, dtype=np.float64)).sum())


def _why_skipped(op: _Rerun, args: Any) -> str:
    """Why the op cannot be checked by finite differences, or ""."""
    if args is None:
        return "recorded without its operands"
    surrogate = _SURROGATE.get(op.fn)
    if surrogate is not None and surrogate(op.kwargs):
        return "surrogate gradient by design"
    return ""


def _probes(op: _Rerun, a: Any, how: _How) -> Any:
    """(direction u, label) pairs along which input `a` is checked: every element, or a few
    random unit directions for a large input."""
    n = _size(a)
    if op.scalar_engine:
        return ((_ONE, ""),)
    shape = a.shape if isinstance(a, np.ndarray) else ()
    if n <= how.max_elements:
        return ((np.eye(1, n, k).reshape(-1), _index_text(k, shape)) for k in range(n))
    return ((u / np.linalg.norm(u), f" along random direction {d + 1}")
            for d, u in enumerate(how.rng.standard_normal((how.directions, n))))


def _flat_gradient(g: Any, a: Any) -> np.ndarray | str:
    """The gradient backward gave for input `a`, flat in float64, or why it does not fit."""
    shape = a.shape if isinstance(a, np.ndarray) else ()
    if g is None:
        return np.zeros(_size(a))
    g_arr = np.asarray(getattr(g, "data", g), dtype=np.float64)
    if g_arr.shape != shape:
        try:  # a broadcasting op may return the broadcast shape: sum it back
            g_arr = sum_to(g_arr, shape)
        except ValueError:
            return f"a gradient of shape {g_arr.shape}"
    return g_arr.reshape(-1)


def _check_input(check: OpCheck, op: _Rerun, x64: list[Any], i: int, g: Any,
                 how: _How) -> bool:
    """Compare input i's gradient with central differences along each probe; False (and
    `check` marked "mismatch") at the first disagreement."""
    a = x64[i]
    g_flat = _flat_gradient(g, a)
    if isinstance(g_flat, str):
        shape = a.shape if isinstance(a, np.ndarray) else ()
        check.status = "mismatch"
        check.detail = f"backward returned {g_flat} for input {i} of shape {shape}"
        return False
    s0 = op.s0

    def s_at(u: np.ndarray, t: float) -> float:
        """v · forward with input i moved by t·u."""
        return op.s(x64[:i] + [_moved(a, u, t)] + x64[i + 1:])

    eps, atol, rtol = how.eps, how.atol, how.rtol
    for u, label in _probes(op, a, how):
        bp = float(g_flat @ u)
        fd = float(numerical_gradient(lambda t, u=u: s_at(u, t), 0.0, eps))
        if not (math.isfinite(fd) and math.isfinite(s0)):
            continue  # no finite difference to compare with (log near 0, overflow)
        err = abs(bp - fd)
        if err <= atol + rtol * abs(fd):
            check.max_error = max(check.max_error, err)
            continue
        if _at_a_corner(bp, s_at(u, eps), s0, s_at(u, -eps), eps, atol, rtol):
            check.corners += 1  # a kink: any value between the one-sided slopes is fair
            continue
        check.max_error = err if err == err else float("inf")
        check.status = "mismatch"
        check.detail = (f"d(v·output)/d input {i}{label}: backward gives {bp:.10g}, "
                        f"finite differences give {fd:.10g} (difference {err:.3g} > "
                        f"atol + rtol*|fd| = {atol + rtol * abs(fd):.3g})")
        return False
    return True


def _at_a_corner(bp: float, sp: float, s0: float, sm: float, eps: float, atol: float,
                 rtol: float) -> bool:
    """Whether the one-sided slopes differ (a kink) and backward lies between them."""
    right, left = (sp - s0) / eps, (s0 - sm) / eps
    tol = atol + rtol * max(abs(right), abs(left))
    return abs(right - left) > tol and min(right, left) - tol <= bp <= max(right, left) + tol
