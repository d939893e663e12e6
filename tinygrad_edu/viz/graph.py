"""`draw_graph`: the computation graph behind a `Value` or a `Tensor`, as Graphviz draws it.

Backpropagation (§4-1 to §4-4) walks this graph from the cost back to the weights.  The drawing
shows what the walk sees:

* a node per value: its label, its data (a `Tensor`: shape, dtype and a short summary) and, once
  `backward` has run, its gradient d(root)/d(value);
* a node per op (``×``, ``+``, ``σ``, ...), with an arrow to the value it made;
* on each arrow from an input to an op, the op's *local derivative* d(op output)/d(input) when it
  is one number (the scalar engine; a one-element tensor), so the chain rule reads off the page:
  an input's gradient is the sum over its arrows of (local derivative) × (the op output's grad);
* values made inside a module (`name_scope`: a neuron, a layer, a network) sit in a box named after
  it, nested as the modules are.

Placement of leaves (weights, inputs: values no op made): a leaf is drawn in the innermost box
that holds all of its users, so a neuron's own weights sit in the neuron's box and a pixel used by
every hidden neuron sits in the layer's box.

`level="neuron"` or `level="layer"` collapses every neuron (every layer) into one node.  The same
module applied to many images has one scope name, so it stays one node ("64 outputs"), and the
edges between nodes say how many values flow along them ("×64").  Leaves are summarised: one node
per set of groups they feed ("12 leaves: w1, w2, ..."), so 64 images stay as readable as one.
Ops outside any module (a cost written by hand) stay single nodes; wrap them in
``name_scope("C_T")`` to collapse them too.

The drawing only reads the graph: no data or gradient is changed.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Sequence

import graphviz
import numpy as np

from ..autograd import Node, Scope
from .dot import check_size, html_label

__all__ = ["draw_graph", "SHOW_ALL", "LEVELS", "DEFAULT_MAX_NODES"]

SHOW_ALL = ("label", "data", "grad", "local")
LEVELS = ("op", "neuron", "layer")
DEFAULT_MAX_NODES = 1500
"""Above this many nodes `dot` takes tens of seconds and the picture is a blur: refuse."""

_RANKDIRS = ("LR", "TB", "RL", "BT")
_OP_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−x",
               "sigmoid": "σ", "matmul": "@", "exp": "exp", "log": "ln", "sum": "Σ"}
# grad magnitude, small to large (a light sequential palette: text stays legible)
_GRAD_COLOURS = ("#ffffff", "#eef5fc", "#dbe9f6", "#c2dbef", "#9ecae1", "#78b3dc")
_BAD_FILL, _BAD_LINE = "#ffb3b3", "#e00000"
_LEAF_LINE, _ROOT_LINE = "#1f4e99", "#000000"


# ----------------------------------------------------------------------------------------------
# reading the graph
# ----------------------------------------------------------------------------------------------


def _walk(roots: Sequence[Node]) -> tuple[list[Node], list[list[int]]]:
    """All nodes behind `roots` (discovery order, iterative) and each node's input indices."""
    nodes: list[Node] = []
    index: dict[int, int] = {}
    for r in roots:
        if id(r) not in index:
            index[id(r)] = len(nodes)
            nodes.append(r)
    stack = list(range(len(nodes)))
    stack.reverse()
    inputs: dict[int, list[int]] = {}
    while stack:
        i = stack.pop()
        ctx = nodes[i]._ctx
        ins: list[int] = []
        if ctx is not None:
            for p in ctx.inputs:
                if p is None:
                    continue
                k = index.get(id(p))
                if k is None:
                    k = index[id(p)] = len(nodes)
                    nodes.append(p)
                    stack.append(k)
                ins.append(k)
        inputs[i] = ins
    return nodes, [inputs[i] for i in range(len(nodes))]


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


