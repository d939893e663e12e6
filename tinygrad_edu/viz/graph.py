"""`draw_graph`: the computation graph behind a `Value` or a `Tensor`, as Graphviz draws it.

Backpropagation (§4-1 to §4-4) walks this graph from the cost back to the weights.  The drawing
shows what the walk sees:

* a node per value: its label, its data (a `Tensor`: shape, dtype and a short summary) and, once
  `backward` has run, its gradient d(root)/d(value);
* a node per op (``×``, ``+``, ``σ``, ...), with an arrow to the value it made; a number among
  its operands is written on it with its side (``1 −`` for 1 − a, ``÷ 2`` for a / 2);
* every other operand that is no graph value (the pixels x of an image, an image batch X, the
  targets T, a constant) as a small grey node without a gradient, so ``@`` and ``conv2d`` show
  both of their inputs;
* on each arrow from an input to an op, the op's *local derivative* d(op output)/d(input) when it
  is one number (the scalar engine; a one-element tensor), so the chain rule reads off the page:
  an input's gradient is the sum over its arrows of (local derivative) × (the op output's grad);
* values made inside a module (`name_scope`: a neuron, a layer, a network) sit in a box named after
  it, nested as the modules are.

Placement of leaves (weights, inputs: values no op made): a leaf is drawn in the innermost box
that holds all of its users, so a neuron's own weights sit in the neuron's box and a pixel used by
every hidden neuron sits in the layer's box.  Nodes are written in the engine's forward order
(`engine.graph.topological_order`, the one walk of the graph) and ``dot`` keeps it, so units stack
A, B, C and 0, 1 from the top, as in the network diagram.

`level="neuron"` or `level="layer"` collapses every neuron (every layer) into one node.  The same
module applied to many images has one scope name, so it stays one node ("64 outputs"), and the
edges between nodes say how many values flow along them ("×64").  Leaves are summarised: one node
per set of groups they feed ("12 leaves: w1, w2, ..."), so 64 images stay as readable as one.
Ops outside any module (a cost written by hand) stay single nodes; wrap them in
``name_scope("C_T")`` to collapse them too.

The drawing only reads the graph: no data or gradient is changed.
"""

from __future__ import annotations

import gc
import math
import re
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

import graphviz
import numpy as np

from ..engine import Function, Node, no_grad, topological_order
from ..engine.fused import WeightedInput
from ..tools.trace import Scope
from .dot import Drawing, check_size, escape_html, escape_plain, html_label
from .dot import number_text as _num
from .network import shade

__all__ = ["draw_graph", "SHOW_ALL", "LEVELS", "DEFAULT_MAX_NODES"]

SHOW_ALL = ("label", "data", "grad", "local")
LEVELS = ("op", "neuron", "layer")
DEFAULT_MAX_NODES = 1500
"""Above this many nodes `dot` takes tens of seconds and the picture is a blur: refuse."""

_RANKDIRS = ("LR", "TB", "RL", "BT")
# grad magnitude, small to large (a light sequential palette: text stays legible)
_GRAD_COLOURS = ("#ffffff", "#eef5fc", "#dbe9f6", "#c2dbef", "#9ecae1", "#78b3dc")
_BAD_FILL, _BAD_LINE = "#ffb3b3", "#e00000"
_LEAF_LINE, _ROOT_LINE = "#1f4e99", "#000000"


# ----------------------------------------------------------------------------------------------
# reading the graph
# ----------------------------------------------------------------------------------------------


def _number_nodes(roots: Sequence[Node]) -> tuple[list[Node], list[list[int]]]:
    """All nodes behind `roots` in the engine's forward order (`engine.graph.topological_order`:
    inputs before the ops that use them), and each node's input indices in that list."""
    nodes: list[Node] = []
    index: dict[int, int] = {}
    for root in roots:
        for v in topological_order(root):
            if id(v) not in index:
                index[id(v)] = len(nodes)
                nodes.append(v)
    inputs = [[index[id(p)] for p in v.grad_fn.inputs if p is not None] if v.grad_fn is not None
              else [] for v in nodes]
    return nodes, inputs


class _Data:
    """A constant or data operand drawn as its own small grey node (no gradient)."""

    __slots__ = ("title", "value", "users")

    def __init__(self, title: str | None, value: Any) -> None:
        self.title, self.value = title, value
        self.users: list[Any] = []


def _is_number(c: Any) -> bool:
    if isinstance(c, (bool, np.bool_)):
        return False
    if isinstance(c, (int, float, np.number)):
        return True
    return isinstance(c, np.ndarray) and c.ndim == 0 and c.dtype.kind in "iuf"


def _is_data(c: Any) -> bool:
    """Numbers or a numeric array (not an axis, a shape, a string)."""
    return _is_number(c) or (isinstance(c, np.ndarray) and c.dtype.kind in "biuf")


def op_symbol(ctx: Function) -> str:
    """How an op is drawn: the symbol it carries (σ, ×, Σ), else its name."""
    return ctx.symbol or ctx.name()


