"""Gradient checks: backpropagation against central finite differences, in float64.

The derivative of f at x along one coordinate is approximated by
(f(x + ε) - f(x - ε)) / 2ε, whose error shrinks like ε² (§2-6, §2-7); comparing it with what
`backward` computes proves a derivative rule, the way the book checks its δ formulas.
`numerical_gradient` is that difference, the one routine every check and test uses;
`gradcheck` and `gradgradcheck` compare it with backprop's first and second derivatives.
"""

from __future__ import annotations

import warnings
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from ..engine import Node, no_grad
from ..habits import Value
from ..habits import Tensor


# ----------------------------------------------------------------------------------------------
# the derivative's definition, by numbers
# ----------------------------------------------------------------------------------------------


def numerical_gradient(f: Callable[..., Any], x: Any, eps: float = 1e-6, *,
                       order: int = 2) -> Any:
    """∂f/∂x by central differences, one element of x at a time, in float64 (§2-6, §2-7).

    The derivative's definition with a small step ε on both sides:
        order=2:  (f(x + ε) - f(x - ε)) / 2ε,  error O(ε²)
        order=4:  (f(x - 2ε) - 8 f(x - ε) + 8 f(x + ε) - f(x + 2ε)) / 12ε,  error O(ε⁴)
    `x` is a number or an array (f(x) is called), a list or tuple of them (f(*x)), or a dict
    name -> array such as the book's parameters (f(x) with the dict).  Each is copied to float64
    and moved one element at a time (a number stays a float for f); the caller's arrays are not
    touched.  `f` returns a number or an array.

    Returns the same structure as `x`: for each array, an array of shape x.shape + f's shape
    whose entry [i] is ∂f/∂x[i] (for an array-valued f, the column i of the Jacobian).  A
    directional derivative, or a Hessian-vector product by differences of gradients, is the
    derivative in t at 0 of f(x + t·u): `numerical_gradient(lambda t: f(x + t * u), 0.0)`.
    """
    if order not in (2, 4):
        raise ValueError(f"numerical_gradient: order must be 2 or 4 (the error O(eps^order)), "
                         f"got {order!r}")
    if isinstance(x, dict):
        named = {key: _float64_copy(value) for key, value in x.items()}
        grads = _differences(lambda: f(named), list(named.values()), eps, order)
        return dict(zip(named, grads))
    several = isinstance(x, (list, tuple))
    arrays = [_float64_copy(a) for a in (x if several else [x])]
    numbers = [not isinstance(a, np.ndarray) for a in (x if several else [x])]

    def call() -> Any:
        args = [float(a) if number else a for a, number in zip(arrays, numbers)]
        return f(*args) if several else f(args[0])

    grads = _differences(call, arrays, eps, order)
    return grads if several else grads[0]


def _float64_copy(a: Any) -> np.ndarray:
    return np.array(a, dtype=np.float64)


def _differences(call: Callable[[], Any], arrays: list[np.ndarray], eps: float,
                 order: int) -> list[np.ndarray]:
    """For each array, call()'s derivative in each element, moving that element in place."""
    grads = []
    for a in arrays:
        columns = [_central(_moving(call, a, index), eps, order) for index in np.ndindex(a.shape)]
        tail = columns[0].shape if columns else ()
        grads.append(np.array(columns, dtype=np.float64).reshape(a.shape + tail))
    return grads


def _moving(call: Callable[[], Any], a: np.ndarray, index: tuple[int, ...]
            ) -> Callable[[float], np.ndarray]:
    """t -> call() with a[index] moved by t (restored afterwards)."""
    def moved(t: float) -> np.ndarray:
        old = a[index]
        a[index] = old + t
        try:
            return np.asarray(call(), dtype=np.float64)
        finally:
            a[index] = old
    return moved


