"""Optimizers (§2-11 and beyond): change each parameter against its gradient, PyTorch-style.

    opt = SGD(model.parameters(), lr=0.2)
    for step in range(steps):
        opt.zero_grad()
        C_T = cost(model, X, T)
        C_T.backward()
        opt.step()

Parameters are `Value`s (`.grad` a float) or `Tensor`s (`.grad` an array, or None: skipped).
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .autograd import Node

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Holds the parameters; `zero_grad()` clears their gradients, `step()` updates them."""

    def __init__(self, params: Iterable[Node], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got no parameters to optimise")
        for p in self.params:
            if not isinstance(p, Node):
                raise TypeError(f"{type(self).__name__}: parameters must be Values or Tensors, "
                                f"got {type(p).__name__}")
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got {lr}")
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = p._zero_grad_value  # what p.zero_grad() does, without the call

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _update(p: Node, step: Any) -> None:
    """p <- p - step: in place for a writeable array (as PyTorch does; no copy), else a new
    value (a `Value`'s float, a read-only array)."""
    data = p.data
    if type(data) is np.ndarray and data.flags.writeable:  # step has data's shape (a gradient)
        data -= step
    else:
        p.data = data - step


class SGD(Optimizer):
    """Gradient descent (§2-11): p <- p - η ∂C/∂p, η = `lr`.

    With `momentum` μ > 0 (PyTorch's rule): v <- μ v + ∂C/∂p, p <- p - η v.
    """

    def __init__(self, params: Iterable[Node], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)

    def step(self) -> None:
        lr, mu = self.lr, self.momentum
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if mu:
                v = state.get("v")
                g = g if v is None else mu * v + g
                state["v"] = g
            _update(p, lr * g)


class Adam(Optimizer):
    """Adam (Kingma & Ba): moving averages m, v of the gradient and its square, bias-corrected.

    m <- β1 m + (1-β1) g,  v <- β2 v + (1-β2) g²,  p <- p - η m̂ / (sqrt(v̂) + ε).
    """

    def __init__(self, params: Iterable[Node], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas, self.eps, self.t = (float(b1), float(b2)), float(eps), 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if not state:  # m, v (and, for arrays, a scratch array s): floats or fresh arrays
                state["m"], state["v"], state["s"] = g * 0.0, g * 0.0, g * 0.0
            m, v = state["m"], state["v"]
            if isinstance(m, np.ndarray):
                # our own arrays, updated in place through the scratch array s: no new arrays
                s = state["s"]
                m *= b1
                np.multiply(g, 1.0 - b1, out=s)
                m += s
                v *= b2
                np.multiply(g, g, out=s)
                s *= 1.0 - b2
                v += s
                # lr·m̂/(√v̂ + ε) with m̂ = m/c1, v̂ = v/c2, written as lr·√c2/c1 · m/(√v + ε√c2)
                # (the same number, one array operation fewer)
                root_c2 = math.sqrt(c2)
                np.sqrt(v, out=s)
                s += self.eps * root_c2
                np.divide(m, s, out=s)
                s *= self.lr * root_c2 / c1
                _update(p, s)
            else:
                m = state["m"] = b1 * m + (1.0 - b1) * g
                v = state["v"] = b2 * v + (1.0 - b2) * g * g
                p.data = p.data - self.lr * (m / c1) / (math.sqrt(v / c2) + self.eps)
