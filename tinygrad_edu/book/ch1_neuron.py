"""§1-2 Example 1: the McCulloch-Pitts neuron y = u(w1 x1 + w2 x2 - θ), w = (5, 3), θ = 4.

The neuron adds up its weighted inputs, s = w1 x1 + w2 x2, and fires (y = 1) when the sum
reaches the threshold θ: y = 1 for s >= θ, else 0.  Written with the unit step u (u(z) = 1 for
z >= 0, else 0) that is y = u(s - θ).  The book remarks that some texts let the neuron fire
only when the sum exceeds θ (s > θ); `rule="exceeds"` gives that variant (it differs only when
s = θ exactly, which no input of Example 1 gives: its sums are 0, 3, 5 and 8).

With the book's b = -θ this is the unit of §1-3 with the step activation: z = w·x + b, y = u(z).
"""

from __future__ import annotations

from typing import NamedTuple

from ..nn import Neuron
from ..engine import weighted_input
from ..habits import Value

__all__ = ["Row", "RULES", "mcculloch_pitts", "example1_table", "format_table"]

#: when the neuron fires: "reaches" (s >= θ, the book's definition) or "exceeds" (s > θ)
RULES = ("reaches", "exceeds")


class Row(NamedTuple):
    x1: int
    x2: int
    s: float  # the sum of the weighted inputs, w1 x1 + w2 x2
    z: float  # s - θ (the weighted input z = w·x + b of §1-3, b = -θ)
    y: int


def mcculloch_pitts(w: tuple[float, float] = (5.0, 3.0), theta: float = 4.0) -> Neuron:
    """A step-activation `Neuron` with weights w and bias b = -θ (§1-2, §1-3): it fires when
    w·x reaches θ, because the unit step has u(0) = 1."""
    return Neuron(2, "step", weights=list(w), bias=-theta, name="y", layer=2)


def _fires(z: Value, rule: str) -> Value:
    """y = u(z): fires when s reaches θ, or, with `strict`, only when s exceeds θ."""
    if rule == "reaches":
        return z.step()
    return z.step(strict=True)


def example1_table(w: tuple[float, float] = (5.0, 3.0), theta: float = 4.0,
                   rule: str = "reaches") -> list[Row]:
    """The table of Example 1: for each input (x1, x2) in {0, 1}², the sum s = w·x, z = s - θ
    and the output y.

    With the book's w = (5, 3), θ = 4 the sums are 0, 3, 5, 8: the neuron fires (y = 1) for
    the inputs (1, 0) and (1, 1), whose sums reach 4.
    """
    if rule not in RULES:
        raise ValueError(f"example1_table: rule must be one of {RULES}, got {rule!r}")
    neuron = mcculloch_pitts(w, theta)
    rows = []
    for x1 in (0, 1):
        for x2 in (0, 1):
            x = [float(x1), float(x2)]
            if rule == "reaches":
                y = neuron(x)  # the unit: z = w·x + b, y = u(z)
            else:
                y = _fires(weighted_input(neuron.w, x, neuron.b), rule)
            s = w[0] * x1 + w[1] * x2
            rows.append(Row(x1, x2, s, s - theta, int(y.data)))
    return rows


def format_table(rows: list[Row], theta: float = 4.0, rule: str = "reaches") -> str:
    """The table as the book shows it: the sum w1 x1 + w2 x2, compared with θ, then y."""
    sign = {True: "≥" if rule == "reaches" else ">", False: "<" if rule == "reaches" else "≤"}
    head = f"compared with θ = {theta:g}"
    verdicts = [f"{r.s:g} {sign[r.y == 1]} {theta:g}: " + ("fires" if r.y == 1 else "rests")
                for r in rows]
    width = max(len(head), *map(len, verdicts))
    lines = [f"x1 x2 | w1 x1 + w2 x2 | {head:<{width}} | y",
             f"------+---------------+-{'-' * width}-+--"]
    lines += [f" {r.x1}  {r.x2} | {r.s:13g} | {v:<{width}} | {r.y}" for r, v in zip(rows, verdicts)]
    return "\n".join(lines)
