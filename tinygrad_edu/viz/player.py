"""`play_backward`: watch backpropagation happen, one node at a time (§4-1 to §4-4).

Step 0 shows the forward pass: every value, no gradient.  Then each step is one node receiving
its gradient, in the order the engine really completes them: the player registers a hook on every
node of the graph and runs the engine's own backward (`tinygrad_edu.grad`, which stores nothing
in ``.grad``), so the order is observed, not re-derived.  A step lights up the node and the
arrows its gradient came through, and its caption writes the chain rule with the numbers:

    δ2[A] = ∂C/∂z2[A] = ∂C/∂a2[A] · σ'(z2[A]) = 0.1487 · 0.04606 = 0.006851

(the book's names where the graph has labels; δ, the unit error, where the node is a unit's
weighted input z).  The last step shows every gradient: the drawing is exactly what `draw_graph`
draws after ``backward()`` on a fresh graph.  At the "neuron" and "layer" levels a step is one
drawn node (a neuron, a layer, a set of leaves), taken when the gradient first reaches it; its
caption gives all its members, in the engine's order.

The page is drawn once: `draw_graph` with the gradients, laid out by Graphviz as SVG; the page's
JavaScript hides the gradients not yet complete, highlights and captions each step, keeps the lit
node in view and zooms (never below a scale where the text stays readable).  The page itself is
a data file, ``player_page.html``, whose slots are filled once with text escaped for its place,
so a label is always shown, never run.  ``player.save("backprop.html")`` writes one
self-contained file (no network); in Jupyter the player shows itself.  Nothing in the graph is
changed: ``.grad`` is only borrowed while the drawing is made and put back.  Hooks the user
registered run once more during the player's backward (as they would in any backward).
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from importlib import resources
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..atomic import write_atomic
from ..engine import Node, grad as autograd_grad
from ..engine.fused import WeightedInput
from .dot import INSTALL_HELP, GraphvizNotFound, layout, number_text as _num
from .graph import (DEFAULT_MAX_NODES, LEVELS, _common_prefix, _local_derivatives,
                    _magnitude, _summary, _users, _number_nodes, draw_graph, group_names,
                    op_symbol, scope_title)

__all__ = ["play_backward", "BackwardPlayer", "Step"]

_MAX_TERMS = 3  # chain-rule terms written out in a caption; more are counted
_MAX_LINES = 4  # member lines in a neuron's or layer's caption; more are summarised
_MAX_NAME = 36  # longer expressions name a node by its id in the drawing (v12) instead


@dataclass(frozen=True)
class Step:
    """One step of the player.

    node: the drawn node that lights up (``v3`` at the op level, ``g2`` at the others; None at
    step 0); members: the engine's nodes (indexes into `BackwardPlayer.nodes`) whose gradient is
    complete at this step, in the engine's order; edges: the drawn arrows (from, to) the gradient
    came back through; via: the op nodes it passed; caption: the chain rule with numbers.
    """

    node: str | None
    members: tuple[int, ...]
    edges: tuple[tuple[str, str], ...]
    via: tuple[str, ...]
    caption: str


def play_backward(root: Node, level: str = "op", *, rankdir: str = "LR",
                  max_nodes: int | None = DEFAULT_MAX_NODES,
                  box_names: Mapping[str, str] | None = None) -> BackwardPlayer:
    """A step-by-step player of backpropagation through the graph behind `root` (a cost: a
    `Value` or a one-element `Tensor`), at `level` "op", "neuron" or "layer" of `draw_graph`.

    box_names: a title per module, as for `draw_graph`, used by the boxes and the captions; for
    the book's 12-3-2 network ``tinygrad_edu.book.demon_graph.box_names(model)`` gives the
    drawings' names (hidden layer, A, B, C, output layer, 0, 1); without it, the module names.

    ``player.save("backprop.html")`` writes the page; in Jupyter the player displays itself.
    ``player.steps`` holds each step, ``player.order`` the engine's nodes in the order backward
    completed them, ``player.grads[i]`` the gradient of ``player.nodes[i]``.
    """
    return BackwardPlayer(root, level, rankdir=rankdir, max_nodes=max_nodes,
                          box_names=box_names)


class BackwardPlayer:
    """See `play_backward`."""

    def __init__(self, root: Node, level: str = "op", *, rankdir: str = "LR",
                 max_nodes: int | None = DEFAULT_MAX_NODES,
                 box_names: Mapping[str, str] | None = None) -> None:
        if not isinstance(root, Node):
            raise TypeError(f"play_backward needs a Value or a Tensor, got {type(root).__name__}")
        if level not in LEVELS:
            raise ValueError(f"play_backward: level must be one of {LEVELS}, got {level!r}")
        if np.size(root.data) != 1:
            raise ValueError(f"play_backward: the root has shape {np.shape(root.data)}; it needs "
                             "one number, a cost: sum it first (root.sum())")
        if root.grad_fn is None:
            raise ValueError("play_backward: the root has no recorded graph (it is a leaf, or "
                             "was computed under no_grad()): compute it from values that "
                             "require a gradient")
        self.root, self.level = root, level
        self.box_names = dict(box_names or {})
        self.nodes, self.inputs = _number_nodes([root])
        self.users = _users(self.nodes, self.inputs)
        self.order, self.grads = _observe_backward(root, self.nodes)
        self.graph = _draw_with(self.nodes, self.grads,
                                lambda: draw_graph(root, rankdir=rankdir, level=level,
                                                   max_nodes=max_nodes,
                                                   box_names=self.box_names))
        self.drawn = group_names(self.nodes, self.inputs, level)
        names = _node_names(self.nodes, next(i for i, v in enumerate(self.nodes) if v is root))
        captions = _Captions(self.nodes, self.users, self.grads, names)
        self.steps = _steps(self, captions)
        try:
            svg = layout(self.graph, "svg").decode("utf-8")
            self.svg: str | None = svg[svg.index("<svg"):]
        except GraphvizNotFound:
            self.svg = None

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"<BackwardPlayer: {len(self.steps) - 1} steps at the {self.level} level, "
                f"{len(self.nodes)} nodes>")

    # -- the page ---------------------------------------------------------------------------
    def html(self) -> str:
        """The player as one self-contained HTML page (inline SVG, CSS and JavaScript)."""
        done: dict[Any, Any] = {}
        for k, step in enumerate(self.steps):
            if step.node is not None:
                done.setdefault(step.node, k)
        data = {"steps": [{"node": s.node, "edges": [list(e) for e in s.edges],
                           "via": list(s.via), "caption": s.caption} for s in self.steps],
                "done": done}
        graph = self.svg if self.svg is not None else (
            "<pre class='missing'>" + html.escape(INSTALL_HELP) + "</pre>")
        title = f"Backpropagation through {_root_name(self.root)}, step by step"
        page = fill_page(_template(), {"TITLE": html.escape(title),
                                       "LAST": str(len(self.steps) - 1),
                                       "GRAPH": graph, "DATA": script_json(data)})
        return encodable(page)

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to `path` as UTF-8, atomically, making its folder if it is missing;
        returns the path."""
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        return write_atomic(path, self.html().encode("utf-8", "replace"))

    def _repr_html_(self) -> str:
        height = 260
        if self.svg is not None:
            m = re.search(r'height="([\d.]+)pt"', self.svg)
            height += int(float(m.group(1)) * 4 / 3) if m else 400
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
                f'style="width:100%;height:{min(height, 900)}px;border:1px solid #ddd" '
                'sandbox="allow-scripts"></iframe>')


