"""Gradient checks: backpropagation against central finite differences, in float64.

The derivative of f at x along one coordinate is approximated by
(f(x + ε) - f(x - ε)) / 2ε, whose error shrinks like ε² (§2-3); comparing it with what
`backward` computes proves a derivative rule, the way the book checks its δ formulas.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .autograd import Node, no_grad
from .tensor import Tensor
from .value import Value


class GradcheckError(AssertionError):
    """A backprop gradient disagrees with finite differences; the message says where."""


def _name(i: int, x: Node) -> str:
    return f"input {i} ({x.label!r})" if x.label else f"input {i}"


def _fresh_leaves(inputs: Sequence[Any]) -> list[Any]:
    """float64 copies of the inputs that take part in the check, as new leaves."""
    leaves: list[Any] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            leaves.append(Value(x.data, label=x.label))
        elif isinstance(x, Tensor):
            if x.dtype != np.float64:
                warnings.warn(f"gradcheck: {_name(i, x)} is {x.dtype}; it is upcast to float64, "
                              "since finite differences in float32 are too coarse to check "
                              "anything", stacklevel=3)
            leaves.append(Tensor(x.data.astype(np.float64), requires_grad=True, label=x.label))
        else:
            leaves.append(x)
    return leaves


def _output(f: Callable, leaves: Sequence[Any]) -> Node:
    out = f(*leaves)
    if not isinstance(out, Node):
        raise TypeError(f"gradcheck: f must return a Value or a Tensor, got {type(out).__name__}")
    return out


def _flat(out: Node) -> np.ndarray:
    return np.array(out.data, dtype=np.float64).ravel()


def _leaf_grad(x: Node) -> np.ndarray:
    g = x.grad
    if isinstance(x, Value):
        return np.array([g], dtype=np.float64)
    size = x.data.size
    return np.zeros(size) if g is None else np.asarray(g, dtype=np.float64).ravel()


def _zero(nodes: Sequence[Node]) -> None:
    for x in nodes:
        x.zero_grad()


def _perturbed(f: Callable, leaves: list[Any], x: Node, flat_index: int, delta: float) -> np.ndarray:
    """f's output with one element of input x moved by delta (restored afterwards)."""
    with no_grad():
        if isinstance(x, Value):
            old = x.data
            x.data = old + delta
            try:
                return _flat(_output(f, leaves))
            finally:
                x.data = old
        view = x.data.reshape(-1)
        old = view[flat_index]
        view[flat_index] = old + delta
        try:
            return _flat(_output(f, leaves))
        finally:
            view[flat_index] = old


def _backward_rows(out: Node, nodes: Sequence[Node], weights: np.ndarray) -> list[np.ndarray]:
    """Each input's gradient of Σ weights · out (one backward pass)."""
    _zero(nodes)
    if isinstance(out, Value):
        out.backward(float(weights[0]))
    else:
        out.backward(weights.reshape(out.data.shape).astype(out.data.dtype))
    return [_leaf_grad(x) for x in nodes]


def gradcheck(f: Callable[..., Node], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, *, fast_mode: bool = False, seed: int = 0) -> bool:
    """Check the backprop gradient of every input of `f` against central finite differences.

    `inputs` is a `Value`, a `Tensor`, or a sequence of them (other items are passed to `f`
    unchanged).  Each is copied to a float64 leaf (float32 warns and is upcast).  By default
    every element of the Jacobian d out[j] / d input[i] is compared: one backward per output
    element, two evaluations of `f` per input element.  With `fast_mode=True` one random
    direction u for the inputs and one random weighting v of the output are compared instead:
    v·J·u from one backward against (v·f(x+εu) - v·f(x-εu)) / 2ε.

    An element passes when |backprop - finite difference| <= atol + rtol·|finite difference|.
    Returns True, or raises `GradcheckError` naming the input, the index and both values.
    """
    single = isinstance(inputs, Node) or not isinstance(inputs, (list, tuple))
    leaves = _fresh_leaves([inputs] if single else list(inputs))
    nodes = [x for x in leaves if isinstance(x, Node)]
    if not nodes:
        raise TypeError("gradcheck: no Value or Tensor among the inputs to check")
    out = _output(f, leaves)
    if not out.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any input "
                             "(no graph was recorded)")
    n_out = out.data.size if isinstance(out, Tensor) else 1
    if fast_mode:
        return _check_fast(f, leaves, nodes, out, n_out, eps, atol, rtol, seed)
    # backprop: row j of the Jacobian from one backward with a one-hot output gradient
    jac = [np.zeros((n_out, _leaf_grad(x).size)) for x in nodes]
    for j in range(n_out):
        onehot = np.zeros(n_out)
        onehot[j] = 1.0
        for k, row in enumerate(_backward_rows(out, nodes, onehot)):
            jac[k][j] = row
    _zero(nodes)
    # finite differences: column i of the Jacobian from two evaluations
    for k, x in enumerate(nodes):
        index = leaves.index(x) if single is False else 0
        shape = () if isinstance(x, Value) else x.data.shape
        for i in range(jac[k].shape[1]):
            column = (_perturbed(f, leaves, x, i, eps) - _perturbed(f, leaves, x, i, -eps)) / (
                2 * eps)
            for j in range(n_out):
                bp, fd = jac[k][j, i], column[j]
                if not abs(bp - fd) <= atol + rtol * abs(fd):
                    where = f"[{', '.join(map(str, np.unravel_index(i, shape)))}]" if shape else ""
                    of = f"output[{', '.join(map(str, np.unravel_index(j, out.data.shape)))}]" \
                        if n_out > 1 else "the output"
                    raise GradcheckError(
                        f"gradcheck: d {of} / d {_name(index, x)}{where}: backprop gives "
                        f"{bp:.10g}, finite differences give {fd:.10g} (difference "
                        f"{abs(bp - fd):.3g} > atol + rtol*|fd| = {atol + rtol * abs(fd):.3g})")
    return True


def _check_fast(f: Callable, leaves: list[Any], nodes: list[Node], out: Node, n_out: int,
                eps: float, atol: float, rtol: float, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n_out)
    directions = [rng.standard_normal(_leaf_grad(x).size) for x in nodes]
    norm = np.sqrt(sum(float(u @ u) for u in directions))
    directions = [u / norm for u in directions]
    rows = _backward_rows(out, nodes, v)
    _zero(nodes)
    bp = float(sum(r @ u for r, u in zip(rows, directions)))

    def along(t: float) -> float:
        saved = [x.data for x in nodes]
        try:
            for x, u in zip(nodes, directions):
                x.data = x.data + t * u[0] if isinstance(x, Value) else \
                    x.data + t * u.reshape(x.data.shape)
            with no_grad():
                return float(v @ _flat(_output(f, leaves)))
        finally:
            for x, d in zip(nodes, saved):
                x.data = d

    fd = (along(eps) - along(-eps)) / (2 * eps)
    if not abs(bp - fd) <= atol + rtol * abs(fd):
        names = ", ".join(_name(i, x) for i, x in enumerate(nodes))
        raise GradcheckError(
            f"gradcheck (fast mode, seed {seed}): along a random direction of {names}, backprop "
            f"gives {bp:.10g}, finite differences give {fd:.10g} (difference {abs(bp - fd):.3g}); "
            "run without fast_mode to find the element")
    return True
