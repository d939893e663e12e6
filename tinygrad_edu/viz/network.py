"""`draw_network`: a network drawn the way the book draws it (§1-4, §1-5).

Units stand in columns: the input layer on the left, the hidden layers, the output layer on the
right.  Each arrow is a weight, the "bond" between two units (§1-5): its width grows with |w| and
its colour gives the sign (red for w > 0, blue for w < 0, as in the weight pictures; strong
bonds are also more opaque; a weight of exactly 0 is a thin grey dotted line), so
the demon network's bonds (hidden A with pixels 4 and 7, B with 5 and 8, C with 6 and 9; output
"0" with A and C, "1" with B) stand out at a glance.  Each unit shows its bias b (the "bias of
the heart" that ignores noise); given an input `x`, each unit also shows its activation a and is
shaded by it (a = 1 dark, a = 0 white), so the input column is the image itself.

The model follows the nn contract: `model.sizes`, `model.state_dict()` with "layers.{k}.weight"
of shape (out, in) and "layers.{k}.bias", `model.layer_outputs(x)`, optional `model.unit_names`.
Units are placed at fixed positions (Graphviz's ``neato`` engine with pinned nodes), so the
order of the units in a column is the book's order (A, B, C from the top); `input_grid=(4, 3)`
draws the 12 inputs as the image, pixel 1 at the top left, numbered row by row.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Sequence

import graphviz
import numpy as np

from ..engine import Node
from .dot import Drawing, check_size, html_label, number_text

__all__ = ["draw_network", "POSITIVE", "NEGATIVE", "ZERO"]

# the colours of the weight pictures (book/pictures.py): red likes, blue dislikes
POSITIVE = "#b2182b"
NEGATIVE = "#2166ac"
ZERO = "#b0b0b0"  # a weight of exactly 0: no bond
_BAD = "#ff00ff"  # NaN or inf: magenta, a colour no finite weight gets
DEFAULT_MAX_UNITS = 300


def _layer_params(model: Any) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
    sizes = [int(n) for n in model.sizes]
    state = model.state_dict()
    Ws, bs = [], []
    for k in range(len(sizes) - 1):
        try:
            W = np.asarray(state[f"layers.{k}.weight"], dtype=np.float64)
            b = np.asarray(state[f"layers.{k}.bias"], dtype=np.float64)
        except KeyError as e:
            raise ValueError(f"draw_network: the model's state_dict has no entry {e.args[0]!r}; "
                             'expected "layers.{k}.weight" (out, in) and "layers.{k}.bias" (out,)'
                             ) from None
        if W.shape != (sizes[k + 1], sizes[k]) or b.shape != (sizes[k + 1],):
            raise ValueError(f"draw_network: layers.{k} has weight {W.shape} and bias {b.shape}, "
                             f"but sizes {sizes} need ({sizes[k + 1]}, {sizes[k]}) and "
                             f"({sizes[k + 1]},)")
        Ws.append(W)
        bs.append(b)
    return sizes, Ws, bs


def _unit_names(model: Any, sizes: Sequence[int],
                unit_names: Sequence[Sequence[str]] | None) -> list[list[str]]:
    names = unit_names if unit_names is not None else getattr(model, "unit_names", None)
    if names is None:
        return [[f"x{i + 1}" for i in range(sizes[0])]] + [
            [str(i + 1) for i in range(n)] for n in sizes[1:]]
    checked = [[str(s) for s in layer] for layer in names]
    if [len(layer) for layer in checked] != list(sizes):
        raise ValueError(f"draw_network: unit_names has {[len(n) for n in checked]} names per "
                         f"layer, the network has sizes {list(sizes)}")
    return checked


def _as_vector(a: Any) -> np.ndarray:
    if isinstance(a, Node):
        a = a.data
    if isinstance(a, (list, tuple)):
        a = [x.data if isinstance(x, Node) else x for x in a]
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise ValueError(f"draw_network: x must be one input (a vector), got activations of "
                         f"shape {arr.shape}; pass one image, e.g. X[0]")
    return arr


def _activations(model: Any, x: Any, sizes: Sequence[int]) -> list[np.ndarray]:
    shape: tuple = np.shape(x.data if isinstance(x, Node) else x) if not isinstance(x, list) else ()
    if len(shape) >= 2 and shape[0] != 1:
        raise ValueError(f"draw_network: x must be one input (a vector), got an array of shape "
                         f"{shape}; pass one image, e.g. X[0]")
    outs = [_as_vector(a) for a in model.layer_outputs(x)]
    if [len(a) for a in outs] != list(sizes):
        raise ValueError(f"draw_network: layer_outputs gave {[len(a) for a in outs]} values per "
                         f"layer, expected {list(sizes)}")
    return outs


def _num(x: float) -> str:
    return number_text(x, 3)


def _shade(a: float, top: float) -> tuple[str, str]:
    """Fill grey by activation (0 white, top black) and a font colour that stays legible."""
    if not math.isfinite(a):
        return "#ffb3b3", "#000000"
    t = min(max(a / top, 0.0), 1.0) if top > 0 else 0.0
    level = round(255 * (1.0 - 0.85 * t))
    return f"#{level:02x}{level:02x}{level:02x}", "#ffffff" if t > 0.55 else "#000000"


def _positions(sizes: Sequence[int], column_gap: float, row_gap: float,
               input_grid: tuple[int, int] | None) -> list[list[tuple[float, float]]]:
    """(x, y) in inches of every unit: columns left to right, the first unit of each at the top;
    with `input_grid` (rows, cols) the input units form the image, numbered row by row."""
    tallest = max(sizes) if input_grid is None else max(max(sizes[1:]), input_grid[0])
    out = []
    for k, n in enumerate(sizes):
        if k == 0 and input_grid is not None:
            rows, cols = input_grid
            out.append([((j % cols - (cols - 1)) * row_gap,
                         ((rows - 1) / 2 - j // cols) * row_gap) for j in range(n)])
            continue
        xpos = k * column_gap + (0.6 * column_gap if input_grid is not None else 0.0)
        # small columns are spread out, as the book draws them
        gap = max(row_gap, min(tallest * row_gap / n, 2.2 * row_gap))
        out.append([(xpos, ((n - 1) / 2 - i) * gap) for i in range(n)])
    return out


def _edge_style(w: float, wmax: float) -> dict[str, str]:
    """Red for w > 0, blue for w < 0, width and opacity by |w|; grey dotted for w = 0."""
    if not math.isfinite(w):
        return {"color": _BAD, "penwidth": "3", "style": "dashed"}
    if w == 0.0:
        return {"color": ZERO, "penwidth": "0.6", "style": "dotted"}
    t = abs(w) / wmax if wmax > 0 else 0.0
    alpha = round(255 * (0.2 + 0.8 * t))
    return {"color": f"{POSITIVE if w > 0 else NEGATIVE}{alpha:02x}",
            "penwidth": f"{0.3 + 5.0 * t:.2f}"}


def _label_spot(tail: tuple[float, float], head: tuple[float, float], i: int, n_heads: int,
                column_right: float) -> str:
    """Where the number of the arrow tail -> head goes: past the tail's column, at a fraction
    of the way that grows with the head's place (arrows into one unit fan out toward their
    tails, arrows into different units get different fractions), so the numbers do not meet."""
    (x0, y0), (x1, y1) = tail, head
    start = column_right + 0.45
    f = 0.12 + 0.48 * i / max(1, n_heads - 1)
    x = start + f * (x1 - 0.45 - start)
    y = y0 + (x - x0) / (x1 - x0) * (y1 - y0)
    return f"{x:.3f},{y:.3f}!"


def draw_network(model: Any, x: Any = None, *, show_weights: bool = False,
                 unit_names: Sequence[Sequence[str]] | None = None, title: str | None = None,
                 column_gap: float | None = None, row_gap: float = 0.75,
                 input_grid: tuple[int, int] | None = None,
                 max_units: int | None = DEFAULT_MAX_UNITS) -> graphviz.Digraph:
    """The network `model` drawn in columns of units, its weights as arrows (§1-4, §1-5).

    x: one input (e.g. one 4x3 image as 12 numbers): each unit then shows its activation a.
    show_weights: write each weight's value beside its arrow, in the arrow's colour (for small
      networks; the numbers sit at different places along the arrows, so they do not overlap).
    unit_names: names per layer (default: `model.unit_names`, else x1.., 1..).
    column_gap, row_gap: distances between columns and between units, in inches (columns are
      2.6 apart, 4 with `show_weights`).
    input_grid: (rows, cols), e.g. (4, 3): draw the input units as the image, numbered row by
      row as the book numbers the pixels (1 2 3 / 4 5 6 / ...).
    max_units: refuse (`GraphTooLarge`) a larger network.

    Arrow width grows with |w| (relative to the largest |w| of its layer); red is w > 0,
    blue w < 0, a grey dotted line w = 0.  Units stack from the top in their order (A, B, C).
    Returns a `graphviz.Digraph` (engine "neato", nodes at fixed positions).
    """
    sizes, Ws, bs = _layer_params(model)
    check_size(sum(sizes), max_units, None)
    names = _unit_names(model, sizes, unit_names)
    acts = _activations(model, x, sizes) if x is not None else None
    if input_grid is not None:
        rows, cols = (int(v) for v in input_grid)
        if rows * cols != sizes[0]:
            raise ValueError(f"draw_network: input_grid {rows}x{cols} has {rows * cols} cells "
                             f"for {sizes[0]} inputs")
        input_grid = (rows, cols)
    if column_gap is None:
        column_gap = 4.0 if show_weights else 2.6
    where = _positions(sizes, column_gap, row_gap, input_grid)

    g = Drawing(name="network", engine="neato")
    g.attr(splines="false", outputorder="edgesfirst", fontname="Helvetica", fontsize="11",
           overlap="true")
    g.attr("node", shape="circle", style="filled", fillcolor="white", fontname="Helvetica",
           fontsize="10", fixedsize="true", width="0.62", color="#333333")
    g.attr("edge", arrowsize="0.5", fontname="Helvetica", fontsize="8")
    _draw_units(g, sizes, bs, names, acts, where, row_gap, input_grid)
    _draw_weights(g, Ws, where, show_weights)
    _draw_legend(g, where, row_gap, acts is not None, title)
    return g


def _draw_units(g: Any, sizes: Sequence[int], bs: Sequence[np.ndarray],
                names: Sequence[Sequence[str]], acts: Any, where: Sequence[Sequence[Any]],
                row_gap: float, input_grid: tuple[int, int] | None) -> None:
    """Each layer's heading and its units: name, bias b, activation a (shaded by its size)."""
    n_layers = len(sizes)
    top_y = max(y for column in where for _, y in column)
    for k, n in enumerate(sizes):
        xs = [p[0] for p in where[k]]
        heading = ("input layer" if k == 0 else "output layer" if k == n_layers - 1
                   else "hidden layer" if n_layers == 3 else f"hidden layer {k}")
        if k == 0 and input_grid is not None:
            heading += f" (the {input_grid[0]}x{input_grid[1]} image)"
        g.node(f"head{k}", label=html_label([heading]), shape="plaintext", style="",
               fixedsize="false",
               pos=f"{(min(xs) + max(xs)) / 2:.3f},{top_y + 0.9 * row_gap:.3f}!")
        top = 1.0
        if acts is not None:
            fin = np.abs(acts[k][np.isfinite(acts[k])])
            top = max(1.0, float(fin.max())) if fin.size else 1.0
        for i in range(n):
            lines: list[str | tuple[str, str]] = []
            attrs: dict[str, str] = {}
            if k > 0:
                b = float(bs[k - 1][i])
                lines.append((f"b {_num(b)}", _BAD) if not math.isfinite(b) else f"b {_num(b)}")
            if acts is not None:
                a = float(acts[k][i])
                lines.append(f"a {_num(a)}")
                fill, font = _shade(a, top)
                attrs.update(fillcolor=fill, fontcolor=font)
            if k > 0 and not math.isfinite(float(bs[k - 1][i])):
                attrs.update(color=_BAD, penwidth="2.5")
            size = 0.62 if not lines else 0.62 + 0.12 * len(lines)
            if k == 0 and input_grid is not None:
                # see-through pixels: an arrow from pixel 5 shows under pixel 6 on its way out
                attrs.update(shape="square", fillcolor=attrs.get("fillcolor", "#ffffff") + "b0")
            xpos, ypos = where[k][i]
            g.node(f"u{k}_{i}", label=html_label(lines, title=names[k][i]),
                   pos=f"{xpos:.3f},{ypos:.3f}!", width=f"{size:.2f}", **attrs)