def _data_owners(nodes: Sequence[Node]) -> dict[int, str]:
    """The labels of the data nodes behind the raw operands: a `Value` or `Tensor` with
    requires_grad=False (a target t1, an image batch x) is recorded by its raw number or array
    alone, so its label is found by who holds that very object (one scan of the heap for all
    operands; a node no longer alive has no label to give).  By id of the raw operand."""
    raws = {id(c): c for v in nodes if v.grad_fn is not None
            for c, p in zip(v.grad_fn.raw_args, v.grad_fn.inputs)
            if p is None and _is_data(c)}
    if not raws:
        return {}
    owners: dict[int, str] = {}
    for holder in gc.get_referrers(*raws.values()):
        if isinstance(holder, Node) and not holder.requires_grad and holder.label:
            c = holder.data
            if raws.get(id(c)) is c:
                owners[id(c)] = str(holder.label)
    return owners


def _operands(nodes: Sequence[Node], data_names: dict[str, np.ndarray]
              ) -> tuple[dict[int, str], list[_Data]]:
    """The operands that are not graph nodes (ctx.inputs[i] is None; the raw value is ctx.args[i]).

    A single unnamed number beside one node in a two-operand op is written on the op with its
    side: ``1 −`` for 1 − a, ``÷ 2`` for a / 2.  Every other constant, and data such as the pixels
    x of `weighted_input` (passed as the keyword x=) or an image batch X, becomes a `_Data` node,
    titled by the label of its data node (a `Tensor` labelled "x", a `Value` labelled "t1") or
    by `data_names`.
    Returns (op title by node index, the data nodes, each with the op indices that use it).
    """
    titles: dict[int, str] = {}
    data: list[_Data] = []
    shared: dict[tuple[Any, ...], _Data] = {}  # an array (or pixel) used by several ops: one node
    owners = _data_owners(nodes)

    def add(key: tuple[Any, ...] | None, title: str | None, value: Any, user: int) -> None:
        d = shared.get(key) if key is not None else None
        if d is None:
            d = _Data(title, value)
            data.append(d)
            if key is not None:
                shared[key] = d
        if user not in d.users:
            d.users.append(user)

    for i, v in enumerate(nodes):
        ctx = v.grad_fn
        if ctx is None:
            continue
        symbol = op_symbol(ctx)
        args = ctx.raw_args
        consts = [(pos, args[pos]) for pos, p in enumerate(ctx.inputs)
                  if p is None and pos < len(args) and _is_data(args[pos])]
        if (len(args) == 2 and len(consts) == 1 and _is_number(consts[0][1])
                and id(consts[0][1]) not in owners):
            pos, c = consts[0]
            c_text = _num(float(c))
            titles[i] = f"{c_text} {symbol}" if pos == 0 else f"{symbol} {c_text}"
            consts = []
        for _pos, c in consts:
            array = isinstance(c, np.ndarray) and c.ndim > 0
            key = ("owned", id(c)) if id(c) in owners else ("array", id(c)) if array else None
            add(key, owners.get(id(c)) or _data_name(c, data_names), c, i)
        if isinstance(ctx, WeightedInput):
            x = ctx.options.get("x")
            for j, xj in enumerate(x if x is not None else ()):
                add(("x", id(xj), j), f"x{j + 1}", xj, i)  # the book's pixel numbers, from 1
    return titles, data


def _data_name(c: Any, data_names: dict[str, np.ndarray]) -> str | None:
    """The name the caller gave this array (`draw_graph(..., data_names={"X": X})`), if any."""
    if not isinstance(c, np.ndarray) or c.ndim == 0:
        return None
    for name, arr in data_names.items():
        if c is arr or (c.shape == arr.shape and np.array_equal(c, arr)):
            return name
    return None


def _is_bad(x: Any) -> bool:
    """True when x (a float or an array) holds a NaN or an inf."""
    if x is None:
        return False
    if isinstance(x, float):
        return not math.isfinite(x)
    arr = np.asarray(x)
    return arr.dtype.kind in "fc" and not bool(np.all(np.isfinite(arr)))


def _magnitude(g: Any) -> float:
    """|g| for a float, the largest finite |g_i| for an array; 0.0 for None."""
    if g is None:
        return 0.0
    if isinstance(g, float):
        return abs(g) if math.isfinite(g) else 0.0
    arr = np.asarray(g, dtype=np.float64)
    fin = arr[np.isfinite(arr)]
    return float(np.max(np.abs(fin))) if fin.size else 0.0


def _summary(x: Any) -> str:
    """A short text for a float or an array: the numbers when few, else mean and range."""
    if isinstance(x, float):
        return _num(x)
    arr = np.asarray(x)
    if arr.size <= 4:
        flat = arr.reshape(-1).tolist()
        inner = ", ".join(_num(float(v)) for v in flat)
        return inner if arr.ndim == 0 else f"[{inner}]"
    with np.errstate(all="ignore"):
        fin = arr[np.isfinite(arr)].astype(np.float64)
        if fin.size == 0:
            return "all NaN/inf"
        lo, hi = _num(float(fin.min())), _num(float(fin.max()))
        text = f"mean {_num(float(fin.mean()))}, [{lo}, {hi}]"
    n_bad = arr.size - fin.size
    return text + (f", {n_bad} NaN/inf" if n_bad else "")


