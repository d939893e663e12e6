"""`draw_network`: a network drawn the way the book draws it (§1-4, §1-5).

Units stand in columns: the input layer on the left, the hidden layers, the output layer on the
right.  Each arrow is a weight, the "bond" between two units (§1-5): its width grows with |w| and
its colour gives the sign (red for w > 0, blue for w < 0, as in the weight pictures; strong
bonds are also more opaque; a weight of exactly 0 is a thin grey dotted line), so
the demon network's bonds (hidden A with pixels 4 and 7, B with 5 and 8, C with 6 and 9; output
"0" with A and C, "1" with B) stand out at a glance.  Each unit shows its bias b (the "bias of
the heart" that ignores noise); given an input `x`, each unit also shows its activation a and is
shaded by it (a = 1 dark, a = 0 white), so the input column is the image itself; given the
targets `t`, each output unit has its t beside it.  Numbers are rounded for reading: three
significant digits, three decimals below 1 (an activation of 4.5e-05 reads 0.000).

The model is an `nn.MLP` (or anything with its contract: `model.sizes`, `model.state_dict()`
with "layers.{k}.weight" of shape (out, in) and "layers.{k}.bias", `model.layer_outputs(x)`,
optional `model.unit_names`) or an `nn.Sequential` of `nn.Linear` layers, each followed by any
activation modules (`nn.Sigmoid()`, `nn.ReLU()`, ...).  Units are placed at fixed positions
(Graphviz's ``neato`` engine with pinned nodes), so the order of the units in a column is the
book's order (A, B, C from the top).  `input_grid=(4, 3)` draws the 12 inputs as the image,
pixel x1 at the top left, numbered row by row; opaque cells, each with its own wire: the wire
leaves the cell's upper edge, runs along the gap above its row (no wire crosses a cell) to a
dot right of the image, and the pixel's arrows fan out from that dot.  So the arrows into A
visibly come from pixels 4 and 7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Sequence

import graphviz
import numpy as np

from ..engine import Node, no_grad
from ..habits import Tensor
from ..nn import Activation, Linear, Sequential
from .dot import Drawing, check_size, html_label

__all__ = ["draw_network", "reading", "POSITIVE", "NEGATIVE", "ZERO"]

# the colours of the weight pictures (book/pictures.py): red likes, blue dislikes
POSITIVE = "#b2182b"
NEGATIVE = "#2166ac"
ZERO = "#b0b0b0"  # a weight of exactly 0: no bond
_BAD = "#ff00ff"  # NaN or inf: magenta, a colour no finite weight gets
_WIRE = "#555555"  # a pixel's wire from its cell to where its arrows fan out
DEFAULT_MAX_UNITS = 300
_CELL = 0.7  # the side of a pixel cell, inches
_CELL_GAP = 0.45  # the gap between rows of cells, where the wires run


def reading(x: float) -> str:
    """A number as a reader wants it: whole numbers as they are (1, -10), three decimals below
    1 (0.987, 0.000 for 4.5e-05), else three significant digits (6.64, 12.3, 457)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == round(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) < 1.0:
        text = f"{x:.3f}"
        return "0.000" if text == "-0.000" else text
    if abs(x) >= 1000.0:
        return f"{x:.0f}"
    return f"{x:#.3g}".rstrip(".")


@dataclass
class _Layers:
    """What the drawing needs of a model: units per layer, each layer's W (out, in) and b
    (None: a layer without biases), and the activations of every layer for one input."""

    sizes: list[int]
    Ws: list[np.ndarray]
    bs: list[np.ndarray | None]
    outputs: Callable[[Any], list[Any]]
    names: Any = None


def _read_model(model: Any) -> _Layers:
    if isinstance(model, Sequential):
        return _read_sequential(model)
    return _read_mlp(model)


def _read_mlp(model: Any) -> _Layers:
    sizes = [int(n) for n in model.sizes]
    state = model.state_dict()
    Ws: list[np.ndarray] = []
    bs: list[np.ndarray | None] = []
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
    return _Layers(sizes, Ws, bs, model.layer_outputs, getattr(model, "unit_names", None))


