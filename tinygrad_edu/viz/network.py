"""`draw_network`: a network drawn the way the book draws it (§1-4, §1-5).

Units stand in columns: the input layer on the left, the hidden layers, the output layer on the
right.  Each arrow is a weight, the "bond" between two units (§1-5): its width grows with |w| and
its colour gives the sign (red for w > 0, blue for w < 0, as in the weight pictures; strong
bonds are also more opaque), so
the demon network's bonds (hidden A with pixels 4 and 7, B with 5 and 8, C with 6 and 9; output
"0" with A and C, "1" with B) stand out at a glance.  Each unit shows its bias b (the "bias of
the heart" that ignores noise); given an input `x`, each unit also shows its activation a and is
shaded by it (a = 1 dark, a = 0 white), so the input column is the image itself.

The model follows the nn contract: `model.sizes`, `model.state_dict()` with "layers.{k}.weight"
of shape (out, in) and "layers.{k}.bias", `model.layer_outputs(x)`, optional `model.unit_names`.
Units are placed at fixed positions (Graphviz's ``neato`` engine with pinned nodes), so the
order of the units in a column is the book's order.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import graphviz
import numpy as np

from ..autograd import Node
from .dot import check_size, html_label

__all__ = ["draw_network", "POSITIVE", "NEGATIVE"]

# the colours of the weight pictures (book/pictures.py): red likes, blue dislikes
POSITIVE = "#b2182b"
NEGATIVE = "#2166ac"
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
    names = [[str(s) for s in layer] for layer in names]
    if [len(layer) for layer in names] != list(sizes):
        raise ValueError(f"draw_network: unit_names has {[len(n) for n in names]} names per "
                         f"layer, the network has sizes {list(sizes)}")
    return names


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
    shape = np.shape(x.data if isinstance(x, Node) else x) if not isinstance(x, list) else ()
    if len(shape) >= 2 and shape[0] != 1:
        raise ValueError(f"draw_network: x must be one input (a vector), got an array of shape "
                         f"{shape}; pass one image, e.g. X[0]")
    outs = [_as_vector(a) for a in model.layer_outputs(x)]
    if [len(a) for a in outs] != list(sizes):
        raise ValueError(f"draw_network: layer_outputs gave {[len(a) for a in outs]} values per "
                         f"layer, expected {list(sizes)}")
    return outs


def _num(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3g}"


def _shade(a: float, top: float) -> tuple[str, str]:
    """Fill grey by activation (0 white, top black) and a font colour that stays legible."""
    if not math.isfinite(a):
        return "#ffb3b3", "#000000"
    t = min(max(a / top, 0.0), 1.0) if top > 0 else 0.0
    level = round(255 * (1.0 - 0.85 * t))
    return f"#{level:02x}{level:02x}{level:02x}", "#ffffff" if t > 0.55 else "#000000"


def draw_network(model: Any, x: Any = None, *, show_weights: bool = False,
                 unit_names: Sequence[Sequence[str]] | None = None, title: str | None = None,
                 column_gap: float = 2.6, row_gap: float = 0.75,
                 max_units: int | None = DEFAULT_MAX_UNITS) -> graphviz.Digraph:
    """The network `model` drawn in columns of units, its weights as arrows (§1-4, §1-5).

    x: one input (e.g. one 4x3 image as 12 numbers): each unit then shows its activation a.
    show_weights: write each weight's value on its arrow (for small networks).
    unit_names: names per layer (default: `model.unit_names`, else x1.., 1..).
    column_gap, row_gap: distances between columns and between units, in inches.
    max_units: refuse (`GraphTooLarge`) a larger network.

    Arrow width grows with |w| (relative to the largest |w| of its layer); red is w > 0,
    blue w < 0.  Returns a `graphviz.Digraph` (engine "neato", nodes at fixed positions).
    """
    sizes, Ws, bs = _layer_params(model)
    check_size(sum(sizes), max_units, None)
    names = _unit_names(model, sizes, unit_names)
    acts = _activations(model, x, sizes) if x is not None else None

    g = graphviz.Digraph(name="network", engine="neato")
    g.attr(splines="false", outputorder="edgesfirst", fontname="Helvetica", fontsize="11",
           overlap="true")
    g.attr("node", shape="circle", style="filled", fillcolor="white", fontname="Helvetica",
           fontsize="10", fixedsize="true", width="0.62", color="#333333")
    g.attr("edge", arrowsize="0.5", fontname="Helvetica", fontsize="8")
    n_layers = len(sizes)
    tallest = max(sizes)
    for k, n in enumerate(sizes):
        xpos = k * column_gap
        heading = ("input layer" if k == 0 else "output layer" if k == n_layers - 1
                   else "hidden layer" if n_layers == 3 else f"hidden layer {k}")
        g.node(f"head{k}", label=html_label([heading]), shape="plaintext", style="",
               fixedsize="false", pos=f"{xpos:.3f},{(tallest + 1) / 2 * row_gap:.3f}!")
        top = 1.0
        if acts is not None:
            fin = np.abs(acts[k][np.isfinite(acts[k])])
            top = max(1.0, float(fin.max())) if fin.size else 1.0
        # small columns are spread out, as the book draws them
        gap = max(row_gap, min(tallest * row_gap / n, 2.2 * row_gap))
        for i in range(n):
            ypos = ((n - 1) / 2 - i) * gap
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
            g.node(f"u{k}_{i}", label=html_label(lines, title=names[k][i]),
                   pos=f"{xpos:.3f},{ypos:.3f}!", width=f"{size:.2f}", **attrs)
    for k, W in enumerate(Ws):
        fin = np.abs(W[np.isfinite(W)])
        wmax = float(fin.max()) if fin.size else 0.0
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = float(W[i, j])
                attrs = {"tooltip": f"w = {_num(w)}"}
                if not math.isfinite(w):
                    attrs.update(color=_BAD, penwidth="3", style="dashed")
                else:
                    t = abs(w) / wmax if wmax > 0 else 0.0
                    alpha = round(255 * (0.2 + 0.8 * t))
                    base = POSITIVE if w >= 0 else NEGATIVE
                    attrs.update(color=f"{base}{alpha:02x}", penwidth=f"{0.3 + 5.0 * t:.2f}")
                if show_weights:
                    attrs["label"] = html_label([_num(w)])
                g.edge(f"u{k}_{j}", f"u{k + 1}_{i}", **attrs)
    legend = ["arrow width ∝ |w| (per layer); red: w > 0, blue: w < 0"]
    legend.append("b: bias" + ("; a: activation for the given input (darker = larger)"
                               if acts is not None else ""))
    if title is not None:
        legend.insert(0, title)
    g.node("legend", label=html_label(legend, align="LEFT"), shape="plaintext", style="",
           fixedsize="false", pos=f"{(n_layers - 1) * column_gap / 2:.3f},"
                                  f"{-(tallest + 1.2) / 2 * row_gap:.3f}!")
    return g
