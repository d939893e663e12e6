"""Differential property test against PyTorch: random programs, the same numbers.

Hypothesis draws small programs over the public Tensor ops: elementwise + - * / ** (with
broadcasting, with Python numbers and numpy arrays on either side), exp, log, sigmoid, tanh,
relu, leaky_relu, hard_tanh, hard_sigmoid, matmul, sum/mean/max/min (axis, keepdims), reshape,
.T, indexing (slices, integers, integer arrays), concatenate, stack, softmax, log_softmax, over
shapes from 0-d to 4-d, in float64 and float32.  Each program is run by tinygrad_edu and, step
by step the same, by torch (CPU); compared are the output (and its dtype), the first-order
gradients of a random weighting of the output, and in float64 the Hessian-vector products
(grad with create_graph=True, then grad of Σ g·v), against torch's.

Points where the two may rightly differ are not drawn: kinks of relu, leaky_relu, hard_tanh,
hard_sigmoid (PyTorch and tinygrad_edu pick different one-sided slopes there), ties in max/min
(tinygrad_edu shares the gradient equally, torch.amax too but torch.max does not), log and
fractional powers of non-positive numbers, division by numbers near 0, overflow.  Every value
decision is taken on the numbers the program actually produces.

The default run (about 60 programs, derandomized, so the same every time) takes a few
seconds; the run marked slow draws fresh programs, many more.  Skipped without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tinygrad_edu import Tensor, concatenate, grad, stack  # noqa: E402

MAX_SIZE = 48       # elements of any value in a program
MAX_NDIM = 4
MAX_ABS = 1e4       # larger values are not drawn: keeps rounding differences far below the tolerance
SHAPES = [(), (1,), (3,), (4,), (2, 3), (3, 1), (1, 4), (3, 3), (2, 1, 3), (2, 3, 2), (1, 2, 2, 3)]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
# relative-ish tolerances: |ours - torch| <= tol * max(1, max |torch|)
TOL = {np.float64: {"value": 1e-9, "grad": 1e-9, "hvp": 1e-8},
       np.float32: {"value": 2e-4, "grad": 2e-3}}


# ---------------------------------------------------------------------------------------------
# a program: leaves, then steps; each step one op on earlier values, constants or numbers
# ---------------------------------------------------------------------------------------------

@dataclass
class Node:
    """An operand that is a value of the program (a leaf or the result of an earlier step)."""
    ref: int


@dataclass
class Const:
    """A constant numpy array operand (no gradient)."""
    array: np.ndarray


@dataclass
class Step:
    op: str
    operands: list[Any]           # Node, Const or a Python float
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self, i: int) -> str:
        def show(o: Any) -> str:
            if isinstance(o, Node):
                return f"v{o.ref}"
            if isinstance(o, Const):
                return f"const{o.array.shape}"
            return repr(o)
        args = ", ".join(show(o) for o in self.operands)
        extra = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"v{i} = {self.op}({args}{', ' + extra if extra else ''})"


def _torch_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index, dtype=torch.long)
    return index


def _t_reduce(fn: Callable, x: Any, axis: Any, keepdims: bool) -> Any:
    """numpy's reduction rules in torch: axis None reduces every axis (keepdims: all ones)."""
    if axis is None:
        out = fn(x)
        return out.reshape((1,) * x.ndim) if keepdims else out
    return fn(x, dim=axis, keepdim=keepdims)