def _read_sequential(model: Sequential) -> _Layers:
    """A Sequential of Linear layers, each followed by activation modules (or none)."""
    steps: list[list[Any]] = []  # per layer: its Linear, then its activations
    for k in range(len(model)):
        m = model[k]
        if isinstance(m, Linear):
            steps.append([m])
        elif isinstance(m, Activation) and steps:
            steps[-1].append(m)
        else:
            what = "an activation before any Linear" if isinstance(m, Activation) else repr(m)
            raise ValueError(f"draw_network: a Sequential is drawn when it holds Linear layers "
                             f"and activations; layer {k} is {what}")
    if not steps:
        raise ValueError("draw_network: the Sequential holds no Linear layer to draw")
    sizes = [steps[0][0].n_inputs]
    for k, (layer, *_) in enumerate(steps):
        if layer.n_inputs != sizes[-1]:
            raise ValueError(f"draw_network: Linear layer {k} takes {layer.n_inputs} inputs, but "
                             f"the layer before it has {sizes[-1]} units")
        sizes.append(layer.n_units)

    def outputs(x: Any) -> list[Any]:
        a = Tensor(np.asarray(x.data if isinstance(x, Node) else x, dtype=np.float64))
        out = [a.data]
        with no_grad():
            for step in steps:
                for m in step:
                    a = m(a)
                out.append(a.data)
        return out

    Ws = [np.array(s[0].weight.data, dtype=np.float64) for s in steps]
    bs = [None if s[0].bias is None else np.array(s[0].bias.data, dtype=np.float64)
          for s in steps]
    return _Layers(sizes, Ws, bs, outputs, getattr(model, "unit_names", None))


def _unit_names(names: Sequence[Sequence[str]] | None, sizes: Sequence[int]) -> list[list[str]]:
    """Names per layer; the inputs read x1, x2, ... (a bare number j becomes xj)."""
    if names is None:
        return [[f"x{i + 1}" for i in range(sizes[0])]] + [
            [str(i + 1) for i in range(n)] for n in sizes[1:]]
    checked = [[str(s) for s in layer] for layer in names]
    if [len(layer) for layer in checked] != list(sizes):
        raise ValueError(f"draw_network: unit_names has {[len(n) for n in checked]} names per "
                         f"layer, the network has sizes {list(sizes)}")
    checked[0] = [f"x{s}" if s.isdigit() else s for s in checked[0]]
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


def _activations(net: _Layers, x: Any) -> list[np.ndarray]:
    shape: tuple[int, ...] = (np.shape(x.data if isinstance(x, Node) else x)
                              if not isinstance(x, list) else ())
    if len(shape) >= 2 and shape[0] != 1:
        raise ValueError(f"draw_network: x must be one input (a vector), got an array of shape "
                         f"{shape}; pass one image, e.g. X[0]")
    outs = [_as_vector(a) for a in net.outputs(x)]
    if [len(a) for a in outs] != list(net.sizes):
        raise ValueError(f"draw_network: layer_outputs gave {[len(a) for a in outs]} values per "
                         f"layer, expected {list(net.sizes)}")
    return outs


def _targets(t: Any, n_out: int) -> np.ndarray:
    arr = np.asarray(t.data if isinstance(t, Node) else t, dtype=np.float64).reshape(-1)
    if arr.shape != (n_out,):
        raise ValueError(f"draw_network: t has {arr.size} targets for {n_out} output units; "
                         "give one target per output unit, e.g. T[0]")
    return arr


def shade(a: float, top: float = 1.0) -> tuple[str, str]:
    """Fill grey by activation (0 white, top black) and a font colour that stays legible."""
    if not math.isfinite(a):
        return "#ffb3b3", "#000000"
    t = min(max(a / top, 0.0), 1.0) if top > 0 else 0.0
    level = round(255 * (1.0 - 0.85 * t))
    return f"#{level:02x}{level:02x}{level:02x}", "#ffffff" if t > 0.55 else "#000000"


