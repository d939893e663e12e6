"""§2-11: gradient descent on z = x² + y² from (x, y) = (3, 2) with learning rate η = 0.1.

Each step moves against the gradient (∂z/∂x, ∂z/∂y) = (2x, 2y):
(x, y) <- (x, y) - η (2x, 2y) = 0.8 (x, y), so after s steps (x, y) = 0.8^s (3, 2).
The gradient comes from the scalar engine's backward, the step from `optim.SGD`.
"""

from __future__ import annotations

from typing import NamedTuple

from ..optim import SGD
from ..habits import Value

__all__ = ["Point", "descend_paraboloid"]


class Point(NamedTuple):
    step: int
    x: float
    y: float
    z: float
    dz_dx: float
    dz_dy: float


def descend_paraboloid(start: tuple[float, float] = (3.0, 2.0), lr: float = 0.1,
                       steps: int = 30) -> list[Point]:
    """The path of gradient descent on z = x² + y²: one `Point` per step, start included."""
    x, y = Value(start[0], label="x"), Value(start[1], label="y")
    opt = SGD([x, y], lr=lr)
    path = []
    for s in range(steps + 1):
        opt.zero_grad()
        z = x ** 2 + y ** 2
        z.backward()
        path.append(Point(s, x.data, y.data, z.data, x.grad, y.grad))
        if s < steps:
            opt.step()
    return path
