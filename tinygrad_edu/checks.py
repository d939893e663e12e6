"""Gradient checks: backpropagation against central finite differences, in float64.

The derivative of f at x along one coordinate is approximated by
(f(x + ε) - f(x - ε)) / 2ε, whose error shrinks like ε² (§2-3); comparing it with what
`backward` computes proves a derivative rule, the way the book checks its δ formulas.
"""

from __future__ import annotations

import warnings
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from .autograd import Node, no_grad
from .tensor import Tensor
from .value import Value


class GradcheckError(AssertionError):
    """A backprop gradient disagrees with finite differences; the message says where."""


def _name(i: int, x: Node) -> str:
    return f"input {i} ({x.label!r})" if x.label else f"input {i}"


def _disagreement(bp: float, fd: float, atol: float, rtol: float) -> str | None:
    """None when backprop and the finite difference agree (|bp - fd| <= atol + rtol·|fd|, NaN
    never does); else the sentence that gives both values and by how much they differ."""
    tol = atol + rtol * abs(fd)
    if abs(bp - fd) <= tol:
        return None
    return (f"backprop gives {bp:.10g}, finite differences give {fd:.10g} (difference "
            f"{abs(bp - fd):.3g} > atol + rtol*|fd| = {tol:.3g})")


def _prepare(inputs: Any, who: str) -> tuple[list[Any], list[tuple[int, Node]]]:
    """float64 leaves for the inputs, and the (position, node) of those that are checked."""
    single = isinstance(inputs, Node) or not isinstance(inputs, (list, tuple))
    leaves = _fresh_leaves([inputs] if single else list(inputs))
    checked = [(i, x) for i, x in enumerate(leaves) if isinstance(x, Node)]
    if not checked:
        raise TypeError(f"{who}: no Value or Tensor among the inputs to check")
    return leaves, checked


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


def _perturbed(f: Callable, leaves: list[Any], x: Node, flat_index: int,
               delta: float) -> np.ndarray:
    """f's output with one element of input x moved by delta (restored afterwards)."""
    with no_grad():
        if isinstance(x, Value):
            old = x.data
            x.data = old + delta
            try:
                return _flat(_output(f, leaves))
            finally:
                x.data = old
        # written into x's own array at its index: reshape(-1) of a transposed or strided array
        # is a copy, and a perturbation written there would never reach f
        index = np.unravel_index(flat_index, x.data.shape)
        old = x.data[index]
        x.data[index] = old + delta
        try:
            return _flat(_output(f, leaves))
        finally:
            x.data[index] = old


def _perturb_all(nodes: Sequence[Node], step: Sequence[np.ndarray]) -> list[Any]:
    """Move every node by its step; returns the old data to restore."""
    saved = [x.data for x in nodes]
    for x, u in zip(nodes, step):
        x.data = x.data + float(u[0]) if isinstance(x, Value) else x.data + u.reshape(x.data.shape)
    return saved


def _restore(nodes: Sequence[Node], saved: Sequence[Any]) -> None:
    for x, d in zip(nodes, saved):
        x.data = d


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
    leaves, checked = _prepare(inputs, "gradcheck")
    nodes = [x for _, x in checked]
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
    for k, (index, x) in enumerate(checked):
        shape = () if isinstance(x, Value) else x.data.shape
        for i in range(jac[k].shape[1]):
            column = (_perturbed(f, leaves, x, i, eps) - _perturbed(f, leaves, x, i, -eps)) / (
                2 * eps)
            for j in range(n_out):
                problem = _disagreement(jac[k][j, i], column[j], atol, rtol)
                if problem:
                    where = f"[{', '.join(map(str, np.unravel_index(i, shape)))}]" if shape else ""
                    of = f"output[{', '.join(map(str, np.unravel_index(j, out.data.shape)))}]" \
                        if n_out > 1 else "the output"
                    raise GradcheckError(
                        f"gradcheck: d {of} / d {_name(index, x)}{where}: {problem}")
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
        saved = _perturb_all(nodes, [t * u for u in directions])
        try:
            with no_grad():
                return float(v @ _flat(_output(f, leaves)))
        finally:
            _restore(nodes, saved)

    fd = (along(eps) - along(-eps)) / (2 * eps)
    if _disagreement(bp, fd, atol, rtol):
        names = ", ".join(_name(i, x) for i, x in enumerate(nodes))
        raise GradcheckError(
            f"gradcheck (fast mode, seed {seed}): along a random direction of {names}, backprop "
            f"gives {bp:.10g}, finite differences give {fd:.10g} (difference {abs(bp - fd):.3g}); "
            "run without fast_mode to find the element")
    return True


# ----------------------------------------------------------------------------------------------
# second order: the first derivative, differentiated again
# ----------------------------------------------------------------------------------------------


def _first_grads(f: Callable, leaves: list[Any], nodes: list[Node], v: np.ndarray,
                 create_graph: bool) -> list[Any]:
    """The gradients of v · f(leaves) with respect to each node (graph values or raw numbers)."""
    from .autograd import enable_grad, grad

    with enable_grad():
        out = _output(f, leaves)
        if not out.requires_grad:
            raise GradcheckError("gradgradcheck: the output does not depend on any input")
        g_out: Any = float(v[0]) if isinstance(out, Value) else v.reshape(out.data.shape)
        return list(grad(out, nodes, g_out, create_graph=create_graph, allow_unused=True))