@dataclass
class _Grid:
    """The input layer as an image: where each cell sits, and the path of its wire."""

    rows: int
    cols: int

    @property
    def pitch(self) -> float:
        return _CELL + _CELL_GAP

    def cell(self, j: int) -> tuple[float, float]:
        r, c = divmod(j, self.cols)
        return (c - (self.cols - 1)) * self.pitch, ((self.rows - 1) / 2 - r) * self.pitch

    def lane(self, j: int) -> float:
        """The height of pixel j's wire in the gap above its row: the leftmost cell's wire runs
        highest, so no wire crosses another on its way right."""
        r, c = divmod(j, self.cols)
        return self.cell(j)[1] + _CELL / 2 + _CELL_GAP * (self.cols - c) / (self.cols + 1)

    def wire(self, j: int) -> list[tuple[float, float]]:
        """The bends of pixel j's wire: up from the cell into its lane, right past the image,
        then on to the dot its arrows fan out from (the dots evenly spaced, x1 at the top)."""
        n = self.rows * self.cols
        x, y = self.cell(0)[0] + (self.cols - 1) * self.pitch, self.lane(j)
        right = x + _CELL / 2 + 0.15
        return [(self.cell(j)[0], y), (right, y), self.port(j, n)]

    def port(self, j: int, n: int | None = None) -> tuple[float, float]:
        n = self.rows * self.cols if n is None else n
        top, bottom = self.lane(0), self.cell(n - 1)[1] - _CELL / 2
        return _CELL / 2 + 0.6, top - j * (top - bottom) / max(1, n - 1)


def _positions(sizes: Sequence[int], column_gap: float, row_gap: float,
               grid: _Grid | None) -> list[list[tuple[float, float]]]:
    """(x, y) in inches of every unit: columns left to right, the first unit of each at the top;
    with `grid` the input units form the image, numbered row by row."""
    if grid is None:
        tallest, start = max(sizes), 0.0
    else:
        tallest = max(max(sizes[1:]), round(grid.rows * grid.pitch / row_gap))
        start = grid.port(0)[0]  # the hidden units one column right of the fan-out dots
    out = []
    for k, n in enumerate(sizes):
        if k == 0 and grid is not None:
            out.append([grid.cell(j) for j in range(n)])
            continue
        # small columns are spread out, as the book draws them
        gap = max(row_gap, min(tallest * row_gap / n, 2.2 * row_gap))
        out.append([(start + k * column_gap, ((n - 1) / 2 - i) * gap) for i in range(n)])
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


def draw_network(model: Any, x: Any = None, *, t: Any = None, show_weights: bool = False,
                 unit_names: Sequence[Sequence[str]] | None = None, title: str | None = None,
                 column_gap: float | None = None, row_gap: float = 0.75,
                 input_grid: tuple[int, int] | None = None,
                 max_units: int | None = DEFAULT_MAX_UNITS) -> graphviz.Digraph:
    """The network `model` drawn in columns of units, its weights as arrows (§1-4, §1-5).

    model: an `nn.MLP` or an `nn.Sequential` of `Linear` layers and activations.
    x: one input (e.g. one 4x3 image as 12 numbers): each unit then shows its activation a.
    t: the targets of that input (one per output unit): drawn beside the output units.
    show_weights: write each weight's value beside its arrow, in the arrow's colour (for small
      networks; the numbers sit at different places along the arrows, so they do not overlap).
    unit_names: names per layer (default: `model.unit_names`, else x1.., 1..).
    column_gap, row_gap: distances between columns and between units, in inches (columns are
      2.6 apart, 4 with `show_weights`).
    input_grid: (rows, cols), e.g. (4, 3): draw the input units as the image, numbered row by
      row as the book numbers the pixels (x1 x2 x3 / x4 x5 x6 / ...).
    max_units: refuse (`GraphTooLarge`) a larger network.

    Arrow width grows with |w| (relative to the largest |w| of its layer); red is w > 0,
    blue w < 0, a grey dotted line w = 0.  Units stack from the top in their order (A, B, C).
    Returns a `graphviz.Digraph` (engine "neato", nodes at fixed positions).
    """
    net = _read_model(model)
    sizes = net.sizes
    check_size(sum(sizes), max_units, None)
    names = _unit_names(unit_names if unit_names is not None else net.names, sizes)
    acts = _activations(net, x) if x is not None else None
    targets = _targets(t, sizes[-1]) if t is not None else None
    grid = None
    if input_grid is not None:
        rows, cols = (int(v) for v in input_grid)
        if rows * cols != sizes[0]:
            raise ValueError(f"draw_network: input_grid {rows}x{cols} has {rows * cols} cells "
                             f"for {sizes[0]} inputs")
        grid = _Grid(rows, cols)
    if column_gap is None:
        column_gap = 4.0 if show_weights else 2.6
    where = _positions(sizes, column_gap, row_gap, grid)

    g = Drawing(name="network", engine="neato")
    g.attr(splines="false", outputorder="edgesfirst", fontname="Helvetica", fontsize="11",
           overlap="true", pad="0.2")
    g.attr("node", shape="circle", style="filled", fillcolor="white", fontname="Helvetica",
           fontsize="10", fixedsize="true", width="0.62", color="#333333")
    g.attr("edge", arrowsize="0.5", fontname="Helvetica", fontsize="8")
    _draw_units(g, net, names, acts, where, row_gap, grid)
    tails = where
    if grid is not None:
        tails = [[grid.port(j) for j in range(sizes[0])], *where[1:]]
        _draw_wires(g, grid, sizes[0])
    _draw_weights(g, net.Ws, tails, show_weights, "p" if grid is not None else "u0_")
    if targets is not None:
        _draw_targets(g, targets, where[-1])
    _draw_legend(g, where, row_gap, acts is not None, title, grid)
    return g