def _central(g: Callable[[float], np.ndarray], eps: float, order: int) -> np.ndarray:
    """dg/dt at t = 0 by the central difference of the given order."""
    if order == 2:
        slope: np.ndarray = (g(eps) - g(-eps)) / (2 * eps)
    else:
        slope = (g(-2 * eps) - 8 * g(-eps) + 8 * g(eps) - g(2 * eps)) / (12 * eps)
    return slope


# ----------------------------------------------------------------------------------------------
# first order: backprop against the differences
# ----------------------------------------------------------------------------------------------


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


def _output(f: Callable[..., Any], leaves: Sequence[Any]) -> Node:
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


def _output_at(f: Callable[..., Any], leaves: list[Any], nodes: Sequence[Node]
               ) -> Callable[..., np.ndarray]:
    """data -> f's output (flat, float64, no graph) with each node's data replaced by `data`."""
    def at(*data: Any) -> np.ndarray:
        saved = [x.data for x in nodes]
        _restore(nodes, data)
        try:
            with no_grad():
                return _flat(_output(f, leaves))
        finally:
            _restore(nodes, saved)
    return at


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
    jac = _backprop_jacobian(out, nodes, n_out)
    # finite differences: column i of the Jacobian (d out / d input[i]) from two evaluations
    columns = numerical_gradient(_output_at(f, leaves, nodes), [x.data for x in nodes], eps)
    for k, (index, x) in enumerate(checked):
        for i, column in enumerate(columns[k].reshape(-1, n_out)):
            for j in range(n_out):
                problem = _disagreement(jac[k][j, i], column[j], atol, rtol)
                if problem:
                    raise GradcheckError(f"gradcheck: d {_output_text(out, j, n_out)} / "
                                         f"d {_name(index, x)}{_index_text(x, i)}: {problem}")
    return True


def _backprop_jacobian(out: Node, nodes: Sequence[Node], n_out: int) -> list[np.ndarray]:
    """For each node, d out / d node as (output elements, node elements): row j of every
    Jacobian from one backward with a one-hot output gradient."""
    jac = [np.zeros((n_out, _leaf_grad(x).size)) for x in nodes]
    for j in range(n_out):
        onehot = np.zeros(n_out)
        onehot[j] = 1.0
        for k, row in enumerate(_backward_rows(out, nodes, onehot)):
            jac[k][j] = row
    _zero(nodes)
    return jac


def _index_text(x: Node, flat_index: int) -> str:
    """"[i, j]" for element flat_index of a Tensor, "" for a Value."""
    if isinstance(x, Value) or not x.data.shape:
        return ""
    return f"[{', '.join(map(str, np.unravel_index(flat_index, x.data.shape)))}]"


def _output_text(out: Node, j: int, n_out: int) -> str:
    if n_out == 1:
        return "the output"
    return f"output[{', '.join(map(str, np.unravel_index(j, out.data.shape)))}]"