# ----------------------------------------------------------------------------------------------
# the engine's real backward, observed
# ----------------------------------------------------------------------------------------------


def _observe_backward(root: Node, nodes: Sequence[Node]) -> tuple[list[int], list[Any]]:
    """(node indexes in the order backward completes them, each node's gradient or None, as a
    fresh ``backward()`` would leave it in ``.grad``).

    A hook on every node sees its gradient the moment it is complete; `grad` runs the engine's
    backward without storing anything in ``.grad``.  The hooks are removed afterwards.
    """
    order: list[int] = []
    grads: list[Any] = [None] * len(nodes)

    def watch(i: int) -> Callable[[Any], None]:
        def hook(g: Any) -> None:
            order.append(i)
            grads[i] = g if isinstance(g, float) else np.array(g, copy=True)
        return hook

    handles = [v.register_hook(watch(i)) for i, v in enumerate(nodes)]
    try:
        autograd_grad(root, list(nodes), allow_unused=True)
    finally:
        for h in handles:
            h.remove()
    for i, v in enumerate(nodes):  # a leaf's .grad starts at zero and adds (0.0 + -0.0 is 0.0)
        zero = type(v).zero_grad_value
        if v.grad_fn is None and zero is not None and grads[i] is not None:
            grads[i] = zero + grads[i]
    return order, grads