def _heading(k: int, n_layers: int, grid: _Grid | None) -> str:
    heading = ("input layer" if k == 0 else "output layer" if k == n_layers - 1
               else "hidden layer" if n_layers == 3 else f"hidden layer {k}")
    if k == 0 and grid is not None:
        heading += f" (the {grid.rows}x{grid.cols} image)"
    return heading


def _draw_units(g: Any, net: _Layers, names: Sequence[Sequence[str]], acts: Any,
                where: Sequence[Sequence[Any]], row_gap: float, grid: _Grid | None) -> None:
    """Each layer's heading and its units: name, bias b, activation a (shaded by its size)."""
    sizes, bs = net.sizes, net.bs
    top_y = max(y for column in where for _, y in column)
    if grid is not None:
        top_y = max(top_y, grid.lane(0))
    for k, n in enumerate(sizes):
        xs = [p[0] for p in where[k]]
        g.node(f"head{k}", label=html_label([_heading(k, len(sizes), grid)]), shape="plaintext",
               style="", fixedsize="false",
               pos=f"{(min(xs) + max(xs)) / 2:.3f},{top_y + 0.9 * row_gap:.3f}!")
        top = 1.0
        if acts is not None:
            fin = np.abs(acts[k][np.isfinite(acts[k])])
            top = max(1.0, float(fin.max())) if fin.size else 1.0
        bias = bs[k - 1] if k > 0 else None
        for i in range(n):
            lines: list[str | tuple[str, str]] = []
            attrs: dict[str, str] = {}
            if bias is not None:
                b = float(bias[i])
                text = f"b {reading(b)}"
                lines.append((text, _BAD) if not math.isfinite(b) else text)
                if not math.isfinite(b):
                    attrs.update(color=_BAD, penwidth="2.5")
            if acts is not None:
                a = float(acts[k][i])
                lines.append(reading(a) if k == 0 else f"a {reading(a)}")
                fill, font = shade(a, top)
                attrs.update(fillcolor=fill, fontcolor=font)
            size = 0.62 if not lines else 0.62 + 0.12 * len(lines)
            if k == 0 and grid is not None:  # opaque cells: no wire or arrow runs under one
                attrs.update(shape="square")
                size = _CELL
            xpos, ypos = where[k][i]
            g.node(f"u{k}_{i}", label=html_label(lines, title=names[k][i]),
                   pos=f"{xpos:.3f},{ypos:.3f}!", width=f"{size:.2f}", **attrs)