def _shape_text(array: Any) -> str:
    return f"{tuple(array.shape)} {array.dtype}"


def _local_derivatives(node: Node) -> list[float | None]:
    """d(node)/d(input_i) for each input when it is one number, else None (read only)."""
    ctx: Any = node.grad_fn
    n = len(ctx.inputs)
    try:
        if isinstance(node.data, float):
            seed: Any = 1.0
        elif np.size(node.data) == 1:
            seed = np.ones_like(node.data)
        else:
            return [None] * n
        with np.errstate(all="ignore"):
            with no_grad():  # the rule on raw numbers
                grads = type(ctx).backward(ctx, seed)
    except Exception:  # a custom op whose backward wants more: draw the edge without a number
        return [None] * n
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    out: list[float | None] = []
    for i in range(n):
        g = grads[i] if i < len(grads) else None
        if g is None or ctx.inputs[i] is None:
            out.append(None)
        elif isinstance(g, float):
            out.append(g)
        elif np.size(g) == 1 and np.size(ctx.inputs[i].data) == 1:
            out.append(float(np.asarray(g).reshape(-1)[0]))
        else:
            out.append(None)
    return out


def _common_prefix(paths: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    it = iter(paths)
    try:
        prefix = next(it)
    except StopIteration:
        return ()
    for p in it:
        n = 0
        for a, b in zip(prefix, p):
            if a != b:
                break
            n += 1
        prefix = prefix[:n]
    return prefix


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key that puts w2 before w10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text))


def _has_grad(nodes: Sequence[Node]) -> bool:
    """Has backward reached this graph? (some gradient is set and non-zero)"""
    for v in nodes:
        g = v.grad
        if g is None:
            continue
        if isinstance(g, float):
            if g != 0.0:
                return True
        else:
            return True
    return False


# ----------------------------------------------------------------------------------------------
# the drawing
# ----------------------------------------------------------------------------------------------


class _Canvas:
    """Nodes and edges collected per cluster path, turned into nested Graphviz clusters."""

    def __init__(self) -> None:
        self.members: dict[tuple[Any, ...], list[tuple[str, dict[str, str]]]] = {(): []}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.ranks: list[tuple[str, str]] = []

    def node(self, path: tuple[Any, ...], name: str, **attrs: str) -> None:
        for k in range(len(path) + 1):
            self.members.setdefault(path[:k], [])
        self.members[path].append((name, attrs))

    def edge(self, a: str, b: str, **attrs: str) -> None:
        self.edges.append((a, b, attrs))

    def same_rank(self, a: str, b: str) -> None:
        """Draw nodes a and b in one column (one row with rankdir TB)."""
        self.ranks.append((a, b))

    def count(self) -> int:
        return sum(len(v) for v in self.members.values())

    def build(self, g: graphviz.Digraph, cluster_label: Any, own_nodes_last: bool) -> None:
        """Write the clusters, nested, then the edges.  `own_nodes_last`: a cluster's own nodes
        come after its inner clusters (dot then keeps the inner clusters in their order)."""
        paths = list(self.members)
        ids = {p: f"cluster_{k}" for k, p in enumerate(paths)}
        subs: dict[tuple[Any, ...], graphviz.Digraph] = {(): g}
        for p in paths:
            if not p:
                continue
            sub = graphviz.Digraph(name=ids[p])
            sub.attr(label=cluster_label(p[-1]), style="rounded,filled", color="#888888",
                     fillcolor=_CLUSTER_FILL.get(p[-1].kind, "#fafafa"), fontsize="11",
                     labeljust="l")
            subs[p] = sub
            if not own_nodes_last:
                for name, attrs in self.members[p]:
                    sub.node(name, **attrs)
        for p in sorted(paths, key=len, reverse=True):  # the innermost first
            if own_nodes_last or not p:
                for name, attrs in self.members[p]:
                    subs[p].node(name, **attrs)
            if p:
                subs[p[:-1]].subgraph(subs[p])
        for a, b, attrs in self.edges:
            g.edge(a, b, **attrs)
        for a, b in self.ranks:
            g.body.append(f"\t{{rank=same; {a}; {b}}}\n")


_CLUSTER_FILL = {"network": "#f4f4f4", "layer": "#eaf3ea", "neuron": "#fdf6e3",
                 "block": "#f0eef8", "data": "#fbfbfb"}
# data and constants: small grey boxes with grey dashed arrows (no gradient flows to them)
_DATA_STYLE = {"style": "filled", "fillcolor": "#e9e9e9", "color": "#9a9a9a",
               "fontcolor": "#333333", "fontsize": "9", "margin": "0.05,0.02", "height": "0.25"}
_DATA_EDGE = {"color": "#9a9a9a", "style": "dashed", "arrowsize": "0.5", "minlen": "2"}


def _grad_fill(mag: float, top: float) -> str:
    if top <= 0.0 or mag <= 0.0:
        return _GRAD_COLOURS[0]
    t = math.sqrt(min(mag / top, 1.0))
    return _GRAD_COLOURS[max(1, round(t * (len(_GRAD_COLOURS) - 1)))]


