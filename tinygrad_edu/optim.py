"""Optimizers (§2-11 and beyond): change each parameter against its gradient, PyTorch-style.

    opt = SGD(model.parameters(), lr=0.2)
    for step in range(steps):
        opt.zero_grad()
        C_T = cost(model, X, T)
        C_T.backward()
        opt.step()

Parameters are `Value`s (`.grad` a float) or `Tensor`s (`.grad` an array, or None: skipped).
`params` is a list (or any iterable) of them, or one `Value`/`Tensor` alone (PyTorch refuses a
lone tensor; here it is one parameter).  A parameter given twice is kept once: it is one variable,
and its gradient already sums every place it is used.  The settings live in
`opt.param_groups[0]` (one group: `opt.param_groups[0]["lr"] = 0.01` works, as `opt.lr = 0.01`
does), and `state_dict()` / `load_state_dict()` save and restore them with the optimizer's state
in PyTorch's layout.  The schedulers of `optim.lr_scheduler` (`StepLR`, `ExponentialLR`,
`CosineAnnealingLR`) change the learning rate from epoch to epoch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

from .engine import Node

__all__ = ["Optimizer", "zero_grads", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler", "StepLR",
           "ExponentialLR", "CosineAnnealingLR"]


def _parameter_list(params: Iterable[Node] | Node, who: str) -> list[Node]:
    """The parameters as a list, each once: one `Value`/`Tensor` alone is one parameter."""
    if isinstance(params, Node):
        params = [params]
    elif isinstance(params, dict):
        raise TypeError(f"{who}: got a dict; give a list of parameters (model.parameters()); "
                        "parameter groups are not supported")
    unique: list[Node] = []
    seen: set[int] = set()
    for p in params:  # a single Node became a list above
        if isinstance(p, dict):
            raise TypeError(f"{who}: parameter groups (dicts) are not supported; give one list "
                            "of parameters and set the options once")
        if not isinstance(p, Node):
            raise TypeError(f"{who}: parameters must be Values or Tensors, got "
                            f"{type(p).__name__}")
        if id(p) not in seen:
            seen.add(id(p))
            unique.append(p)
    if not unique:
        raise ValueError(f"{who} got no parameters to optimise")
    return unique


def zero_grads(params: Iterable[Node], set_to_none: bool = True) -> None:
    """Forget the parameters' gradients before the next `backward`: a `Tensor`'s becomes None
    and a `Value`'s 0.0; with `set_to_none=False` a Tensor's gradient array is kept and filled
    with 0s in place (a Tensor without one keeps None), as PyTorch's
    `zero_grad(set_to_none=False)`."""
    for p in params:
        g = p.grad
        if set_to_none or not isinstance(g, np.ndarray):
            p.zero_grad()
        elif g.flags.writeable:
            g[...] = 0.0
        else:  # a read-only view handed on by an op: a fresh array instead
            p.grad = np.zeros_like(g)


def _descend(p: Node, step: Any) -> None:
    """p <- p - step: in place for a writeable array (as PyTorch does: no new array for p), else
    a new value (a `Value`'s float, a read-only array)."""
    data = p.data
    if isinstance(data, np.ndarray) and data.flags.writeable:
        p.data -= step  # through the property: the Tensor's version counter sees the change
    else:
        p.data = data - step


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


class Optimizer:
    """Holds the parameters; `zero_grad()` clears their gradients, `step()` updates them.

    A subclass passes its settings (the learning rate `lr` and the rest) as keyword arguments;
    they are kept in `param_groups[0]`, and `step()` reads them from there.
    """

    def __init__(self, params: Iterable[Node] | Node, **settings: Any) -> None:
        who = type(self).__name__
        self.params = _parameter_list(params, who)
        lr = settings["lr"]
        if not lr > 0:
            raise ValueError(f"{who}: learning rate must be > 0, got {lr}")
        weight_decay = settings.get("weight_decay", 0.0)
        if not weight_decay >= 0:
            raise ValueError(f"{who}: weight_decay must be >= 0, got {weight_decay}")
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, **settings}]
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    @property
    def lr(self) -> float:
        """The learning rate η, `param_groups[0]["lr"]` (a scheduler changes it)."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        self.param_groups[0]["lr"] = float(value)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: 0.0 for a `Value`, None for a `Tensor` (or an
        array of 0s with `set_to_none=False`, see `zero_grads`)."""
        zero_grads(self.params, set_to_none)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- saving and restoring (PyTorch's layout) ----------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {i: {name: value}}, "param_groups": [{setting: value, "params": [0..n-1]}]}
        as PyTorch writes it; parameter i is the i-th of `params`.  Arrays are copies."""
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        group["params"] = list(range(len(self.params)))
        return {"state": {i: {k: _copy(v) for k, v in s.items() if not k.startswith("_")}
                          for i, s in enumerate(self.state) if s},
                "param_groups": [group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and state saved by `state_dict()` of an optimizer of the same kind
        over parameters of the same shapes; refuses anything else, naming it, unchanged."""
        who = f"{type(self).__name__}.load_state_dict"
        try:
            (group,) = state_dict["param_groups"]
            saved = state_dict["state"]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{who}: expected {{'state': ..., 'param_groups': [one group]}} as "
                             "state_dict() gives it") from None
        n = len(self.params)
        if list(group.get("params", ())) != list(range(n)):
            raise ValueError(f"{who}: the saved optimizer had {len(group.get('params', ()))} "
                             f"parameters, this one has {n}")
        settings = set(self.param_groups[0]) - {"params"}
        if set(group) - {"params"} != settings:
            raise ValueError(f"{who}: settings {sorted(set(group) - {'params'})} do not match "
                             f"{type(self).__name__}'s {sorted(settings)}")
        state: list[dict[str, Any]] = [{} for _ in self.params]
        for i, entries in saved.items():
            i = int(i)
            if not 0 <= i < n:
                raise ValueError(f"{who}: state for parameter {i}, but there are only {n}")
            for name, value in entries.items():
                if np.ndim(value) and np.shape(value) != np.shape(self.params[i].data):
                    raise ValueError(f"{who}: {name} of parameter {i} has shape "
                                     f"{np.shape(value)}, the parameter "
                                     f"{np.shape(self.params[i].data)}")
                state[i][name] = _copy(value)
        self.param_groups[0].update({k: v for k, v in group.items() if k != "params"})
        self.state = state