def _draw_with(nodes: Sequence[Node], grads: Sequence[Any], draw: Callable[[], Any]) -> Any:
    """Run `draw` with each node's ``.grad`` set to `grads` (as a fresh ``backward()`` leaves
    them), then put the user's gradients back."""
    kept = [v.grad for v in nodes]
    try:
        for v, g in zip(nodes, grads):
            v.grad = type(v).zero_grad_value if g is None else g
        return draw()
    finally:
        for v, g in zip(nodes, kept):
            v.grad = g


# ----------------------------------------------------------------------------------------------
# names: the book's where the graph has labels
# ----------------------------------------------------------------------------------------------


def _root_name(root: Node) -> str:
    return root.label or "C"


def _constant(x: Any) -> str:
    if isinstance(x, (int, float)):
        return _num(float(x))
    arr = np.asarray(x)
    return _num(float(arr.reshape(-1)[0])) if arr.size == 1 else f"const{arr.shape}"


def _node_names(nodes: Sequence[Node], root: int) -> list[str]:
    """A name per node: its label; the root "C"; an op over named operands written out, such as
    "(1 − a3[0])"; else its id in the drawing ("v12", the tooltip of its box)."""
    names: list[str | None] = [None] * len(nodes)
    index = {id(v): i for i, v in enumerate(nodes)}
    for i, v in enumerate(nodes):  # the engine's forward order: operands are named first
        if v.label:
            names[i] = v.label
        elif i == root:
            names[i] = "C"
        elif v.grad_fn is None:
            names[i] = f"v{i}"
        else:
            ctx = v.grad_fn
            ops = [names[index[id(p)]] if p is not None else _constant(a)
                   for p, a in zip(ctx.inputs, ctx.raw_args)]
            symbol = op_symbol(ctx)
            if len(symbol) == 1 and len(ops) == 2:  # an operator: a + b, a × b
                text = f"({ops[0]} {symbol} {ops[1]})"
            else:
                text = f"{symbol}({', '.join(map(str, ops))})"
            names[i] = text if len(text) <= _MAX_NAME else f"v{i}"
    return [n or f"v{i}" for i, n in enumerate(names)]


def _is_unit_z(v: Node) -> bool:
    """Is `v` a unit's weighted input z (so ∂C/∂z is the unit error δ, §4-2)?"""
    if v.label:
        return v.label.startswith("z")
    return isinstance(v.grad_fn, WeightedInput)


def _delta_name(v: Node, name: str) -> str:
    return "δ" + v.label[1:] if v.label and v.label.startswith("z") else f"δ[{name}]"


# ----------------------------------------------------------------------------------------------
# captions: the chain rule with numbers
# ----------------------------------------------------------------------------------------------


def _scalar(x: Any) -> float | None:
    """x as one float when it is one number, else None."""
    if isinstance(x, float):
        return x
    if x is not None and np.size(x) == 1:
        return float(np.asarray(x).reshape(-1)[0])
    return None


def _factor(x: float) -> str:
    return f"({_num(x)})" if x < 0 else _num(x)