def _check_fast(f: Callable[..., Any], leaves: list[Any], nodes: list[Node], out: Node, n_out: int,
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

    fd = float(numerical_gradient(along, 0.0, eps))
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


def _first_grads(f: Callable[..., Any], leaves: list[Any], nodes: list[Node], v: np.ndarray,
                 create_graph: bool) -> list[Any]:
    """The gradients of v · f(leaves) with respect to each node (graph values or raw numbers)."""
    from ..engine import enable_grad, grad

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
    leaves, checked = _prepare(inputs, "gradgradcheck")
    rng = np.random.default_rng(seed)
    with no_grad():
        n_out = _flat(_output(f, leaves)).size
    G = _FirstDerivative(f, leaves, checked, _output_weighting(grad_outputs, n_out, rng))
    if fast_mode:
        return _check_second_fast(G, eps, atol, rtol, rng, seed)
    hess = np.stack([G.backprop(np.eye(G.n)[j]) for j in range(G.n)])  # row j: d G_j / d x
    columns = numerical_gradient(G.at, np.zeros(G.n), eps)  # row i: d G / d x_i
    for i in range(G.n):
        for j in range(G.n):
            problem = _disagreement(hess[j, i], columns[i, j], atol, rtol)
            if problem:
                raise GradcheckError(f"gradgradcheck: d/d {G.where(i)} of the gradient for "
                                     f"{G.where(j)}: {problem}")
    return True


def _output_weighting(grad_outputs: Any, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """v of G(x) = d(v · f(x))/dx: `grad_outputs` flattened, or a seeded random one."""
    v = rng.standard_normal(n_out) if grad_outputs is None else \
        np.asarray(getattr(grad_outputs, "data", grad_outputs), dtype=np.float64).reshape(-1)
    if v.size != n_out:
        raise ValueError(f"gradgradcheck: grad_outputs has {v.size} element(s), f's output "
                         f"has {n_out}")
    return v


class _FirstDerivative:
    """G(x) = d(v · f(x))/dx over all checked inputs, as one flat vector of n numbers."""

    def __init__(self, f: Callable[..., Any], leaves: list[Any], checked: list[tuple[int, Node]],
                 v: np.ndarray) -> None:
        self.f, self.leaves, self.checked, self.v = f, leaves, checked, v
        self.nodes = [x for _, x in checked]
        sizes = [1 if isinstance(x, Value) else x.data.size for x in self.nodes]
        self.offsets = np.cumsum([0] + sizes)
        self.n = int(self.offsets[-1])

    def _parts(self, flat: np.ndarray) -> list[np.ndarray]:
        """A flat vector cut into one piece per input."""
        return [flat[self.offsets[k]:self.offsets[k + 1]] for k in range(len(self.nodes))]

    def at(self, step: np.ndarray) -> np.ndarray:
        """G (raw numbers) with all inputs moved by `step`."""
        saved = _perturb_all(self.nodes, self._parts(step))
        try:
            return _flat_grads(_first_grads(self.f, self.leaves, self.nodes, self.v, False),
                               self.nodes)
        finally:
            _restore(self.nodes, saved)

    def backprop(self, w: np.ndarray) -> np.ndarray:
        """w · dG/dx by backprop through the graph of the first derivatives."""
        from ..engine import grad

        gs = _first_grads(self.f, self.leaves, self.nodes, self.v, True)
        total: Any = None
        for g, wk in zip(gs, self._parts(w)):
            if g is None or not g.requires_grad:
                continue  # this part of G does not depend on the inputs
            term = g * float(wk[0]) if isinstance(g, Value) else \
                (g * wk.reshape(g.data.shape)).sum()
            total = term if total is None else total + term
        if total is None:
            return np.zeros(self.n)
        return _flat_grads(grad(total, self.nodes, allow_unused=True), self.nodes)

    def where(self, flat: int) -> str:
        """The input and element of G's entry `flat`, e.g. "input 0 ('W')[1, 2]"."""
        k = int(np.searchsorted(self.offsets, flat, side="right") - 1)
        index, x = self.checked[k]
        return _name(index, x) + _index_text(x, flat - int(self.offsets[k]))


def _check_second_fast(G: _FirstDerivative, eps: float, atol: float, rtol: float,
                       rng: np.random.Generator, seed: int) -> bool:
    """gradgradcheck along one random direction u with one random weighting w."""
    u = rng.standard_normal(G.n)
    u /= np.linalg.norm(u)
    w = rng.standard_normal(G.n)
    bp = float(G.backprop(w) @ u)
    fd = float(w @ numerical_gradient(lambda t: G.at(t * u), 0.0, eps))
    if _disagreement(bp, fd, atol, rtol):
        raise GradcheckError(
            f"gradgradcheck (fast mode, seed {seed}): along a random direction, backprop of "
            f"the gradient gives {bp:.10g}, finite differences of it give {fd:.10g} "
            f"(difference {abs(bp - fd):.3g}); run without fast_mode to find the element")
    return True