def _num(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"


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


def _shape_text(t: Any) -> str:
    shape = tuple(t.data.shape)
    return f"{shape} {t.data.dtype}"


def _local_derivatives(node: Node) -> list[float | None]:
    """d(node)/d(input_i) for each input when it is one number, else None (read only)."""
    ctx = node._ctx
    n = len(ctx.inputs)
    try:
        if isinstance(node.data, float):
            seed: Any = 1.0
        elif np.size(node.data) == 1:
            seed = np.ones_like(node.data)
        else:
            return [None] * n
        with np.errstate(all="ignore"):
            grads = ctx.fn.backward(ctx, seed)
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


def _constants(node: Node) -> list[float]:
    """Constant operands (e.g. the 0.5 in 0.5*e) when the op kept them, scalar engine only."""
    ctx = node._ctx
    found = []
    for i, p in enumerate(ctx.inputs):
        if p is None:
            s = ctx.args[i]
            if isinstance(s, (float, int)) and not isinstance(s, bool):
                found.append(float(s))
    return found


def _common_prefix(paths: Iterable[tuple]) -> tuple:
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


def _natural(text: str) -> tuple:
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
        self.members: dict[tuple, list[tuple[str, dict[str, str]]]] = {(): []}
        self.edges: list[tuple[str, str, dict[str, str]]] = []

    def node(self, path: tuple, name: str, **attrs: str) -> None:
        for k in range(len(path) + 1):
            self.members.setdefault(path[:k], [])
        self.members[path].append((name, attrs))

    def edge(self, a: str, b: str, **attrs: str) -> None:
        self.edges.append((a, b, attrs))

    def count(self) -> int:
        return sum(len(v) for v in self.members.values())

    def build(self, g: graphviz.Digraph, cluster_label: Any) -> None:
        paths = list(self.members)
        ids = {p: f"cluster_{k}" for k, p in enumerate(paths)}
        subs: dict[tuple, graphviz.Digraph] = {}
        for p in paths:
            if not p:
                continue
            sub = graphviz.Digraph(name=ids[p])
            sub.attr(label=cluster_label(p[-1]), style="rounded,filled", color="#888888",
                     fillcolor=_CLUSTER_FILL.get(p[-1].kind, "#fafafa"), fontsize="11",
                     labeljust="l")
            subs[p] = sub
        for p in paths:
            target = g if not p else subs[p]
            for name, attrs in self.members[p]:
                target.node(name, **attrs)
        for p in sorted((p for p in paths if p), key=len, reverse=True):
            parent = g if len(p) == 1 else subs[p[:-1]]
            parent.subgraph(subs[p])
        for a, b, attrs in self.edges:
            g.edge(a, b, **attrs)


_CLUSTER_FILL = {"network": "#f4f4f4", "layer": "#eaf3ea", "neuron": "#fdf6e3",
                 "block": "#f0eef8"}


def _cluster_label(scope: Scope) -> str:
    return html_label([], title=f"{scope.name} ({scope.kind})")


def _grad_fill(mag: float, top: float) -> str:
    if top <= 0.0 or mag <= 0.0:
        return _GRAD_COLOURS[0]
    t = math.sqrt(min(mag / top, 1.0))
    return _GRAD_COLOURS[max(1, round(t * (len(_GRAD_COLOURS) - 1)))]


def draw_graph(root: Node | Sequence[Node], rankdir: str = "LR",
               show: Sequence[str] = SHOW_ALL, level: str = "op", color_by_grad: bool = True,
               max_nodes: int | None = DEFAULT_MAX_NODES, title: str | None = None
               ) -> graphviz.Digraph:
    """The computation graph behind `root` (a `Value`, a `Tensor`, or a list of them).

    rankdir: "LR" (left to right, inputs on the left) or "TB" (top down); "RL", "BT" also work.
    show: which texts to write: "label" (the node's label), "data" (its value; shape, dtype and a
      summary for a tensor), "grad" (its gradient, once backward has run), "local" (the local
      derivative on each edge, where it is one number).
    level: "op" (every value and op), "neuron" or "layer" (one node per neuron or layer).
    color_by_grad: fill each value by |grad| (darker blue = larger); NaN and inf are always red.
    max_nodes: refuse (`GraphTooLarge`) a drawing with more nodes, suggesting a coarser level.
    title: a caption under the drawing.

    Returns a `graphviz.Digraph`: ``.source`` is the DOT text; in Jupyter it displays itself;
    `tinygrad_edu.viz.render(g, "graph.svg")` writes SVG, PNG or PDF.
    """
    roots = [root] if isinstance(root, Node) else list(root)
    if not roots or not all(isinstance(r, Node) for r in roots):
        raise TypeError("draw_graph needs a Value or a Tensor (or a list of them), got "
                        f"{type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if level not in LEVELS:
        raise ValueError(f"draw_graph: level must be one of {LEVELS}, got {level!r}")
    show = tuple(show)
    unknown = [s for s in show if s not in SHOW_ALL]
    if unknown:
        raise ValueError(f"draw_graph: show may hold {SHOW_ALL}, got {unknown}")

    nodes, inputs = _walk(roots)
    with_grad = "grad" in show and _has_grad(nodes)
    g = graphviz.Digraph(name="computation_graph")
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", newrank="true",
           compound="true")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="box", style="rounded,filled",
           fillcolor="white", color="#444444")
    g.attr("edge", fontname="Helvetica", fontsize="9", color="#555555", arrowsize="0.6")
    canvas = _Canvas()
    if level == "op":
        n_draw = len(nodes) + sum(1 for v in nodes if v._ctx is not None)
        check_size(n_draw, max_nodes, level)
        _draw_ops(canvas, nodes, inputs, roots, show, with_grad, color_by_grad)
    else:
        _draw_groups(canvas, nodes, inputs, roots, show, with_grad, color_by_grad, level,
                     max_nodes)
    canvas.build(g, _cluster_label)
    caption = []
    if title is not None:
        caption.append(title)
    if level == "op" and "local" in show and any(v._ctx is not None for v in nodes):
        caption.append("numbers on arrows: local derivative d(op output)/d(input)")
    if with_grad:
        caption.append("grad = d(root)/d(value)" + (", darker = larger |grad|"
                                                   if color_by_grad else ""))
    if caption:
        g.attr(label=html_label(caption, align="LEFT"), labelloc="b", labeljust="l")
    return g