# name -> (tinygrad_edu, torch); each takes the operands, then the step's params
OPS: dict[str, tuple[Callable, Callable]] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b),
    "exp": (lambda x: x.exp(), torch.exp),
    "log": (lambda x: x.log(), torch.log),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "tanh": (lambda x: x.tanh(), torch.tanh),
    "relu": (lambda x: x.relu(), torch.relu),
    "leaky_relu": (lambda x, slope: x.leaky_relu(slope),
                   lambda x, slope: torch.nn.functional.leaky_relu(x, slope)),
    "hard_tanh": (lambda x: x.hard_tanh(), torch.nn.functional.hardtanh),
    "hard_sigmoid": (lambda x: x.hard_sigmoid(), lambda x: torch.clamp(0.25 * x + 0.5, 0.0, 1.0)),
    "sum": (lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: _t_reduce(torch.sum, x, axis, keepdims)),
    "mean": (lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
             lambda x, axis, keepdims: _t_reduce(torch.mean, x, axis, keepdims)),
    "max": (lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: _t_reduce(torch.amax, x, axis, keepdims)),
    "min": (lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: _t_reduce(torch.amin, x, axis, keepdims)),
    "reshape": (lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape)),
    "T": (lambda x: x.T, lambda x: x.permute(*reversed(range(x.ndim))) if x.ndim > 1 else x),
    "getitem": (lambda x, index: x[index], lambda x, index: x[_torch_index(index)]),
    "concatenate": (lambda a, b, axis: concatenate([a, b], axis=axis),
                    lambda a, b, axis: torch.cat([a, b], dim=axis)),
    "stack": (lambda a, b, axis: stack([a, b], axis=axis),
              lambda a, b, axis: torch.stack([a, b], dim=axis)),
    "softmax": (lambda x, axis: x.softmax(axis=axis), lambda x, axis: torch.softmax(x, dim=axis)),
    "log_softmax": (lambda x, axis: x.log_softmax(axis=axis),
                    lambda x, axis: torch.log_softmax(x, dim=axis)),
}
UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "leaky_relu", "hard_tanh", "hard_sigmoid"]
BINARY = ["add", "sub", "mul", "div", "pow"]
REDUCTIONS = ["sum", "mean", "max", "min"]
# kinks not to draw near, per op: (points, derivative jumps there)
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "hard_tanh": (-1.0, 1.0),
         "hard_sigmoid": (-2.0, 2.0)}


def run(entries: list[Any], dtype: type) -> list[Any]:
    """Every value of the program in torch: a leaf array becomes a leaf, a Step its op."""
    values: list[Any] = []
    for entry in entries:
        if isinstance(entry, np.ndarray):
            values.append(torch.tensor(entry, dtype=TORCH_DTYPE[dtype], requires_grad=True))
            continue
        args = [values[o.ref] if isinstance(o, Node) else torch.from_numpy(o.array)
                if isinstance(o, Const) else o for o in entry.operands]
        values.append(OPS[entry.op][1](*args, **entry.params))
    return values


# ---------------------------------------------------------------------------------------------
# drawing a program, deciding on the numbers it produces
# ---------------------------------------------------------------------------------------------