def _flat_grads(gs: Sequence[Any], nodes: Sequence[Node]) -> np.ndarray:
    """The first derivatives as one float64 vector (zeros for an input that is not used)."""
    parts = []
    for g, x in zip(gs, nodes):
        size = 1 if isinstance(x, Value) else x.data.size
        if g is None:
            parts.append(np.zeros(size))
        else:
            parts.append(np.asarray(getattr(g, "data", g), dtype=np.float64).reshape(-1))
    return np.concatenate(parts)


def gradgradcheck(f: Callable[..., Node], inputs: Any, grad_outputs: Any = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
                  fast_mode: bool = False, seed: int = 0) -> bool:
    """Check second derivatives: the backprop of the gradient against finite differences of it.

    The first derivative G(x) = d(v · f(x))/dx is computed with `grad(..., create_graph=True)`,
    so it is itself a graph; backpropagating through it gives the second derivatives
    d G_j / d x_i (for a scalar f, the Hessian), which are compared with
    (G(x + ε e_i) - G(x - ε e_i)) / 2ε, every element by default.  `v` is `grad_outputs`
    (a number or an array of f's shape), or a seeded random weighting when None.  With
    `fast_mode=True` one random direction u and one random weighting w are compared:
    w · (dG/dx) u from one backward against (w · G(x + εu) - w · G(x - εu)) / 2ε.

    float64 throughout (float32 inputs warn and are upcast); an element passes when
    |backprop - finite difference| <= atol + rtol·|finite difference|.  Returns True or raises
    `GradcheckError` naming the input pair and both values.
    """
    from .autograd import grad

    leaves, checked = _prepare(inputs, "gradgradcheck")
    nodes = [x for _, x in checked]
    rng = np.random.default_rng(seed)
    with no_grad():
        n_out = _flat(_output(f, leaves)).size
    v = rng.standard_normal(n_out) if grad_outputs is None else \
        np.asarray(getattr(grad_outputs, "data", grad_outputs), dtype=np.float64).reshape(-1)
    if v.size != n_out:
        raise ValueError(f"gradgradcheck: grad_outputs has {v.size} element(s), f's output "
                         f"has {n_out}")
    sizes = [1 if isinstance(x, Value) else x.data.size for x in nodes]
    offsets = np.cumsum([0] + sizes)
    n = int(offsets[-1])

    def G(step: np.ndarray | None = None) -> np.ndarray:
        """The first derivatives (raw numbers) with all inputs moved by `step`."""
        saved = _perturb_all(nodes, [step[offsets[k]:offsets[k + 1]] for k in range(len(nodes))]) \
            if step is not None else None
        try:
            return _flat_grads(_first_grads(f, leaves, nodes, v, False), nodes)
        finally:
            if saved is not None:
                _restore(nodes, saved)

    def second(w: np.ndarray) -> np.ndarray:
        """w · dG/dx by backprop through the graph of the first derivatives."""
        gs = _first_grads(f, leaves, nodes, v, True)
        total: Any = None
        for k, g in enumerate(gs):
            if g is None or not g.requires_grad:
                continue  # this part of G does not depend on the inputs
            wk = w[offsets[k]:offsets[k + 1]]
            term = g * float(wk[0]) if isinstance(g, Value) else \
                (g * wk.reshape(g.data.shape)).sum()
            total = term if total is None else total + term
        if total is None:
            return np.zeros(n)
        return _flat_grads(grad(total, nodes, allow_unused=True), nodes)

    if fast_mode:
        u = rng.standard_normal(n)
        u /= np.linalg.norm(u)
        w = rng.standard_normal(n)
        bp = float(second(w) @ u)
        fd = float(w @ (G(eps * u) - G(-eps * u))) / (2 * eps)
        if _disagreement(bp, fd, atol, rtol):
            raise GradcheckError(
                f"gradgradcheck (fast mode, seed {seed}): along a random direction, backprop of "
                f"the gradient gives {bp:.10g}, finite differences of it give {fd:.10g} "
                f"(difference {abs(bp - fd):.3g}); run without fast_mode to find the element")
        return True

    def where(flat: int) -> str:
        k = int(np.searchsorted(offsets, flat, side="right") - 1)
        index, x = checked[k]
        i = flat - offsets[k]
        name = _name(index, x)
        if isinstance(x, Value):
            return name
        return f"{name}[{', '.join(map(str, np.unravel_index(i, x.data.shape)))}]"

    hess = np.stack([second(np.eye(n)[j]) for j in range(n)])  # row j: d G_j / d x
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        column = (G(e) - G(-e)) / (2 * eps)
        for j in range(n):
            problem = _disagreement(hess[j, i], column[j], atol, rtol)
            if problem:
                raise GradcheckError(
                    f"gradgradcheck: d/d {where(i)} of the gradient for {where(j)}: {problem}")
    return True