def _users(nodes: Sequence[Node], inputs: Sequence[list[int]]) -> list[list[int]]:
    users: list[list[int]] = [[] for _ in nodes]
    for i, ins in enumerate(inputs):
        for j in ins:
            users[j].append(i)
    return users


def _value_lines(v: Node, show: Sequence[str], with_grad: bool,
                 data_name: str = "data") -> list[str | tuple[str, str]]:
    lines: list[str | tuple[str, str]] = []
    scalar = isinstance(v.data, float)
    if "data" in show:
        if not scalar:
            lines.append(_shape_text(v))
        text = f"{data_name} {_summary(v.data)}"
        lines.append((text, _BAD_LINE) if _is_bad(v.data) else text)
    if with_grad:
        if v.grad is None:
            lines.append("grad —")
        else:
            text = f"grad {_summary(v.grad)}"
            lines.append((text, _BAD_LINE) if _is_bad(v.grad) else text)
    return lines


def _draw_ops(canvas: _Canvas, nodes: Sequence[Node], inputs: Sequence[list[int]],
              roots: Sequence[Node], show: Sequence[str], with_grad: bool,
              color_by_grad: bool) -> None:
    users = _users(nodes, inputs)
    scope: list[tuple] = [() for _ in nodes]
    for i, v in enumerate(nodes):
        if v._ctx is not None:
            scope[i] = tuple(v._ctx.scope)
    for i, v in enumerate(nodes):
        if v._ctx is None and users[i]:
            scope[i] = _common_prefix(scope[u] for u in users[i])
    top = max((_magnitude(v.grad) for v in nodes), default=0.0) if with_grad else 0.0
    root_ids = {id(r) for r in roots}
    for i, v in enumerate(nodes):
        lines = _value_lines(v, show, with_grad)
        title = v.label if ("label" in show and v.label) else None
        attrs = {"label": html_label(lines, title=title)}
        bad = _is_bad(v.data) or (with_grad and _is_bad(v.grad))
        if bad:
            attrs.update(fillcolor=_BAD_FILL, color=_BAD_LINE, penwidth="2.5")
        elif color_by_grad and with_grad:
            attrs["fillcolor"] = _grad_fill(_magnitude(v.grad), top)
        if v._ctx is None:
            attrs.update(style="filled", color=attrs.get("color", _LEAF_LINE),
                         penwidth=attrs.get("penwidth", "1.5"))
        if id(v) in root_ids:
            attrs.update(peripheries="2", color=attrs.get("color", _ROOT_LINE))
        canvas.node(scope[i], f"v{i}", **attrs)
        ctx = v._ctx
        if ctx is None:
            continue
        name = ctx.fn.name()
        op_lines: list[str] = [f"{_num(c)}" for c in _constants(v)] if "data" in show else []
        canvas.node(scope[i], f"op{i}",
                    label=html_label(op_lines, title=_OP_SYMBOLS.get(name, name)),
                    shape="circle" if len(_OP_SYMBOLS.get(name, name)) <= 2 and not op_lines
                    else "ellipse", style="filled", fillcolor="#f2f2f2", margin="0.02",
                    tooltip=name)
        canvas.edge(f"op{i}", f"v{i}")
        locals_ = _local_derivatives(v) if "local" in show else []
        k = 0
        for pos, p in enumerate(ctx.inputs):
            if p is None:
                continue
            j = inputs[i][k]
            k += 1
            eattrs: dict[str, str] = {}
            d = locals_[pos] if locals_ else None
            if d is not None:
                eattrs["label"] = html_label([_num(d)])
                if not math.isfinite(d):
                    eattrs.update(color=_BAD_LINE, fontcolor=_BAD_LINE, penwidth="2")
            canvas.edge(f"v{j}", f"op{i}", **eattrs)