def draw_graph(root: Node | Sequence[Node], rankdir: str = "LR",
               show: Sequence[str] = SHOW_ALL, level: str = "op", color_by_grad: bool = True,
               max_nodes: int | None = DEFAULT_MAX_NODES, title: str | None = None, *,
               box_names: Mapping[str, str] | None = None,
               data_names: Mapping[str, Any] | None = None,
               input_grid: tuple[int, int] | None = None) -> graphviz.Digraph:
    """The computation graph behind `root` (a `Value`, a `Tensor`, or a list of them).

    rankdir: "LR" (left to right, inputs on the left) or "TB" (top down); "RL", "BT" also work.
    show: which texts to write: "label" (the node's label), "data" (its value; shape, dtype and a
      summary for a tensor), "grad" (its gradient, once backward has run), "local" (the local
      derivative on each edge, where it is one number).
    level: "op" (every value and op), "neuron" or "layer" (one node per neuron or layer).
    color_by_grad: fill each value by |grad| (darker blue = larger); NaN and inf are always red.
    max_nodes: refuse (`GraphTooLarge`) a drawing with more nodes, suggesting a coarser level.
    title: a caption under the drawing.
    box_names: a title per module scope name, e.g. {"layers.0.neurons.0": "A"} (default: the
      scope's name and kind, "layers.0.neurons.0 (neuron)").
    data_names: names for data arrays that are not graph nodes, e.g. {"X": X, "T": T}: an
      operand equal to one of them is titled with its name.
    input_grid: (rows, cols), e.g. (4, 3): at the neuron and layer level, the pixels x1..x12
      of one image are drawn as the image, a block of rows x cols cells (§1-5).

    Operands that are not graph nodes are drawn too: a single number on its op with its side
    (``1 −``, ``÷ 2``, ``^ 2``), other constants and data (pixels, images, targets) as small grey
    nodes without a gradient.  Returns a `graphviz.Digraph`: ``.source`` is the DOT text; in
    Jupyter it displays itself; `tinygrad_edu.viz.render(g, "graph.svg")` writes SVG, PNG or PDF.
    """
    roots, show = _checked_arguments(root, rankdir, show, level)
    nodes, inputs = _number_nodes(roots)
    named = {str(k): np.asarray(v) for k, v in (data_names or {}).items()}
    titles, data = _operands(nodes, named)
    with_grad = "grad" in show and _has_grad(nodes)
    g = Drawing(name="computation_graph")
    # mclimit: few crossing-reduction passes, so dot keeps the order in which the nodes are
    # written (the engine's forward order: units A, B, C and pixels 1..12 from the top)
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", newrank="true",
           compound="true", mclimit="0.01")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="box", style="rounded,filled",
           fillcolor="white", color="#444444")
    g.attr("edge", fontname="Helvetica", fontsize="9", color="#555555", arrowsize="0.6")
    canvas = _Canvas()
    paint = _Painter(nodes, roots, show, with_grad, color_by_grad, dict(box_names or {}))
    paint.input_grid = input_grid
    if level == "op":
        n_draw = len(nodes) + sum(1 for v in nodes if v.grad_fn is not None) + len(data)
        check_size(n_draw, max_nodes, level)
        _draw_ops(canvas, paint, inputs, titles, data)
    else:
        _draw_groups(canvas, paint, inputs, titles, data, level, max_nodes)
    canvas.build(g, paint.cluster_label, own_nodes_last=False)
    caption = []
    if title is not None:
        caption.append(title)
    if level == "op" and "local" in show and any(v.grad_fn is not None for v in nodes):
        caption.append("numbers on arrows: local derivative d(op output)/d(input)")
    if data:
        caption.append("grey: data and constants (no gradient)")
    if with_grad:
        caption.append("grad = d(root)/d(value)" + (", darker = larger |grad|"
                                                   if color_by_grad else ""))
    if caption:
        g.attr(label=html_label(caption, align="LEFT"), labelloc="b", labeljust="l")
    return g


def _checked_arguments(root: Any, rankdir: str, show: Sequence[str],
                       level: str) -> tuple[list[Any], tuple[str, ...]]:
    """draw_graph's roots as a list and `show` as a tuple, or one sentence saying what is off."""
    roots: list[Any] = list(root) if isinstance(root, (list, tuple)) else [root]
    if not roots or not all(isinstance(r, Node) for r in roots):
        raise TypeError("draw_graph needs a Value or a Tensor (or a list of them), got "
                        f"{type(root).__name__}; draw the result of a computation, e.g. "
                        "draw_graph(C_T)")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if level not in LEVELS:
        raise ValueError(f"draw_graph: level must be one of {LEVELS}, got {level!r}")
    show = tuple(show)
    unknown = [s for s in show if s not in SHOW_ALL]
    if unknown:
        raise ValueError(f"draw_graph: show may hold {SHOW_ALL}, got {unknown}")
    return roots, show


def scope_title(scope: Scope, box_names: Mapping[str, str]) -> str:
    """The title of a module's box: its name in `box_names` (the book's, such as "A" or "hidden
    layer (layer 2)"), else its scope name and kind, "layers.0.neurons.2 (neuron)"."""
    if scope.name in box_names or scope.kind == "data":
        return box_names.get(scope.name, scope.name)
    return f"{scope.name} ({scope.kind})"