class _Captions:
    """The caption of each node's step: ∂C/∂v = Σ over its users u of ∂C/∂u · ∂u/∂v."""

    def __init__(self, nodes: Sequence[Node], users: Sequence[list[int]],
                 grads: Sequence[Any], names: Sequence[str]) -> None:
        self.nodes, self.users, self.grads, self.names = nodes, users, grads, names
        self.index = {id(v): i for i, v in enumerate(nodes)}
        self.root = next(i for i, v in enumerate(nodes) if not users[i])  # no user: the root
        self.R = names[self.root]
        self._locals: dict[int, list[float | None]] = {}

    def d(self, i: int) -> str:
        """The name of ∂C/∂(node i): δ for a unit's weighted input."""
        v = self.nodes[i]
        if _is_unit_z(v):
            return _delta_name(v, self.names[i])
        return f"∂{self.R}/∂{self.names[i]}"

    def lhs(self, i: int) -> str:
        v = self.nodes[i]
        plain = f"∂{self.R}/∂{self.names[i]}"
        return f"{_delta_name(v, self.names[i])} = {plain}" if _is_unit_z(v) else plain

    def local_symbol(self, u: int, pos: int) -> str:
        """∂u/∂(operand pos), written as the book would: σ'(z), the weight, the input x_i, 1."""
        ctx: Any = self.nodes[u].grad_fn
        ins, args = ctx.inputs, ctx.raw_args

        def operand(k: int) -> str:
            p = ins[k]
            return self.names[self.index[id(p)]] if p is not None else _constant(args[k])

        text: str | None = ctx.local_derivative(pos, [operand(k) for k in range(len(ins))])
        if text is not None:  # the op's own words: σ'(z), the other factor, 1
            return text
        return f"∂{self.names[u]}/∂{operand(pos)}"

    def local_number(self, u: int, pos: int) -> float | None:
        if u not in self._locals:
            self._locals[u] = _local_derivatives(self.nodes[u])
        return self._locals[u][pos]

    def terms(self, i: int) -> list[tuple[int, int]]:
        """(user, operand position) for every place node i is used."""
        v = self.nodes[i]
        out: list[Any] = []
        for u in dict.fromkeys(self.users[i]):
            ctx: Any = self.nodes[u].grad_fn
            out.extend((u, pos) for pos, p in enumerate(ctx.inputs) if p is v)
        return out

    def line(self, i: int) -> str:
        """The chain rule for node i, with numbers when they are single numbers."""
        g = self.grads[i]
        if i == self.root:
            return f"∂{self.R}/∂{self.R} = 1: backpropagation starts at the cost {self.R}"
        terms = self.terms(i)
        symbols, numbers = [], []
        for u, pos in terms:
            local = self.local_symbol(u, pos)
            symbols.append(local if u == self.root else f"{self.d(u)} · {local}")
            gu, d = _scalar(self.grads[u]), self.local_number(u, pos)
            numbers.append(None if gu is None or d is None else
                           _factor(d) if u == self.root else f"{_factor(gu)} · {_factor(d)}")
        more = f" + … ({len(terms)} terms)" if len(terms) > _MAX_TERMS else ""
        rhs = " + ".join(symbols[:_MAX_TERMS]) + more
        text = f"{self.lhs(i)} = {rhs}"
        gs = _scalar(g)
        if gs is not None and np.size(self.nodes[i].data) == 1:
            if all(n is not None for n in numbers) and [u for u, _ in terms] != [self.root]:
                text += " = " + " + ".join(map(str, numbers[:_MAX_TERMS])) + more
            return text if rhs == _num(gs) else f"{text} = {_num(gs)}"
        if g is None:
            return f"{text} (no gradient reaches it)"
        arr = np.asarray(g, dtype=np.float64)
        norm = float(np.sqrt(np.sum(arr * arr)))
        return (f"{text}\n   {self.d(i)}: shape {tuple(arr.shape)}, {_summary(g)}, "
                f"‖{self.d(i)}‖ = {_num(norm)}")