class SGD(Optimizer):
    """Gradient descent (§2-11): p <- p - η g with g = ∂C/∂p and η = `lr`.

    As in PyTorch (without its `dampening`):
    * `weight_decay` λ: g <- g + λ p (the gradient of the penalty ½ λ p² added to the cost);
    * `momentum` μ: v <- μ v + g (v starts at 0), then g <- v;
    * `nesterov=True` (needs μ > 0): g <- g + μ v instead, the step looks ahead along v.
    """

    def __init__(self, params: Iterable[Node] | Node, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if nesterov and not momentum > 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        super().__init__(params, lr=float(lr), momentum=float(momentum),
                         weight_decay=float(weight_decay), nesterov=bool(nesterov))

    def step(self) -> None:
        group = self.param_groups[0]
        lr, mu, wd, nesterov = (group["lr"], group["momentum"], group["weight_decay"],
                                group["nesterov"])
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if wd:
                g = g + wd * p.data
            if mu:
                v = state["momentum_buffer"] = mu * state.get("momentum_buffer", 0.0) + g
                g = g + mu * v if nesterov else v
            _descend(p, lr * g)


class Adam(Optimizer):
    """Adam (Kingma & Ba): moving averages m, v of the gradient g and of its square.

    For the t-th step of a parameter p, with β1, β2 = `betas` and η = `lr`:

        m <- β1 m + (1 - β1) g
        v <- β2 v + (1 - β2) g²
        p <- p - η m̂ / (√v̂ + ε),  m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t)

    `weight_decay` λ adds λ p to g first (L2, as PyTorch's Adam); `AdamW` decays p itself.
    The state is PyTorch's: "step" (t), "exp_avg" (m), "exp_avg_sq" (v), per parameter.
    A `Value`'s floats take these three lines as written (in `step`); an array parameter takes
    the same three lines computed in place (`_adam_in_place`, which says why).
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Node] | Node, lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        super().__init__(params, lr=float(lr), betas=(float(b1), float(b2)), eps=float(eps),
                         weight_decay=float(weight_decay))

    def step(self) -> None:
        group = self.param_groups[0]
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if wd and self.decoupled_weight_decay:
                _descend(p, lr * wd * p.data)  # AdamW: p <- (1 - η λ) p
            elif wd:
                g = g + wd * p.data
            t = state["step"] = state.get("step", 0) + 1
            if isinstance(g, np.ndarray):
                _adam_in_place(p, g, state, lr, b1, b2, eps, t)
                continue
            m = state["exp_avg"] = b1 * state.get("exp_avg", 0.0) + (1 - b1) * g
            v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
            _descend(p, lr / (1 - b1 ** t) * m / ((v / (1 - b2 ** t)) ** 0.5 + eps))


def _adam_in_place(p: Node, g: np.ndarray, state: dict[str, Any], lr: float, b1: float,
                   b2: float, eps: float, t: int) -> None:
    """Adam's three lines for an array parameter, computed in place in m, v and one scratch
    array s per parameter, so that a step makes no new arrays:

        m <- β1 m + (1 - β1) g
        v <- β2 v + (1 - β2) g²
        p <- p - η m̂ / (√v̂ + ε),  m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t)

    Why not the formula as written (it makes about ten arrays of the parameter's size per
    step): measured in one process, best of 30 interleaved runs, the optimizer's step on the
    784-128-10 MLP (minibatch 32) takes 325 µs in place and 1100 µs as the formula, while a
    whole training step (forward, backward, step) takes 670 µs with this form: the formula
    would more than double it.  On benchmark W3's 64-128-10 MLP (minibatch 32) the step takes
    52 µs in place, 64 µs as the formula and 62 µs as the formula with m and v updated in place,
    against 171 µs for a whole training step: 7%, where W3 (an epoch within 1.5x hand-written
    numpy) has no room.  On the book's 12-3-2 network the two differ by 2 µs (2% of a
    96 µs step); the in-place form is kept for both, so there is one form for arrays.  A
    `Value`'s floats take the formula itself; tests check both against PyTorch to 1e-12.
    """
    if "exp_avg" not in state:
        state["exp_avg"], state["exp_avg_sq"] = g * 0.0, g * 0.0
    s = state.get("_scratch")  # not saved by state_dict()
    if s is None:
        s = state["_scratch"] = np.empty_like(g)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m *= b1
    np.multiply(g, 1 - b1, out=s)
    m += s  # m <- β1 m + (1 - β1) g
    v *= b2
    np.multiply(g, g, out=s)
    s *= 1 - b2
    v += s  # v <- β2 v + (1 - β2) g²
    # η m̂ / (√v̂ + ε) = η √c2 / c1 · m / (√v + ε √c2), c1 = 1 - β1^t, c2 = 1 - β2^t: the same
    # number, one array operation fewer
    root_c2 = (1 - b2 ** t) ** 0.5
    np.sqrt(v, out=s)
    s += eps * root_c2
    np.divide(m, s, out=s)
    s *= lr * root_c2 / (1 - b1 ** t)
    _descend(p, s)  # p <- p - η m̂ / (√v̂ + ε)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's AdamW:
    p <- (1 - η λ) p before each Adam step, λ = `weight_decay` (0.01 by default)."""

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Node] | Node, lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide the gradient g by the root of a moving average of g².

    For each step, with α = `alpha` and η = `lr`, as PyTorch's RMSprop:

        v <- α v + (1 - α) g²                   (v starts at 0)
        p <- p - η g / (√v + ε)

    `centered=True` also keeps the moving average ḡ of g and divides by √(v - ḡ²) + ε;
    `momentum` μ > 0 keeps b <- μ b + g / (√v + ε) and steps p <- p - η b; `weight_decay` λ adds
    λ p to g first.  The state is PyTorch's: "step", "square_avg" (v), "grad_avg" (ḡ),
    "momentum_buffer" (b).  The same lines serve a `Value`'s floats and arrays.
    """

    def __init__(self, params: Iterable[Node] | Node, lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {alpha}")
        if not momentum >= 0.0:
            raise ValueError(f"RMSprop: momentum must be >= 0, got {momentum}")
        super().__init__(params, lr=float(lr), alpha=float(alpha), eps=float(eps),
                         weight_decay=float(weight_decay), momentum=float(momentum),
                         centered=bool(centered))

    def step(self) -> None:
        group = self.param_groups[0]
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            state["step"] = state.get("step", 0) + 1
            v = state["square_avg"] = alpha * state.get("square_avg", 0.0) + (1 - alpha) * g * g
            if group["centered"]:
                mean = state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
                v = v - mean * mean
            scaled = g / (v ** 0.5 + eps)
            if group["momentum"]:
                scaled = state["momentum_buffer"] = (
                    group["momentum"] * state.get("momentum_buffer", 0.0) + scaled)
            _descend(p, lr * scaled)


# the schedulers live in their own module, optim.lr_scheduler as in PyTorch; registered under
# that name as well, so `from tinygrad_edu.optim.lr_scheduler import StepLR` works
from . import lr_scheduler  # noqa: E402  (it needs Optimizer, defined above)
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR  # noqa: E402

sys.modules[__name__ + ".lr_scheduler"] = lr_scheduler