class _Painter:
    """What every drawing level shares: the options, and the texts and colours of a value."""

    def __init__(self, nodes: Sequence[Node], roots: Sequence[Node], show: Sequence[str],
                 with_grad: bool, color_by_grad: bool, box_names: dict[str, str]) -> None:
        self.nodes, self.show, self.with_grad = nodes, show, with_grad
        self.color_by_grad, self.box_names = color_by_grad, box_names
        self.input_grid: tuple[int, int] | None = None
        self.root_ids = {id(r) for r in roots}
        self.top = max((_magnitude(v.grad) for v in nodes), default=0.0) if with_grad else 0.0

    def box_name(self, scope: Scope) -> str:
        return self.box_names.get(scope.name, scope.name)

    def cluster_label(self, scope: Scope) -> str:
        return html_label([], title=scope_title(scope, self.box_names))

    def value_lines(self, v: Node, data_name: str = "data") -> list[str | tuple[str, str]]:
        lines: list[str | tuple[str, str]] = []
        if "data" in self.show:
            if not isinstance(v.data, float):
                lines.append(_shape_text(v.data))
            text = f"{data_name} {_summary(v.data)}"
            lines.append((text, _BAD_LINE) if _is_bad(v.data) else text)
        if self.with_grad:
            if v.grad is None:
                lines.append("grad —")
            else:
                text = f"grad {_summary(v.grad)}"
                lines.append((text, _BAD_LINE) if _is_bad(v.grad) else text)
        return lines

    def bad(self, vs: Iterable[Node]) -> bool:
        return any(_is_bad(v.data) or (self.with_grad and _is_bad(v.grad)) for v in vs)

    def fill(self, attrs: dict[str, str], vs: Sequence[Node], shown: Sequence[Node]) -> None:
        """Red when any of `vs` holds NaN/inf, else shaded by the largest |grad| of `shown`."""
        if self.bad(vs):
            attrs.update(fillcolor=_BAD_FILL, color=_BAD_LINE, penwidth="2.5")
        elif self.color_by_grad and self.with_grad:
            mag = max((_magnitude(v.grad) for v in shown), default=0.0)
            attrs["fillcolor"] = _grad_fill(mag, self.top)

    def data_attrs(self, items: Sequence[_Data]) -> dict[str, str]:
        """A grey data node: the pixels x1..x12 of one image as the image itself (with
        `input_grid`), anything else as `data_label` says."""
        grid = self.input_grid
        names = [d.title for d in items]
        if grid is not None and sorted(names, key=lambda n: _natural(n or "")) == [
                f"x{j}" for j in range(1, grid[0] * grid[1] + 1)]:
            return {"label": _grid_label(items, grid, "data" in self.show), "shape": "plain",
                    "style": "", "margin": "0"}
        return {"label": self.data_label(items), **_DATA_STYLE}

    def data_label(self, items: Sequence[_Data]) -> str:
        """One grey node's text: each item when at most 3, else how many and their names."""
        show_data = "data" in self.show
        if len(items) <= 3:
            lines = []
            for d in items:
                name = d.title or "data"
                if isinstance(d.value, np.ndarray) and d.value.ndim > 0:
                    lines.append(f"{name} {_shape_text(d.value)}")
                    if show_data:
                        lines.append(_summary(d.value))
                else:
                    lines.append(f"{name} = {_summary(float(d.value))}" if show_data else name)
            return html_label(lines)
        names = sorted({d.title for d in items if d.title}, key=_natural)
        lines = [", ".join(names[:3]) + (", …" if len(names) > 3 else "")] if names else []
        return html_label(lines, title=f"{len(items)} data values")


def _grid_label(items: Sequence[_Data], grid: tuple[int, int], with_values: bool) -> str:
    """The pixels of one image as a table of rows x cols cells, x1 at the top left, each cell
    named and (with its value) shaded as the pixel is (1 black, 0 white)."""
    rows, cols = grid
    by_name = {d.title: d for d in items}
    trs = []
    for r in range(rows):
        tds = []
        for c in range(cols):
            d = by_name[f"x{r * cols + c + 1}"]
            text = f"<B>{d.title}</B>"
            fill, font = "#ffffff", "#000000"
            if with_values:
                value = float(d.value)
                text += f"<BR/>{escape_html(_num(value))}"
                fill, font = shade(value)  # as the network diagram shades its pixels
            tds.append(f'<TD BGCOLOR="{fill}" WIDTH="40" HEIGHT="34">'
                       f'<FONT COLOR="{font}">{text}</FONT></TD>')
        trs.append("<TR>" + "".join(tds) + "</TR>")
    head = (f'<TR><TD COLSPAN="{cols}" BORDER="0"><B>the image, pixels x1..x{rows * cols}'
            "</B></TD></TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" '
            f'COLOR="#9a9a9a">{head}{"".join(trs)}</TABLE>>')


def _users(nodes: Sequence[Node], inputs: Sequence[list[int]]) -> list[list[int]]:
    users: list[list[int]] = [[] for _ in nodes]
    for i, ins in enumerate(inputs):
        for j in ins:
            users[j].append(i)
    return users