def _group_key(v: Node, i: int, level: str) -> tuple:
    """The group a recorded node collapses into: its innermost neuron (layer) scope, or itself."""
    path = tuple(v._ctx.scope)
    kinds = ("neuron", "layer") if level == "neuron" else ("layer",)
    for kind in kinds:
        for d in range(len(path) - 1, -1, -1):
            if path[d].kind == kind:
                return ("scope", path[:d + 1])
    if path:
        return ("scope", path)
    return ("op", i)


def _draw_groups(canvas: _Canvas, nodes: Sequence[Node], inputs: Sequence[list[int]],
                 roots: Sequence[Node], show: Sequence[str], with_grad: bool,
                 color_by_grad: bool, level: str, max_nodes: int | None) -> None:
    users = _users(nodes, inputs)
    root_ids = {id(r) for r in roots}
    key: list[tuple | None] = [None] * len(nodes)
    order: dict[tuple, int] = {}
    members: dict[tuple, list[int]] = {}
    for i, v in enumerate(nodes):
        if v._ctx is not None:
            k = _group_key(v, i, level)
            key[i] = k
            order.setdefault(k, len(order))
            members.setdefault(k, []).append(i)
    # leaves: one summary node per set of groups they feed
    leaf_groups: dict[tuple, list[int]] = {}
    for i, v in enumerate(nodes):
        if v._ctx is None:
            fed = tuple(sorted({key[u] for u in users[i]}, key=order.__getitem__))
            k = ("leaves", fed) if fed else ("leaf", i)
            key[i] = k
            leaf_groups.setdefault(k, []).append(i)
    check_size(len(members) + len(leaf_groups), max_nodes, level)

    def cluster_of(k: tuple) -> tuple:
        if k[0] == "scope":
            return k[1][:-1]
        if k[0] == "op":
            return tuple(nodes[k[1]]._ctx.scope)
        if k[0] == "leaves":
            return _common_prefix(cluster_of(f) for f in k[1])
        return ()

    names = {k: f"g{n}" for n, k in enumerate(list(members) + list(leaf_groups))}
    outputs: dict[tuple, list[int]] = {}
    for k, idx in members.items():
        outs = [i for i in idx if id(nodes[i]) in root_ids or any(key[u] != k for u in users[i])]
        outputs[k] = outs
    top = 0.0
    if with_grad:
        top = max((_magnitude(nodes[i].grad) for outs in outputs.values() for i in outs),
                  default=0.0)

    for k, idx in members.items():
        outs = outputs[k]
        attrs: dict[str, str] = {}
        if k[0] == "scope":
            scope = k[1][-1]
            lines: list[str | tuple[str, str]] = [f"{scope.kind}, {len(idx)} ops"]
            if len(outs) == 1:
                lines += _value_lines(nodes[outs[0]], show, with_grad, data_name="out")
            else:
                lines.append(f"{len(outs)} outputs")
                lines += _many_lines([nodes[i] for i in outs], show, with_grad)
            label = html_label(lines, title=scope.name)
        else:
            v = nodes[k[1]]
            name = v._ctx.fn.name()
            title = f"{v.label}: {name}" if ("label" in show and v.label) else name
            label = html_label(_value_lines(v, show, with_grad), title=title)
        attrs["label"] = label
        bad = any(_is_bad(nodes[i].data) or (with_grad and _is_bad(nodes[i].grad)) for i in idx)
        if bad:
            attrs.update(fillcolor=_BAD_FILL, color=_BAD_LINE, penwidth="2.5")
        elif color_by_grad and with_grad:
            attrs["fillcolor"] = _grad_fill(max(_magnitude(nodes[i].grad) for i in outs)
                                            if outs else 0.0, top)
        if any(id(nodes[i]) in root_ids for i in idx):
            attrs["peripheries"] = "2"
        canvas.node(cluster_of(k), names[k], **attrs)

    for k, idx in leaf_groups.items():
        leaves = [nodes[i] for i in idx]
        if len(leaves) <= 3:
            lines = []
            for v in leaves:
                name = v.label if ("label" in show and v.label) else "leaf"
                lines.append(f"{name} = {_summary(v.data)}" if "data" in show else name)
                if with_grad and v.grad is not None:
                    lines.append(f"grad {_summary(v.grad)}")
            label = html_label(lines)
        else:
            lines = []
            if "label" in show:
                labels = sorted({v.label for v in leaves if v.label}, key=_natural)
                if labels:
                    shown = ", ".join(labels[:3]) + (", …" if len(labels) > 3 else "")
                    lines.append(shown)
            if with_grad:
                lines.append(f"|grad| max {_num(max(_magnitude(v.grad) for v in leaves))}")
            label = html_label(lines, title=f"{len(leaves)} leaves")
        bad = any(_is_bad(v.data) or (with_grad and _is_bad(v.grad)) for v in leaves)
        attrs = {"label": label, "style": "filled,dashed", "color": _LEAF_LINE}
        if bad:
            attrs.update(fillcolor=_BAD_FILL, color=_BAD_LINE, penwidth="2.5")
        canvas.node(cluster_of(k), names[k], **attrs)

    flows: dict[tuple[tuple, tuple], int] = {}
    for i, ins in enumerate(inputs):
        for j in ins:
            a, b = key[j], key[i]
            if a != b:
                flows[(a, b)] = flows.get((a, b), 0) + 1
    for (a, b), n in flows.items():
        eattrs = {"label": html_label([f"×{n}"])} if n > 1 else {}
        if n > 1:
            eattrs["penwidth"] = f"{min(1.0 + math.log10(n), 4.0):.2f}"
        canvas.edge(names[a], names[b], **eattrs)


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
                lines.append(_shape_text(v))
        return lines
    if "data" in show:
        text = f"out {_summary(data)}"
        lines.append((text, _BAD_LINE) if _is_bad(data) else text)
    if with_grad:
        text = f"grad {_summary(grads)}"
        lines.append((text, _BAD_LINE) if _is_bad(grads) else text)
    return lines
