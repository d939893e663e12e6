"""§1-2 Example 1: the McCulloch-Pitts neuron y = u(w1 x1 + w2 x2 - θ), w = (5, 3), θ = 4.

u is the unit step (1 for z >= 0, else 0).  With the book's b = -θ this is the unit of §1-3
with the step activation: z = w·x + b, y = u(z).
"""

from __future__ import annotations

from typing import NamedTuple

from ..nn import Neuron

__all__ = ["Row", "mcculloch_pitts", "example1_table", "format_table"]


class Row(NamedTuple):
    x1: int
    x2: int
    z: float
    y: int


def mcculloch_pitts(w: tuple[float, float] = (5.0, 3.0), theta: float = 4.0) -> Neuron:
    """A step-activation `Neuron` with weights w and bias b = -θ (§1-2, §1-3)."""
    return Neuron(2, "step", weights=list(w), bias=-theta, name="y", layer=2)


def example1_table(w: tuple[float, float] = (5.0, 3.0), theta: float = 4.0) -> list[Row]:
    """The table of Example 1: for each input (x1, x2) in {0, 1}², z = w·x - θ and y = u(z).

    With the book's w = (5, 3), θ = 4 the neuron fires (y = 1) for the inputs (1, 0) and (1, 1).
    """
    neuron = mcculloch_pitts(w, theta)
    rows = []
    for x1 in (0, 1):
        for x2 in (0, 1):
            y = neuron([x1, x2])  # the unit computes z = w·x + b and y = u(z)
            z = neuron.w[0].data * x1 + neuron.w[1].data * x2 + neuron.b.data
            rows.append(Row(x1, x2, z, int(y.data)))
    return rows


def format_table(rows: list[Row]) -> str:
    """The table as text, one input per line."""
    lines = ["x1 x2 | z = w1 x1 + w2 x2 - θ | y = u(z)"]
    lines += [f" {r.x1}  {r.x2} | {r.z:21g} | {r.y}" for r in rows]
    return "\n".join(lines)