def _draw_ops(canvas: _Canvas, paint: _Painter, inputs: Sequence[list[int]],
              titles: dict[int, str], data: Sequence[_Data]) -> None:
    """The graph at op level: every value, every op, every operand that is data."""
    nodes, show = paint.nodes, paint.show
    users = _users(nodes, inputs)
    scope: list[tuple[Any, ...]] = [tuple(getattr(v.grad_fn, "scope", ())) for v in nodes]
    for i, v in enumerate(nodes):
        if v.grad_fn is None and users[i]:
            scope[i] = _common_prefix(scope[u] for u in users[i])
    data_of: dict[int, list[int]] = {}
    for k, d in enumerate(data):
        for u in d.users:
            data_of.setdefault(u, []).append(k)
    box = _data_boxes(scope, data)
    drawn: set[int] = set()
    for i, v in enumerate(nodes):
        ctx = v.grad_fn
        if ctx is not None:
            for k in data_of.get(i, ()):  # data first: the drawing keeps the order of creation
                if k not in drawn:
                    drawn.add(k)
                    canvas.node(box[k], f"d{k}", label=paint.data_label([data[k]]), **_DATA_STYLE)
                canvas.edge(f"d{k}", f"op{i}", **_DATA_EDGE)
            name = ctx.name()
            symbol = titles.get(i, op_symbol(ctx))
            canvas.node(scope[i], f"op{i}", label=html_label([], title=symbol),
                        shape="circle" if len(symbol) <= 2 else "ellipse", style="filled",
                        fillcolor="#f2f2f2", margin="0.02", tooltip=escape_plain(name))
        title = v.label if ("label" in show and v.label) else None
        attrs = {"label": html_label(paint.value_lines(v), title=title)}
        paint.fill(attrs, [v], [v])
        if ctx is None:
            attrs.update(style="filled", color=attrs.get("color", _LEAF_LINE),
                         penwidth=attrs.get("penwidth", "1.5"))
        if id(v) in paint.root_ids:
            attrs.update(peripheries="2", color=attrs.get("color", _ROOT_LINE))
        canvas.node(scope[i], f"v{i}", **attrs)
        if ctx is None:
            continue
        canvas.edge(f"op{i}", f"v{i}")
        _draw_input_edges(canvas, v, i, inputs[i], "local" in show)


def _data_boxes(scope: Sequence[tuple[Any, ...]], data: Sequence[_Data]
                ) -> dict[int, tuple[Any, ...]]:
    """Where each data operand is drawn: beside its ops; data used by the same ops (the pixels of
    an image), when more than three, in a box of their own."""
    same_users: dict[tuple[Any, ...], list[int]] = {}
    for k, d in enumerate(data):
        same_users.setdefault(tuple(d.users), []).append(k)
    box: dict[int, tuple[Any, ...]] = {}
    for ks in same_users.values():
        where = _common_prefix(scope[u] for u in data[ks[0]].users)
        if len(ks) > 3:
            names = [data[k].title for k in ks if data[k].title]
            span = f"{names[0]} … {names[-1]}" if len(names) > 1 else f"{len(ks)} values"
            where = (*where, Scope(f"data: {span}", "data"))
        for k in ks:
            box[k] = where
    return box


def _draw_input_edges(canvas: _Canvas, v: Node, i: int, inputs_i: Sequence[int],
                      with_local: bool) -> None:
    """An arrow from each graph input of op i, with its local derivative where it is a number."""
    locals_ = _local_derivatives(v) if with_local else []
    k = 0
    ctx: Any = v.grad_fn
    for pos, p in enumerate(ctx.inputs):
        if p is None:
            continue
        j = inputs_i[k]
        k += 1
        eattrs: dict[str, str] = {}
        local = locals_[pos] if locals_ else None
        if local is not None:
            eattrs["label"] = html_label([_num(local)])
            if not math.isfinite(local):
                eattrs.update(color=_BAD_LINE, fontcolor=_BAD_LINE, penwidth="2")
        canvas.edge(f"v{j}", f"op{i}", **eattrs)


def _group_key(v: Node, i: int, level: str) -> tuple[Any, ...]:
    """The group a recorded node collapses into: its innermost neuron (layer) scope, or itself."""
    path = tuple(getattr(v.grad_fn, "scope", ()))
    kinds = ("neuron", "layer") if level == "neuron" else ("layer",)
    for kind in kinds:
        for d in range(len(path) - 1, -1, -1):
            if path[d].kind == kind:
                return ("scope", path[:d + 1])
    if path:
        return ("scope", path)
    return ("op", i)


def group_names(nodes: Sequence[Node], inputs: Sequence[list[int]], level: str) -> list[str]:
    """For each node (in `_number_nodes` order), the name of the drawn node it is part of at
    `level`: ``v{i}`` at the op level, ``g{n}`` (a neuron, a layer, a set of leaves) otherwise."""
    if level == "op":
        return [f"v{i}" for i in range(len(nodes))]
    key, _, members, leaf_groups = _grouping(nodes, _users(nodes, inputs), level)
    names = _group_names(members, leaf_groups)
    return [names[k] for k in key]


def _group_names(members: dict[tuple[Any, ...], Any], leaf_groups: dict[tuple[Any, ...], Any]
                 ) -> dict[tuple[Any, ...], str]:
    return {k: f"g{n}" for n, k in enumerate([*members, *leaf_groups])}