def _draw_weights(g: Any, Ws: Sequence[np.ndarray], where: Sequence[Sequence[Any]],
                  show_weights: bool) -> None:
    """One arrow per weight, its width and colour from w; with `show_weights`, its value."""
    for k, W in enumerate(Ws):
        fin = np.abs(W[np.isfinite(W)])
        wmax = float(fin.max()) if fin.size else 0.0
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = float(W[i, j])
                attrs = {"tooltip": f"w = {_num(w)}", **_edge_style(w, wmax)}
                g.edge(f"u{k}_{j}", f"u{k + 1}_{i}", **attrs)
                if show_weights and w != 0.0:
                    g.node(f"w{k}_{i}_{j}", label=html_label([(_num(w), attrs["color"][:7])]),
                           pos=_label_spot(where[k][j], where[k + 1][i], i, W.shape[0],
                                           max(x for x, _ in where[k])),
                           shape="plaintext", style="filled", fillcolor="#ffffffd0",
                           fixedsize="false", width="0", height="0", margin="0.01",
                           fontsize="8")


def _draw_legend(g: Any, where: Sequence[Sequence[Any]], row_gap: float, with_activations: bool,
                 title: str | None) -> None:
    """What the widths and colours mean, under the network (the title first)."""
    legend = ["arrow width ∝ |w| (per layer); red: w > 0, blue: w < 0, grey dotted: w = 0"]
    legend.append("b: bias" + ("; a: activation for the given input (darker = larger)"
                               if with_activations else ""))
    if title is not None:
        legend.insert(0, title)
    bottom_y = min(y for column in where for _, y in column)
    xs_all = [p[0] for column in where for p in column]
    g.node("legend", label=html_label(legend, align="LEFT"), shape="plaintext", style="",
           fixedsize="false", pos=f"{(min(xs_all) + max(xs_all)) / 2:.3f},"
                                  f"{bottom_y - 1.1 * row_gap:.3f}!")