def _group_header(player: BackwardPlayer, members: Sequence[int]) -> str | None:
    """"unit A of the hidden layer (layer 2) has its gradient:" for a unit titled in `box_names`,
    "layers.0 (layer) has its gradient:" for another, "13 leaves ...:" for a set of leaves."""
    recorded = [player.nodes[m].grad_fn for m in members if player.nodes[m].grad_fn is not None]
    if recorded:
        path = _common_prefix(tuple(getattr(ctx, "scope", ())) for ctx in recorded)
        if not path:
            return None
        names = player.box_names
        title = scope_title(path[-1], names)
        if path[-1].kind == "neuron" and path[-1].name in names and len(path) > 1 \
                and path[-2].name in names:  # a unit: in which layer
            title = f"unit {title} of the {names[path[-2].name]}"
        return f"{title} has its gradient:"
    if len(members) > 1:
        return f"{len(members)} leaves have their gradients:"
    return None


def _steps(player: BackwardPlayer, captions: _Captions) -> list[Step]:
    """Step 0 (the forward pass), then one step per drawn node in the engine's order."""
    drawn = player.drawn
    # a drawn node's step comes when the gradient first reaches it (its first member is
    # complete); its caption holds all its members, in the engine's order
    groups: dict[str, list[int]] = {}
    for i in player.order:
        groups.setdefault(drawn[i], []).append(i)
    R = captions.R
    steps = [Step(None, (), (), (), f"Step 0, the forward pass: every value is computed, no "
                  f"gradient yet. Backpropagation goes from {R} back to the weights, one node "
                  f"per step in the order the engine completes them ({len(groups)} steps).")]
    for name, members in groups.items():
        edges: dict[tuple[str, str], None] = {}
        via: dict[str, None] = {}
        for m in members:
            for u in player.users[m]:
                if player.level == "op":
                    edges[(f"v{m}", f"op{u}")] = None
                    edges[(f"op{u}", f"v{u}")] = None
                    via[f"op{u}"] = None
                elif drawn[u] != name:
                    edges[(name, drawn[u])] = None
        # the members with the book's names first (a, z, w), then the others, in engine order
        shown = set(sorted(members, key=lambda m: not player.nodes[m].label)[:_MAX_LINES])
        lines = [captions.line(m) for m in members if m in shown]
        if len(members) > _MAX_LINES:
            rest = [m for m in members if m not in shown]
            top = max(rest, key=lambda m: _magnitude(player.grads[m]))
            lines.append(f"… and {len(rest)} more; the largest of them: "
                         f"|{captions.d(top)}| = {_num(_magnitude(player.grads[top]))}")
        header = _group_header(player, members) if player.level != "op" else None
        if header is not None:
            lines.insert(0, header)
        steps.append(Step(name, tuple(members), tuple(edges), tuple(via), "\n".join(lines)))
    steps[-1] = Step(steps[-1].node, steps[-1].members, steps[-1].edges, steps[-1].via,
                     steps[-1].caption + "\nEvery gradient is complete: this is what draw_graph "
                     "draws after backward().")
    return steps


# ----------------------------------------------------------------------------------------------
# the page: a data file with four slots, each filled once with text escaped for its place
# ----------------------------------------------------------------------------------------------

_SLOT = re.compile(r"__(TITLE|LAST|GRAPH|DATA)__")
# JSON inside <script>: no "<" (so no "</script>" or "<!--"), ">" or "&" in the text, and no line
# separators (which older JavaScript read as line ends); each is the same character to JSON
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@functools.cache
def _template() -> str:
    """The page (tinygrad_edu/viz/player_page.html, a package data file)."""
    page = resources.files(__name__.rpartition(".")[0]).joinpath("player_page.html")
    return page.read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """`data` as JSON that can stand inside a ``<script>`` element whatever its strings hold."""
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)


def fill_page(template: str, slots: dict[str, str]) -> str:
    """`template` with each ``__NAME__`` slot replaced by ``slots[NAME]``, in one pass: text put
    into the page is never read again for slots, so a label "__DATA__" stays that text."""
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def encodable(text: str) -> str:
    """`text` with each lone surrogate (which UTF-8 cannot encode) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)