def _grouping(nodes: Sequence[Node], users: Sequence[list[int]], level: str
              ) -> tuple[list[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
    """(the group key of each node, the order of the recorded groups, their members, the members
    of each set of leaves: one per set of groups they feed) at `level` "neuron" or "layer"."""
    key: list[tuple[Any, ...] | None] = [None] * len(nodes)
    order: dict[tuple[Any, ...], int] = {}
    members: dict[tuple[Any, ...], list[int]] = {}
    for i, v in enumerate(nodes):
        if v.grad_fn is not None:
            k = _group_key(v, i, level)
            key[i] = k
            order.setdefault(k, len(order))
            members.setdefault(k, []).append(i)
    leaf_groups: dict[tuple[Any, ...], list[int]] = {}
    for i, v in enumerate(nodes):
        if v.grad_fn is None:
            # a user is an op result, so key[u] is a group, never None (mypy cannot see it)
            groups = {key[u] for u in users[i]}
            f = tuple(sorted(groups, key=lambda g: order[g]))  # type: ignore[index]
            k = ("leaves", f) if f else ("leaf", i)
            key[i] = k
            leaf_groups.setdefault(k, []).append(i)
    return key, order, members, leaf_groups


def _draw_groups(canvas: _Canvas, paint: _Painter, inputs: Sequence[list[int]],
                 titles: dict[int, str], data: Sequence[_Data], level: str,
                 max_nodes: int | None) -> None:
    """The graph at neuron or layer level: one box per group of ops, leaves and data."""
    nodes = paint.nodes
    users = _users(nodes, inputs)
    key, order, members, leaf_groups = _grouping(nodes, users, level)

    def fed(users_of: Iterable[int]) -> tuple[Any, ...]:
        return tuple(sorted({key[u] for u in users_of}, key=order.__getitem__))

    # data: one summary node per set of groups they feed, as the leaves
    data_groups: dict[tuple[Any, ...], list[int]] = {}
    for n, d in enumerate(data):
        data_groups.setdefault(("data", fed(d.users)), []).append(n)
    check_size(len(members) + len(leaf_groups) + len(data_groups), max_nodes, level)

    names = _group_names(members, leaf_groups)
    names.update({k: f"d{n}" for n, k in enumerate(data_groups)})  # d: data, as at op level
    outputs: dict[tuple[Any, ...], list[int]] = {}
    for k, idx in members.items():
        outputs[k] = [i for i in idx
                      if id(nodes[i]) in paint.root_ids or any(key[u] != k for u in users[i])]
    if paint.with_grad:
        paint.top = max((_magnitude(nodes[i].grad) for outs in outputs.values() for i in outs),
                        default=0.0)

    # written in the engine's forward order (dot keeps it: units A, B, C from the top)
    first = {k: min(idx) for k, idx in [*members.items(), *leaf_groups.items()]}
    first.update({k: min(u for n in idx for u in data[n].users) - 0.5
                  for k, idx in data_groups.items()})
    pending: list[tuple[float, tuple[Any, ...], dict[str, str]]] = []
    for k, idx in data_groups.items():
        pending.append((first[k], k, paint.data_attrs([data[n] for n in idx])))
    for k, idx in members.items():
        pending.append((first[k], k, _group_attrs(paint, k, idx, outputs[k], titles)))
    for k, idx in leaf_groups.items():
        pending.append((first[k], k, _leaf_group_attrs(paint, [nodes[i] for i in idx])))
    flows = _flows(inputs, key, data_groups, data)

    def cluster_of(k: tuple[Any, ...]) -> tuple[Any, ...]:
        return _cluster_of(k, nodes)

    # dot reverses the units of a box that is entered from another box (an output layer fed by
    # the hidden layer): write those units in reverse, so that they too read 0, 1 from the top
    # (their weights stay in order); tests/viz/test_viz.py checks the order dot draws
    entered = {cluster_of(b) for (a, b) in flows if a[0] == "scope" and b[0] == "scope"
               and cluster_of(a) != cluster_of(b)}
    for _, k, attrs in sorted(pending, key=lambda item: -item[0] if cluster_of(item[1]) in entered
                              and item[1][0] == "scope" else item[0]):
        canvas.node(cluster_of(k), names[k], **attrs)

    for (a, b), n in flows.items():
        eattrs = dict(_DATA_EDGE) if a[0] == "data" else {}
        if n > 1:
            eattrs["label"] = html_label([f"×{n}"])
            eattrs["penwidth"] = f"{min(1.0 + math.log10(n), 4.0):.2f}"
        canvas.edge(names[a], names[b], **eattrs)
    for k, b in _beside_their_unit(flows, [*leaf_groups, *data_groups], cluster_of):
        canvas.same_rank(names[k], names[b])


def _beside_their_unit(flows: Mapping[tuple[tuple[Any, ...], tuple[Any, ...]], int],
                       fed: Iterable[tuple[Any, ...]], cluster_of: Any
                       ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """The weights (leaves) or data that feed one group only, where that group is also fed from
    another box, drawn in the group's own column (rank): the output layer's weights beside its
    units, not in a column of their own between the layers, so the output layer stands after
    the hidden layer (not above it) and its arrows run straight; a target t beside its
    difference t − a.  (leaf or data group, the group it feeds) pairs."""
    pairs = []
    for k in fed:
        if k[0] not in ("leaves", "data") or len(k[1]) != 1:
            continue
        (b,) = k[1]
        if any(b2 == b and a[0] in ("scope", "op") and cluster_of(a) != cluster_of(b)
               for (a, b2) in flows):
            pairs.append((k, b))
    return pairs


def _cluster_of(k: tuple[Any, ...], nodes: Sequence[Node]) -> tuple[Any, ...]:
    """The module path of the box a group is drawn in."""
    if k[0] == "scope":
        path: tuple[Any, ...] = k[1][:-1]
        return path
    if k[0] == "op":
        return tuple(nodes[k[1]].scope)
    if k[0] in ("leaves", "data"):
        return _common_prefix(_cluster_of(f, nodes) for f in k[1])
    return ()


def _group_attrs(paint: _Painter, k: tuple[Any, ...], idx: list[int], outs: list[int],
                 titles: dict[int, str]) -> dict[str, str]:
    """A unit or layer drawn as one node (its kind, its op count, its output), or a lone op."""
    nodes, show = paint.nodes, paint.show
    if k[0] == "scope":
        lines: list[str | tuple[str, str]] = [f"{k[1][-1].kind}, {len(idx)} ops"]
        if len(outs) == 1:
            lines += paint.value_lines(nodes[outs[0]], data_name="out")
        else:
            lines.append(f"{len(outs)} outputs")
            lines += _many_lines([nodes[i] for i in outs], show, paint.with_grad)
        label = html_label(lines, title=paint.box_name(k[1][-1]))
    else:
        v = nodes[k[1]]
        op = titles.get(k[1], op_symbol(v.grad_fn))
        title = f"{v.label}: {op}" if ("label" in show and v.label) else op
        label = html_label(paint.value_lines(v), title=title)
    attrs = {"label": label}
    paint.fill(attrs, [nodes[i] for i in idx], [nodes[i] for i in outs])
    if any(id(nodes[i]) in paint.root_ids for i in idx):
        attrs["peripheries"] = "2"
    return attrs


def _leaf_group_attrs(paint: _Painter, leaves: list[Node]) -> dict[str, str]:
    """The leaves that feed the same groups: listed when few, else counted."""
    show = paint.show
    lines: list[str | tuple[str, str]] = []
    if len(leaves) <= 3:
        for v in leaves:
            name = v.label if ("label" in show and v.label) else "leaf"
            lines.append(f"{name} = {_summary(v.data)}" if "data" in show else name)
            if paint.with_grad and v.grad is not None:
                lines.append(f"grad {_summary(v.grad)}")
        label = html_label(lines)
    else:
        if "label" in show:
            labels = sorted({v.label for v in leaves if v.label}, key=_natural)
            if labels:
                lines.append(", ".join(labels[:3]) + (", …" if len(labels) > 3 else ""))
        if paint.with_grad:
            lines.append(f"|grad| max {_num(max(_magnitude(v.grad) for v in leaves))}")
        label = html_label(lines, title=f"{len(leaves)} leaves")
    attrs = {"label": label, "style": "filled,dashed", "color": _LEAF_LINE}
    if paint.bad(leaves):
        attrs.update(fillcolor=_BAD_FILL, color=_BAD_LINE, penwidth="2.5")
    return attrs


def _flows(inputs: Sequence[list[int]], key: Sequence[tuple[Any, ...]],
           data_groups: dict[tuple[Any, ...], list[int]],
           data: Sequence[_Data]) -> dict[tuple[tuple[Any, ...], tuple[Any, ...]], int]:
    """How many edges run from one group to another (drawn as one arrow, ×n)."""
    flows: dict[tuple[tuple[Any, ...], tuple[Any, ...]], int] = {}
    for i, ins in enumerate(inputs):
        for j in ins:
            a, b = key[j], key[i]
            if a != b:
                flows[(a, b)] = flows.get((a, b), 0) + 1
    for k, idx in data_groups.items():
        for n in idx:
            for u in data[n].users:
                flows[(k, key[u])] = flows.get((k, key[u]), 0) + 1
    return flows


def _many_lines(vs: Sequence[Node], show: Sequence[str], with_grad: bool
                ) -> list[str | tuple[str, str]]:
    """A summary of several outputs: their values when few, else mean and range."""
    lines: list[str | tuple[str, str]] = []
    if not vs:
        return lines
    if all(isinstance(v.data, float) for v in vs):
        data = np.array([v.data for v in vs])
        grads = np.array([v.grad for v in vs], dtype=np.float64)
    else:
        if "data" in show:
            for v in vs[:2]:
                lines.append(_shape_text(v.data))
        return lines
    if "data" in show:
        text = f"out {_summary(data)}"
        lines.append((text, _BAD_LINE) if _is_bad(data) else text)
    if with_grad:
        text = f"grad {_summary(grads)}"
        lines.append((text, _BAD_LINE) if _is_bad(grads) else text)
    return lines
