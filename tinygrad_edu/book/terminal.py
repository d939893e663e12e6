"""A hidden unit's 12 weights drawn as a 4x3 picture in the terminal (§1-5, §1-6).

Weight w2[i, j] sits where pixel j sits in the image (1 2 3 / 4 5 6 / 7 8 9 / 10 11 12), so a
unit's picture shows which pixels it likes (+) and which it dislikes (-), as the book's demons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["LEGEND", "weight_cells", "unit_picture", "side_by_side", "hidden_units_picture"]

_POSITIVE = [" . ", " + ", "++ ", "+++"]
_NEGATIVE = [" . ", " - ", "-- ", "---"]
LEGEND = ("legend: +++ / ++ / +  strong / medium / weak positive weight (likes the pixel)\n"
          "        --- / -- / -  strong / medium / weak negative weight (dislikes it);  .  about 0")


def weight_cells(w: Sequence[float], scale: float) -> list[str]:
    """One 3-character cell per weight: the sign, repeated 1-3 times by |w| / scale."""
    cells = []
    for x in w:
        r = abs(x) / scale if scale > 0 else 0.0
        level = 0 if r < 0.125 else 1 if r < 0.375 else 2 if r < 0.675 else 3
        cells.append((_POSITIVE if x >= 0 else _NEGATIVE)[level])
    return cells


def unit_picture(w: Sequence[float], b: float | None = None, title: str = "",
                 scale: float | None = None, shape: tuple[int, int] = (4, 3)) -> list[str]:
    """Lines drawing one unit's weights as an image of `shape` (rows, columns), framed, with
    the numbers beside it."""
    weights = np.asarray(w, dtype=np.float64)
    rows, cols = shape
    if weights.size != rows * cols:
        raise ValueError(f"{weights.size} weights do not make a {rows}x{cols} picture")
    scale = float(np.abs(weights).max()) if scale is None else scale
    cells = weight_cells(weights.tolist(), scale)
    head = title + ("" if b is None else f"  b = {b:+.3g}")
    lines = [head, "+" + "-" * (3 * cols) + "+"]
    for r in range(rows):
        pic = "".join(cells[r * cols:(r + 1) * cols])
        nums = " ".join(f"{x:+7.2f}" for x in weights[r * cols:(r + 1) * cols])
        lines.append(f"|{pic}|  {nums}")
    lines.append("+" + "-" * (3 * cols) + "+")
    return lines


def side_by_side(blocks: list[list[str]], gap: int = 4) -> list[str]:
    """Put blocks of lines next to each other, each padded to its widest line."""
    height = max(len(b) for b in blocks)
    widths = [max(len(line) for line in b) for b in blocks]
    out = []
    for i in range(height):
        parts = [(b[i] if i < len(b) else "").ljust(w) for b, w in zip(blocks, widths)]
        out.append((" " * gap).join(parts).rstrip())
    return out


def hidden_units_picture(W2: np.ndarray, b2: np.ndarray, names: Sequence[str] = "ABC") -> str:
    """Every hidden unit's weights as a 4x3 picture, one under the other, with a legend.

    One scale (the largest |w| of all units) for all, so the pictures compare."""
    scale = float(np.abs(W2).max())
    blocks = []
    for i, name in enumerate(names):
        blocks += unit_picture(W2[i], float(b2[i]), f"hidden unit {name}", scale) + [""]
    return "\n".join(blocks + [LEGEND])