class Builder:
    """Draws a program step by step, running it on tinygrad_edu as it goes (`values`), so that
    each decision (a domain, a kink, a tie) is taken on the actual numbers.  `entries` is the
    program: a leaf's array or a `Step`, in the order the values are made."""

    def __init__(self, data: Any, dtype: type, seed: int | None = None) -> None:
        self.data, self.dtype = data, dtype
        if seed is None:
            seed = data.draw(st.integers(0, 2 ** 32 - 1), label="seed")
        self.rng = np.random.default_rng(seed)
        self.margin = 1e-4 if dtype is np.float64 else 1e-2
        self.entries: list[Any] = []
        self.values: list[Tensor] = []

    @property
    def leaves(self) -> list[int]:
        return [i for i, e in enumerate(self.entries) if isinstance(e, np.ndarray)]

    # -- helpers ------------------------------------------------------------------------------
    def draw(self, strategy: Any, label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def choice(self, options: list[Any], label: str) -> Any:
        return self.draw(st.sampled_from(options), label)

    def array(self, shape: tuple[int, ...], positive: bool | None = None) -> np.ndarray:
        if positive is None:
            positive = self.draw(st.booleans(), "positive")
        low = 0.3 if positive else -2.0
        return self.rng.uniform(low, 2.0, shape).astype(self.dtype)

    def new_leaf(self, shape: tuple[int, ...], positive: bool | None = None) -> Node:
        array = self.array(shape, positive)
        self.entries.append(array)
        self.values.append(Tensor(array, requires_grad=True))
        return Node(len(self.values) - 1)

    def operand(self, shape: tuple[int, ...], positive: bool | None = None,
                allow_number: bool = True) -> Any:
        """Another operand of this exact shape: an existing value, a new leaf, a constant array
        or (for a 0-d shape, when allowed) a Python number."""
        kinds = ["leaf", "const"] + (["number"] if allow_number else [])
        same = [i for i, v in enumerate(self.values) if v.shape == shape]
        if same:
            kinds.append("value")
        kind = self.choice(kinds, "operand kind")
        if kind == "value":
            return Node(self.choice(same, "value"))
        if kind == "leaf":
            return self.new_leaf(shape, positive)
        if kind == "number":
            return float(self.choice([2.0, -0.5, 3.0, 0.7], "number") if not positive
                         else self.choice([2.0, 0.5, 3.0], "number"))
        return Const(self.array(shape, positive))

    def broadcast_partner(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts against `shape`: a suffix of it, some dims set to 1, maybe
        with a new leading dim."""
        k = self.draw(st.integers(0, len(shape)), "suffix length")
        out = [d if not self.draw(st.booleans(), "to one") else 1 for d in shape[len(shape) - k:]]
        if len(shape) < MAX_NDIM and self.draw(st.booleans(), "new leading dim") and \
                2 * int(np.prod(shape)) <= MAX_SIZE and k == len(shape):
            out = [2] + out
        return tuple(out)

    def near(self, x: np.ndarray, points: tuple[float, ...]) -> bool:
        return any(np.any(np.abs(x - p) < self.margin * max(1.0, abs(p))) for p in points)

    def has_ties(self, x: np.ndarray, axis: Any) -> bool:
        if x.ndim == 0:
            return False
        axes = tuple(range(x.ndim)) if axis is None else \
            tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
        rest = [a for a in range(x.ndim) if a not in axes]
        rows = np.transpose(x, rest + list(axes)).reshape(int(np.prod([x.shape[a] for a in rest])),
                                                          -1)
        gaps = np.diff(np.sort(rows, axis=1), axis=1)
        scale = max(1.0, float(np.abs(x).max()))
        return gaps.size > 0 and bool(gaps.min() < self.margin * scale)

    def axis(self, ndim: int, label: str) -> int:
        return self.draw(st.integers(-ndim, ndim - 1), label)

    # -- one step -----------------------------------------------------------------------------
    def add_step(self, step: Step) -> bool:
        """Run the step on tinygrad_edu's values; keep it when its result is usable."""
        args = [self.values[o.ref] if isinstance(o, Node) else o.array if isinstance(o, Const)
                else o for o in step.operands]
        with np.errstate(all="ignore"):
            out = OPS[step.op][0](*args, **step.params)
        data = np.asarray(out.data, dtype=np.float64)
        if data.size > MAX_SIZE or data.size == 0 or not np.all(np.isfinite(data)) or \
                np.abs(data).max() > MAX_ABS:
            return False
        self.entries.append(step)
        self.values.append(out)
        return True

    def step(self) -> bool:
        last = len(self.values) - 1
        ref = last if self.draw(st.booleans(), "use the latest") else \
            self.draw(st.integers(0, last), "value")
        x = self.values[ref]
        v = np.asarray(x.data, dtype=np.float64)
        shape, ndim = x.shape, x.ndim
        op = self.choice(list(OPS), "op")
        if op in UNARY:
            if op == "exp" and v.max() > 8 or op == "log" and v.min() < 0.05:
                return False
            if op in KINKS and self.near(v, KINKS[op]):
                return False
            params = {"slope": self.choice([0.01, 0.2], "slope")} if op == "leaky_relu" else {}
            return self.add_step(Step(op, [Node(ref)], params))
        if op in BINARY:
            return self.binary(op, ref, v)
        if op in REDUCTIONS:
            axes: list[Any] = [None] + (list(range(-ndim, ndim)) if ndim else [])
            if ndim >= 2:
                axes.append((0, ndim - 1))
            axis = self.choice(axes, "axis")
            if op in ("max", "min") and self.has_ties(v, axis):
                return False
            return self.add_step(Step(op, [Node(ref)], {"axis": axis, "keepdims": self.draw(
                st.booleans(), "keepdims")}))
        if op == "reshape":
            n = v.size
            divisor = self.choice([d for d in range(1, n + 1) if n % d == 0], "divisor")
            targets = [(-1,), tuple(reversed(shape)), (1,) + shape, (divisor, -1),
                       (n // divisor, divisor), tuple(d for d in shape if d != 1)]
            if n == 1:
                targets.append(())
            target = self.choice([t for t in targets if len(t) <= MAX_NDIM], "shape")
            return self.add_step(Step(op, [Node(ref)], {"shape": target}))
        if op == "T":
            return self.add_step(Step(op, [Node(ref)]))
        if op == "getitem":
            return ndim > 0 and self.add_step(Step(op, [Node(ref)], {"index": self.index(shape)}))
        if op in ("softmax", "log_softmax"):
            return ndim > 0 and self.add_step(Step(op, [Node(ref)], {"axis": self.axis(ndim,
                                                                                        "axis")}))
        if op == "concatenate":
            if ndim == 0:
                return False
            axis = self.axis(ndim, "axis")
            other = list(shape)
            other[axis] = self.draw(st.integers(1, 3), "length")
            partner = Node(ref) if self.draw(st.booleans(), "with itself") else \
                self.operand(tuple(other), allow_number=False)
            return self.add_step(Step(op, self.ordered(Node(ref), partner), {"axis": axis}))
        if op == "stack":
            if ndim >= MAX_NDIM:
                return False
            partner = Node(ref) if self.draw(st.booleans(), "with itself") else \
                self.operand(shape, allow_number=False)
            return self.add_step(Step(op, self.ordered(Node(ref), partner),
                                      {"axis": self.draw(st.integers(-ndim - 1, ndim), "axis")}))
        if op == "matmul":
            return self.matmul(ref, shape)
        raise AssertionError(op)

    def ordered(self, a: Any, b: Any) -> list[Any]:
        return [a, b] if self.draw(st.booleans(), "this value first") else [b, a]

    def binary(self, op: str, ref: int, v: np.ndarray) -> bool:
        partner_shape = self.broadcast_partner(v.shape)
        first = self.draw(st.booleans(), "this value first")
        number_ok = partner_shape == () or self.draw(st.booleans(), "a number instead")
        if op == "div" and not first and np.abs(v).min() < 0.2:
            return False  # this value would be the denominator
        if op == "pow":
            if first:  # v ** exponent
                if self.draw(st.booleans(), "a number exponent"):
                    c = self.choice([2, 3, 0, 1, 2.0, 0.5, 1.5, -1, -2, 2.5], "exponent")
                    if (float(c) != int(c) and v.min() < 0.2) or (c < 0 and
                                                                np.abs(v).min() < 0.2):
                        return False
                    return self.add_step(Step(op, [Node(ref), c]))
                if v.min() < 0.2:
                    return False
                return self.add_step(Step(op, [Node(ref), self.operand(partner_shape)]))
            if np.abs(v).max() > 20:
                return False
            base = self.choice([2.0, 0.5, 3.0], "base") if number_ok else \
                self.operand(partner_shape, positive=True, allow_number=False)
            return self.add_step(Step(op, [base, Node(ref)]))
        if number_ok and self.draw(st.booleans(), "use a number"):
            other: Any = self.choice([2.0, -0.5, 3.0, 0.7], "number")
        else:
            other = self.operand(partner_shape, positive=(op == "div" and first) or None,
                                 allow_number=False)
            if op == "div" and first:
                d = self.values[other.ref].data if isinstance(other, Node) else \
                    getattr(other, "array", None)
                if d is not None and np.abs(np.asarray(d, dtype=np.float64)).min() < 0.2:
                    return False
        return self.add_step(Step(op, [Node(ref), other] if first else [other, Node(ref)]))

    def matmul(self, ref: int, shape: tuple[int, ...]) -> bool:
        ndim = len(shape)
        if ndim == 0 or ndim > 3:
            return False
        n = self.draw(st.integers(1, 4), "new dim")
        vector = self.draw(st.booleans(), "a vector")
        if self.draw(st.booleans(), "this value on the left") or ndim == 3:
            k = shape[-1]  # (..., k) @ (k,) or (k, n)
            other = self.operand((k,) if vector else (k, n), allow_number=False)
            return self.add_step(Step("matmul", [Node(ref), other]))
        k = shape[0]  # (k,) or (n, k) @ this value, (k,) or (k, m)
        other = self.operand((k,) if vector else (n, k), allow_number=False)
        return self.add_step(Step("matmul", [other, Node(ref)]))

    def index(self, shape: tuple[int, ...]) -> Any:
        kind = self.choice(["slices", "integer", "array", "array 2-d", "slice then array",
                            "two arrays"], "index kind")
        if kind == "slices":
            parts = []
            for d in shape[:self.draw(st.integers(1, len(shape)), "sliced axes")]:
                start = self.draw(st.integers(0, d - 1), "start")
                stop = self.draw(st.integers(start + 1, d), "stop")
                parts.append(slice(start, stop, self.choice([1, 2], "step")))
            return tuple(parts)
        if kind == "integer":
            return self.draw(st.integers(-shape[0], shape[0] - 1), "integer")
        picks = lambda d, size: self.rng.integers(0, d, size=size)  # noqa: E731 - repeats allowed
        if kind == "array":
            return picks(shape[0], self.draw(st.integers(1, 4), "picks"))
        if kind == "array 2-d":
            return picks(shape[0], (2, 2))
        if len(shape) < 2:
            return picks(shape[0], 3)
        if kind == "slice then array":
            return (slice(None), picks(shape[1], self.draw(st.integers(1, 3), "picks")))
        size = self.draw(st.integers(1, 3), "picks")
        return (picks(shape[0], size), picks(shape[1], size))

    def build(self) -> Builder:
        self.new_leaf(self.choice(SHAPES, "first shape"))
        wanted = self.draw(st.integers(2, 6), "steps")
        for _ in range(4 * wanted):  # a step refused (a domain, a kink, a tie) is drawn again
            if len(self.entries) - len(self.leaves) >= wanted:
                break
            self.step()
        if len(self.leaves) == len(self.entries):  # no step was usable: one that always is
            self.add_step(Step("tanh", [Node(len(self.values) - 1)]))
        return self

    def listing(self) -> str:
        return "\n".join(
            f"v{i} = Tensor({self.dtype.__name__} {e.shape}, requires_grad=True)"
            if isinstance(e, np.ndarray) else e.describe(i) for i, e in enumerate(self.entries))


# ---------------------------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------------------------

def close(what: str, ours: Any, theirs: Any, tol: float, dtype: type) -> None:
    """`ours` (an array or a Tensor; None for an input not used: zeros) against torch's
    `theirs`, to tol · max(1, max |theirs|), the dtype included."""
    want = theirs.detach().numpy()
    got = np.zeros_like(want) if ours is None else np.asarray(getattr(ours, "data", ours))
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch gives {want.shape}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype}, torch gives {want.dtype}"
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def compare(b: Builder) -> None:
    """Run `b`'s program in torch; compare the output, the gradients and (float64) the
    Hessian-vector products."""
    dtype, tol = b.dtype, TOL[b.dtype]
    t_values = run(b.entries, dtype)
    leaves = b.leaves
    ours, theirs = [b.values[i] for i in leaves], [t_values[i] for i in leaves]
    out, t_out = b.values[-1], t_values[-1]
    close("output", out, t_out, tol["value"], dtype)

    def zeros_for_none(gs: Any) -> list[Any]:
        return [torch.zeros(x.shape, dtype=x.dtype) if g is None else g for g, x in zip(gs, theirs)]

    w = b.rng.standard_normal(out.shape).astype(dtype)
    ours_g = grad(out, ours, w, allow_unused=True)
    theirs_g = zeros_for_none(torch.autograd.grad(t_out, theirs, torch.from_numpy(w),
                                                  allow_unused=True, retain_graph=True))
    for i, g, tg in zip(leaves, ours_g, theirs_g):
        close(f"gradient of leaf v{i}", g, tg, tol["grad"], dtype)
    if dtype is not np.float64:
        return

    vs = [b.rng.standard_normal(x.shape) for x in ours]
    first = grad(out, ours, w, create_graph=True, allow_unused=True)
    terms = [(g * v).sum() for g, v in zip(first, vs) if g is not None and g.requires_grad]
    ours_hv = grad(sum(terms[1:], terms[0]), ours, allow_unused=True) if terms else \
        [None] * len(ours)
    t_first = torch.autograd.grad(t_out, theirs, torch.from_numpy(w), create_graph=True,
                                  allow_unused=True)
    t_terms = [(g * torch.from_numpy(v)).sum() for g, v in zip(t_first, vs)
               if g is not None and g.requires_grad]
    theirs_hv = zeros_for_none(torch.autograd.grad(sum(t_terms), theirs, allow_unused=True)
                               if t_terms else [None] * len(theirs))
    for i, h, th in zip(leaves, ours_hv, theirs_hv):
        close(f"Hessian-vector product for leaf v{i}", h, th, tol["hvp"], dtype)


def check_program(data: Any, dtype: type) -> None:
    b = Builder(data, dtype).build()
    note(b.listing())
    compare(b)


DTYPES = st.sampled_from([np.float64, np.float64, np.float32])
COMMON = dict(deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])


@settings(max_examples=60, derandomize=True, report_multiple_bugs=False, **COMMON)
@given(data=st.data(), dtype=DTYPES)
def test_random_programs_agree_with_torch(data, dtype):
    check_program(data, dtype)


@pytest.mark.slow
@settings(max_examples=1000, **COMMON)
@given(data=st.data(), dtype=DTYPES)
def test_many_more_random_programs_agree_with_torch(data, dtype):
    check_program(data, dtype)


# ---------------------------------------------------------------------------------------------
# the comparison can fail: a wrong value, a wrong slope, a wrong curvature are each found
# ---------------------------------------------------------------------------------------------

WRONG_TANH = {  # tinygrad_edu's tanh made wrong in one respect only
    "output": lambda x: x.tanh() + 1e-6,
    "gradient of leaf v0": lambda x: x.tanh() + 1e-3 * (x - x.detach()),
    "Hessian-vector product for leaf v0": lambda x: x.tanh() + 1e-3 * (x - x.detach()) ** 2,
}


def _tanh_program() -> Builder:
    b = Builder(None, np.float64, seed=0)
    b.new_leaf((2, 3), positive=False)
    assert b.add_step(Step("tanh", [Node(0)]))
    return b


@pytest.mark.parametrize("what", list(WRONG_TANH))
def test_a_wrong_value_slope_or_curvature_is_found(what, monkeypatch):
    with monkeypatch.context() as m:
        m.setitem(OPS, "tanh", (WRONG_TANH[what], OPS["tanh"][1]))
        wrong = _tanh_program()
    with pytest.raises(AssertionError, match=what):
        compare(wrong)
    compare(_tanh_program())  # the real tanh passes