def _draw_wires(g: Any, grid: _Grid, n: int) -> None:
    """Each pixel's wire: up from its cell's upper edge (tailport n) into the gap above its
    row, right over the other cells of the row, then to the dot its arrows leave from."""
    for j in range(n):
        *bends, port = grid.wire(j)
        stops = [f"u0_{j}"]
        for n_bend, (x, y) in enumerate(bends):
            stops.append(f"bend{j}_{n_bend}")
            g.node(stops[-1], label="", shape="point", width="0.01", pos=f"{x:.3f},{y:.3f}!",
                   color=_WIRE, fillcolor=_WIRE)
        stops.append(f"p{j}")
        g.node(f"p{j}", label="", shape="point", width="0.07",
               pos=f"{port[0]:.3f},{port[1]:.3f}!", color=_WIRE, fillcolor=_WIRE,
               tooltip=f"pixel x{j + 1}")
        for tail, head in zip(stops, stops[1:]):
            g.edge(tail, head, arrowhead="none", color=_WIRE, penwidth="1.2",
                   **({"tailport": "n"} if tail == stops[0] else {}))


def _draw_weights(g: Any, Ws: Sequence[np.ndarray], where: Sequence[Sequence[Any]],
                  show_weights: bool, first_tail: str) -> None:
    """One arrow per weight, its width and colour from w; with `show_weights`, its value.
    The first layer's arrows leave the nodes ``{first_tail}j`` (``u0_j`` the input units,
    ``pj`` the pixels' fan-out dots)."""
    for k, W in enumerate(Ws):
        fin = np.abs(W[np.isfinite(W)])
        wmax = float(fin.max()) if fin.size else 0.0
        tail = first_tail if k == 0 else f"u{k}_"
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = float(W[i, j])
                attrs = {"tooltip": f"w = {reading(w)}", **_edge_style(w, wmax)}
                g.edge(f"{tail}{j}", f"u{k + 1}_{i}", **attrs)
                if show_weights and w != 0.0:
                    g.node(f"w{k}_{i}_{j}", label=html_label([(reading(w), attrs["color"][:7])]),
                           pos=_label_spot(where[k][j], where[k + 1][i], i, W.shape[0],
                                           max(x for x, _ in where[k])),
                           shape="plaintext", style="filled", fillcolor="#ffffffd0",
                           fixedsize="false", width="0", height="0", margin="0.01",
                           fontsize="8")


def _draw_targets(g: Any, targets: np.ndarray, outputs: Sequence[tuple[float, float]]) -> None:
    """The target t of each output unit, in a box just right of it (§1-7: C = ½ Σ (t − a)²)."""
    for i, (x, y) in enumerate(outputs):
        g.node(f"t{i}", label=html_label([f"t = {reading(float(targets[i]))}"]), shape="box",
               style="filled,dashed", fillcolor="#fff8e0", color="#8a6d00", fixedsize="true",
               width="0.7", height="0.32", pos=f"{x + 0.95:.3f},{y:.3f}!")


def _draw_legend(g: Any, where: Sequence[Sequence[Any]], row_gap: float, with_activations: bool,
                 title: str | None, grid: _Grid | None) -> None:
    """What the widths and colours mean, under the network (the title first)."""
    legend = ["arrow width ∝ |w| (per layer); red: w > 0, blue: w < 0, grey dotted: w = 0"]
    legend.append("b: bias" + ("; a: activation for the given input (darker = larger)"
                               if with_activations else ""))
    if grid is not None:
        legend.append("each pixel's wire runs from its cell to the dot its arrows leave from")
    if title is not None:
        legend.insert(0, title)
    bottom_y = min(y for column in where for _, y in column)
    if grid is not None:  # under the last row of cells and its dot
        bottom_y = min(bottom_y, where[0][-1][1] - _CELL / 2 - 0.2)
    xs_all = [p[0] for column in where for p in column]
    g.node("legend", label=html_label(legend, align="LEFT"), shape="plaintext", style="",
           fixedsize="false", pos=f"{(min(xs_all) + max(xs_all)) / 2:.3f},"
                                  f"{bottom_y - 1.1 * row_gap:.3f}!")
