"""Drawings of graphs and networks (tinygrad_edu.viz): the DOT holds what it should, labels cannot
break it, and where Graphviz (and Chromium) are installed the drawings render and are visible."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, name_scope, topological_order
from tinygrad_edu.book.network import demon_network
from tinygrad_edu.datasets import book_digits_4x3
from tinygrad_edu.nn import MLP
from tinygrad_edu.viz import (GraphTooLarge, GraphvizNotFound, draw_graph, draw_network,
                              escape_html, render)
from tinygrad_edu.viz import dot as viz_dot
from tinygrad_edu.book.demon_graph import render_demon
from tinygrad_edu.viz.network import NEGATIVE, POSITIVE, reading

sys.path.insert(0, os.path.dirname(__file__))
from _browser import chromium, read_png, screenshot  # noqa: E402

HAVE_DOT = shutil.which("dot") is not None and shutil.which("neato") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz (dot) is not installed")
SVG_NS = "{http://www.w3.org/2000/svg}"

HOSTILE = ['say "hi"', "a<b>c", "x & y", "{braces}", "back\\slash", "\\N \\G \\l \\n",
           "σ(z)", "恶魔", '"]; evil [label="pwned', "</B>> ]; evil2 [", "tab\there", "bell\x07"]


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def node_lines(g) -> dict[str, str]:
    """DOT node statements by node name (v0, op3, g2, u0_4 ...)."""
    out = {}
    for line in g.source.splitlines():
        m = re.match(r"\s*((?:v|op|g|d)\d+|u\d+_\d+|w\d+_\d+_\d+) \[(.*)\]\s*$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def edges(g) -> list[tuple[str, str, str]]:
    out = []
    for line in g.source.splitlines():
        m = re.match(r"\s*(\w+) -> (\w+)(?: \[(.*)\])?\s*$", line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3) or ""))
    return out


def cluster_of_nodes(g) -> dict[str, list[str]]:
    """For each node, the names of the boxes (clusters) around it, outermost first."""
    stack: list[str] = []
    where: dict[str, list[str]] = {}
    pending = False
    for line in g.source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append("?")
            pending = True
        elif s == "}":
            if stack:
                stack.pop()
        elif pending and s.startswith("color="):
            stack[-1] = re.search(r"label=<<B>(.*?)(?: \(|</B>)", s).group(1)
            pending = False
        else:
            m = re.match(r"((?:v|op|g|d)\d+) \[", s)
            if m:
                where[m.group(1)] = list(stack)
    return where


def label_of(attrs: str) -> str:
    m = re.search(r"label=<(.*)>(?: \w+=|$)", attrs)
    return m.group(1) if m else ""


def find_node(g, text: str) -> str:
    hits = [k for k, v in node_lines(g).items() if text in label_of(v)]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def svg_texts(svg_path: str) -> list[str]:
    root = ET.parse(svg_path).getroot()
    assert root.tag == SVG_NS + "svg"
    return ["".join(t.itertext()) for t in root.iter(SVG_NS + "text")]


def svg_count(svg_path: str, cls: str) -> int:
    root = ET.parse(svg_path).getroot()
    return sum(1 for e in root.iter(SVG_NS + "g") if e.get("class") == cls)


def neuron():
    """The book's unit a = σ(w x + b) inside a neuron box, and its parts."""
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-0.3, label="b")
    with name_scope("A", "neuron"):
        z = w * x + b
        z.label = "z"
        a = z.sigmoid()
        a.label = "a"
    return w, x, b, z, a


def demon_cost(net, X, T, scoped: bool = True):
    """C_T = Σ_images ½ Σ_k (t_k − a_k)² on the scalar engine (the cost in a 'C_T' box)."""
    total = 0.0
    for x, t in zip(X, T):
        a = net([float(p) for p in x])
        if scoped:
            with name_scope("C_T", "block"):
                total = total + sum(0.5 * (float(tk) - ak) ** 2 for tk, ak in zip(t, a))
        else:
            total = total + sum(0.5 * (float(tk) - ak) ** 2 for tk, ak in zip(t, a))
    return total


def solved_net(engine="scalar"):
    return demon_network(engine, "book-3-5-solved")


def demons(engine="scalar"):
    """The 12-3-2 network with soft hand-set demons (§1-5): A likes pixels 4 and 7, B 5 and 8,
    C 6 and 9 (weight 2, every other pixel 0.1, so every bond is drawn); output "0" likes A and
    C, output "1" likes B."""
    W2 = np.full((3, 12), 0.1)
    for i, pixels in enumerate([(4, 7), (5, 8), (6, 9)]):
        W2[i, [p - 1 for p in pixels]] = 2.0
    return demon_network(engine, {"W2": W2, "b2": np.full(3, -1.5),
                                  "W3": np.array([[2.0, -1.5, 2.0], [-1.5, 2.5, -1.5]]),
                                  "b3": np.array([-1.0, -0.5])})


def snapshot(root):
    """(data, grad) of every node behind root, copied."""
    return [(v, np.copy(v.data), None if v.grad is None else np.copy(v.grad))
            for v in topological_order(root)]


def assert_unchanged(snap):
    for v, data, grad in snap:
        assert np.array_equal(np.asarray(v.data), data)
        if grad is None:
            assert v.grad is None
        else:
            assert np.array_equal(np.asarray(v.grad), grad)


# ----------------------------------------------------------------------------------------------
# the graph of one unit: values, grads, local derivatives
# ----------------------------------------------------------------------------------------------


def test_neuron_graph_nodes_edges_and_values():
    w, x, b, z, a = neuron()
    g = draw_graph(a)
    nodes = node_lines(g)
    assert len([n for n in nodes if n.startswith("v")]) == 6   # w, x, b, w*x, z, a
    assert len([n for n in nodes if n.startswith("op")]) == 3  # ×, +, σ
    assert len(edges(g)) == 3 + 5                                # op→value, input→op
    assert "grad" not in g.source                                # backward has not run
    a_node = find_node(g, "<B>a</B>")
    assert f"data {a.data:.4g}" in label_of(nodes[a_node])
    assert "peripheries=2" in nodes[a_node]                      # the root is marked


def test_neuron_graph_grads_and_local_derivatives():
    w, x, b, z, a = neuron()
    a.backward()
    g = draw_graph(a)
    nodes = node_lines(g)
    s = a.data * (1 - a.data)                                    # σ'(z) = a(1 − a), §1-3
    assert math.isclose(w.grad, s * 2.0) and math.isclose(x.grad, s * 0.5)
    for v in (w, x, b, z, a):
        assert f"grad {v.grad:.4g}" in label_of(nodes[find_node(g, f"<B>{v.label}</B>")])
    # each input→op arrow carries d(op output)/d(input): x for w, w for x, σ' for z, 1 for b
    by_pair = {(e[0], e[1]): e[2] for e in edges(g)}
    vid = {v.label: find_node(g, f"<B>{v.label}</B>") for v in (w, x, b, z)}
    mul = next(e[1] for e in edges(g) if e[0] == vid["w"])
    sig = next(e[1] for e in edges(g) if e[0] == vid["z"])
    add = next(e[1] for e in edges(g) if e[0] == vid["b"])
    assert "label=<2>" in by_pair[(vid["w"], mul)]
    assert "label=<0.5>" in by_pair[(vid["x"], mul)]
    assert f"label=<{s:.4g}>" in by_pair[(vid["z"], sig)]
    assert "label=<1>" in by_pair[(vid["b"], add)]
    # grad colour: the root (|grad| 1, the largest) is the darkest fill
    assert 'fillcolor="#78b3dc"' in nodes[find_node(g, "<B>a</B>")]


def test_show_options_and_rankdir():
    w, x, b, z, a = neuron()
    a.backward()
    g = draw_graph(a, show=("label",), rankdir="TB")
    assert "rankdir=TB" in g.source
    assert "data " not in g.source and "grad " not in g.source and "label=<2>" not in g.source
    g2 = draw_graph(a, color_by_grad=False)
    assert "#78b3dc" not in g2.source
    with pytest.raises(ValueError, match="show"):
        draw_graph(a, show=("colour",))
    with pytest.raises(ValueError, match="level"):
        draw_graph(a, level="unit")
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(a, rankdir="up")
    with pytest.raises(TypeError):
        draw_graph(3.0)


def test_drawing_only_reads_the_graph():
    w, x, b, z, a = neuron()
    a.backward()
    snap = snapshot(a)
    for level in ("op", "neuron", "layer"):
        draw_graph(a, level=level)
    assert_unchanged(snap)
    W = Tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True, label="W")
    c = (W @ Tensor([1.0, -1.0, 2.0])).sigmoid().sum()
    c.backward()
    snap = snapshot(c)
    draw_graph(c)
    draw_graph(c, level="layer")
    assert_unchanged(snap)


def op_titles(g) -> list[str]:
    return [re.search(r"<B>(.*?)</B>", label_of(a)).group(1)
            for n, a in node_lines(g).items() if n.startswith("op")]


def data_nodes(g) -> dict[str, str]:
    """The grey nodes of data and constants: name -> label."""
    return {n: label_of(a) for n, a in node_lines(g).items() if n.startswith("d")}


def test_a_number_is_written_on_its_op_with_its_side():
    a = Value(3.0, label="a")
    cases = {"1 −": 1.0 - a, "− 1": a - 1.0, "÷ 2": a / 2.0, "2 ÷": 2.0 / a, "^ 2": a ** 2,
             "2 ^": 2.0 ** a, "0.5 ×": 0.5 * a, "× 0.5": a * 0.5, "4 +": 4.0 + a}
    for title, out in cases.items():
        g = draw_graph(out)
        assert op_titles(g) == [title], (title, op_titles(g))
        assert data_nodes(g) == {}            # a number on its op is not a node of its own
        assert len(edges(g)) == 2             # a -> op -> result: nothing else feeds the op
    # t − a is no negation: the drawing of 1 − a differs from that of −a
    assert op_titles(draw_graph(-a)) == ["−x"]
    # a tensor engine constant too, and a 0-d array counts as a number
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert op_titles(draw_graph(1.0 - t)) == ["1 −"]
    assert op_titles(draw_graph(t * np.float64(3.0))) == ["× 3"]


def test_constants_of_a_custom_op_are_read_from_its_arguments_not_its_saved_values():
    from tinygrad_edu import Function

    class Scale(Function):  # saves nothing: the constant is only in ctx.args
        @staticmethod
        def forward(ctx, x, c):
            return x * c

        @staticmethod
        def backward(ctx, grad):
            return grad * 7.0, None

    class Blend(Function):  # three operands: a constant among them is a grey node
        @staticmethod
        def forward(ctx, x, y, c):
            return x * c + y

        @staticmethod
        def backward(ctx, grad):
            return grad * 5.0, grad, None

    x = Value(2.0, label="x")
    g = draw_graph(Scale.apply(x, 7.0))
    assert op_titles(g) == [f"{Scale.name()} 7"]
    g = draw_graph(Blend.apply(x, Value(1.0, label="y"), 5.0))
    (d,) = data_nodes(g).values()
    assert d == "data = 5"
    assert re.search(rf'tooltip="?{Blend.name()}"?[ \]]', g.source)


def test_data_operands_are_grey_nodes_without_gradient():
    X = np.arange(12.0).reshape(4, 3) / 10
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True, label="W")
    y = Tensor(X) @ W.T                      # X needs no gradient: not a graph node
    c = (0.5 * (y - Tensor(np.ones((4, 2)))) ** 2).sum()
    c.backward()
    g = draw_graph(c, data_names={"X": X})
    d = data_nodes(g)
    assert len(d) == 2                       # X and the targets
    x_node = next(n for n, lab in d.items() if lab.startswith("X (4, 3) float64"))
    other = next(n for n in d if n != x_node)
    assert d[other].startswith("data (4, 2) float64")   # an unnamed array
    attrs = node_lines(g)[x_node]
    assert 'fillcolor="#e9e9e9"' in attrs and "grad" not in d[x_node]
    # @ shows both of its inputs: X (dashed, grey) and W's transpose
    matmul = next(n for n, a in node_lines(g).items() if n.startswith("op") and "<B>@</B>" in a)
    into = [e for e in edges(g) if e[1] == matmul]
    assert len(into) == 2 and sum("dashed" in e[2] for e in into) == 1
    assert any(e[0] == x_node for e in into)
    assert "grey: data and constants (no gradient)" in g.source
    # the same array used twice is one node
    X2 = Tensor(X)
    g2 = draw_graph((X2 * W[0] + X2 * W[1]).sum())
    assert len(data_nodes(g2)) == 1
    assert len([e for e in edges(g2) if e[0].startswith("d")]) == 2


def test_conv2d_shows_its_image_input():
    from tinygrad_edu.conv import conv2d

    x = np.arange(36.0).reshape(1, 1, 6, 6) / 36
    w = Tensor(np.ones((2, 1, 3, 3)) / 9, requires_grad=True, label="F")
    out = conv2d(Tensor(x), w).sum()
    g = draw_graph(out, data_names={"image": x})
    (d,) = data_nodes(g).values()
    assert d.startswith("image (1, 1, 6, 6) float64")
    conv = next(n for n, a in node_lines(g).items()
                if n.startswith("op") and "conv" in a.lower())
    assert len([e for e in edges(g) if e[1] == conv]) == 2


def test_pixels_of_a_unit_are_data_nodes_named_by_the_books_numbers():
    from tinygrad_edu import weighted_input

    w = [Value(float(j), label=f"w{j + 1}") for j in range(12)]
    pixels = [1.0, 0.0, 1.0] * 4
    with name_scope("A", "neuron"):
        z = weighted_input(w, pixels, Value(-1.0, label="b"))
    z.backward()
    g = draw_graph(z)
    d = data_nodes(g)
    assert sorted(d.values(), key=lambda t: int(t.split()[0][1:])) == [
        f"x{j + 1} = {pixels[j]:g}" for j in range(12)]
    # the twelve sit together in a box of their own (in the box of the unit they feed)
    where = cluster_of_nodes(g)
    assert {tuple(where[n]) for n in d} == {("A", "data: x1 … x12")}
    assert len(edges(g)) == 12 + 13 + 1


def test_nan_and_inf_stand_out_in_red():
    x = Value(0.0, label="x")
    y = x.log()                                                  # ln 0 = −inf, d/dx = +inf
    y.label = "y"
    y.backward()
    g = draw_graph(y)
    nodes = node_lines(g)
    for name in ("<B>x</B>", "<B>y</B>"):
        attrs = nodes[find_node(g, name)]
        assert 'fillcolor="#ffb3b3"' in attrs and 'color="#e00000"' in attrs
    assert "data -inf" in g.source and "grad inf" in g.source
    ok = Value(1.0, label="ok")
    g2 = draw_graph(ok * 2.0)
    assert "#ffb3b3" not in g2.source
    t = Tensor([1.0, float("nan"), 3.0], requires_grad=True, label="t")
    g3 = draw_graph((t * 2.0).sum())
    assert "1 NaN/inf" not in g3.source  # 3 numbers are shown one by one
    assert "[1, NaN, 3]" in g3.source and "#ffb3b3" in g3.source


def test_tensor_graph_shows_shape_dtype_summary_and_scalar_local_derivatives():
    X = Tensor(np.linspace(-1, 1, 64 * 12).reshape(64, 12), label="X")
    W = Tensor(np.full((3, 12), 0.1, dtype=np.float32), requires_grad=True, label="W")
    with name_scope("layers.0", "layer"):
        a = (X @ W.T).sigmoid()
    c = a.sum() * 2.0
    c.backward()
    g = draw_graph(c)
    assert "(64, 3) float64" in g.source and "(3, 12) float32" in g.source
    assert re.search(r"data mean [-0-9.e]+, \[[-0-9.e]+, [-0-9.e]+\]", g.source)
    # the arrow into "×2" from the sum (both one number) carries 2; the array arrows carry none
    labelled = [e for e in edges(g) if "label=" in e[2]]
    assert len(labelled) == 1 and "label=<2>" in labelled[0][2]
    assert f"data {c.data:.4g}<BR/>grad 1" in g.source  # the root: one number, dc/dc = 1
    assert "() float64<BR/>data " in g.source and "<BR/>grad 2" in g.source  # the sum: dc/ds = 2


@pytest.mark.slow
def test_deep_graph_is_walked_without_recursion():
    v = x = Value(1.0, label="x")
    for _ in range(5000):
        v = v * 1.0001
    g = draw_graph(v, max_nodes=None, show=("label",))
    assert len(node_lines(g)) == 1 + 2 * 5000
    with pytest.raises(GraphTooLarge, match='level="neuron"'):
        draw_graph(v)
    assert x.grad == 0.0


# ----------------------------------------------------------------------------------------------
# grouping: boxes per module, neuron and layer levels, the 12-3-2 network
# ----------------------------------------------------------------------------------------------


def test_one_image_op_level_boxes_nest_as_modules():
    X, T = book_digits_4x3(one_hot=True)
    net = solved_net()
    C = demon_cost(net, X[:1], T[:1], scoped=False)
    C.backward()
    g = draw_graph(C)
    nodes = node_lines(g)
    ops = 5 * 2 + (2 * 3 + 3)          # per unit Σw·x+b and σ; the cost: 2 × (−, ^, ×), 3 + = 19
    assert len([n for n in nodes if n.startswith("op")]) == ops
    assert len([n for n in nodes if n.startswith("v")]) == ops + 47  # + 47 parameters
    assert len([n for n in nodes if n.startswith("d")]) == 12        # the pixels, grey data
    assert g.source.count("subgraph cluster_") == 1 + 2 + 5 + 1   # network, 2 layers, 5 units,
    #                                                               and the pixels' box
    where = cluster_of_nodes(g)
    # a neuron's weights sit in its own box, nested in its layer, in the network
    w = net.layers[0].neurons[2].w[3]
    wid = [n for n in nodes if f"data {w.data:.4g}" in nodes[n] and "<B>w2[C,4]</B>" in nodes[n]]
    assert [where[n] for n in wid] == [["MLP", "layers.0", "layers.0.neurons.2"]]
    # the cost, outside every module, is outside every box
    root = next(n for n in nodes if "peripheries=2" in nodes[n])
    assert where[root] == []


def test_levels_collapse_the_12_3_2_graph():
    X, T = book_digits_4x3(one_hot=True)
    net = solved_net()
    C = demon_cost(net, X[:1], T[:1], scoped=False)
    C.backward()
    counts = {lv: len(node_lines(draw_graph(C, level=lv))) for lv in ("op", "neuron", "layer")}
    # op: 19 ops, their results, 47 parameters, 12 pixels; neuron: 5 neurons + 5 weight
    # summaries + 9 cost ops (2 × (−, ^, ×), 3 +) + the pixels; layer: 2 + 2 + 9 + 1
    assert counts == {"op": 2 * 19 + 47 + 12, "neuron": 20, "layer": 14}
    g = draw_graph(C, level="neuron")
    assert "<B>layers.0.neurons.1</B><BR/>neuron, 2 ops" in g.source
    assert "<B>13 leaves</B><BR/>b2[B], w2[B,1], w2[B,2], …" in g.source
    a1 = net.layers[0].neurons[1](  # its output value is shown on the neuron's node
        [float(p) for p in X[0]])
    assert f"out {a1.data:.4g}" in label_of(node_lines(g)[find_node(g, "layers.0.neurons.1")])
    where = cluster_of_nodes(g)
    nid = find_node(g, "<B>layers.0.neurons.1</B>")
    assert where[nid] == ["MLP", "layers.0"]


@pytest.mark.slow
def test_all_64_images_at_neuron_and_layer_level():
    X, T = book_digits_4x3(one_hot=True)
    net = solved_net()
    C = demon_cost(net, X, T)
    C.backward()
    with pytest.raises(GraphTooLarge, match='level="neuron"') as e:
        draw_graph(C)
    # the node count is named: per image 19 ops, their results and 12 pixels, and 47 parameters
    assert f"{64 * (2 * 19 + 12) + 47} nodes" in str(e.value)
    g = draw_graph(C, level="neuron")
    nodes = node_lines(g)
    assert len(nodes) == 5 + 5 + 1 + 1                       # neurons, summaries, C_T, pixels
    assert "64 outputs" in g.source and "<B>C_T</B>" in g.source
    flows = [e for e in edges(g) if "×64" in e[2]]
    assert len(flows) == 3 * 2 + 2                               # hidden→output, output→C_T
    gl = draw_graph(C, level="layer")
    assert len(node_lines(gl)) == 2 + 2 + 1 + 1               # layers, summaries, C_T, pixels
    assert "192 outputs" in gl.source                           # 3 units × 64 images
    with pytest.raises(GraphTooLarge, match='level="layer"'):
        draw_graph(C, level="neuron", max_nodes=5)


def test_tensor_graph_of_the_batch_and_its_layer_level():
    X, T = book_digits_4x3(one_hot=True)
    net = solved_net("tensor")
    out = net(Tensor(X))
    with name_scope("C_T", "block"):
        C_T = (0.5 * (Tensor(T) - out) ** 2).sum()
    C_T.backward()
    g = draw_graph(C_T)
    n_ops = 2 * 4 + 4                  # per layer: transpose, @, +, σ; cost: −, ^, ×, Σ
    nodes = node_lines(g)
    assert len([n for n in nodes if n.startswith("op")]) == n_ops
    # + W, b per layer, and the images X and targets T as grey data nodes (no gradient)
    assert len(nodes) == 2 * n_ops + 4 + 2
    assert "(64, 2) float64" in g.source
    # "neuron" falls back to layers on the tensor engine: 2 layers, 2 summaries, X, T, C_T
    gn = draw_graph(C_T, level="neuron", data_names={"X": X, "T": T})
    assert len(node_lines(gn)) == 7
    assert {lab.split("<BR/>")[0] for lab in data_nodes(gn).values()} == {
        "X (64, 12) float64", "T (64, 2) float64"}
    # X flows into the first layer, T into the cost, along grey dashed arrows
    for name, group in (("X", "layers.0"), ("T", "C_T")):
        node = next(n for n, lab in data_nodes(gn).items() if lab.startswith(name + " "))
        (arrow,) = [e for e in edges(gn) if e[0] == node]
        assert "dashed" in arrow[2]
        assert label_of(node_lines(gn)[arrow[1]]).startswith(f"<B>{group}</B>")


# ----------------------------------------------------------------------------------------------
# robust DOT: escaping, no injection, the size limit, rendering
# ----------------------------------------------------------------------------------------------


def test_escape_html_entities_backslashes_newlines():
    assert escape_html('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    assert escape_html("a\\N") == "a\\\\N"                        # \N would become the node name
    assert escape_html("one\ntwo") == "one<BR/>two"
    assert escape_html("σ 恶魔 {x}") == "σ 恶魔 {x}"
    assert escape_html("bell\x07") == "bell\\\\x07"
    assert escape_html("\ud800") == "?"                           # a lone surrogate


def hostile_graph():
    vs = [Value(float(i), label=s) for i, s in enumerate(HOSTILE)]
    with name_scope('<b>"box"</b> & \\N σ', "neuron"):
        out = vs[0]
        for v in vs[1:]:
            out = out + v
    out.label = "out\nline2"
    out.backward()
    return out


def test_hostile_labels_cannot_break_the_dot():
    g = draw_graph(hostile_graph())
    src = g.source
    assert "evil" in src and not re.search(r"^\s*evil2? \[", src, re.M)
    assert "&quot;]; evil [label=&quot;pwned" in src
    for line in src.splitlines():  # every label opens and closes on its own line
        if "label=<" in line:
            assert re.search(r"label=<.*>( |\]|$)", line)
    assert len(node_lines(g)) == len(HOSTILE) + 2 * (len(HOSTILE) - 1)


@needs_dot
def test_hostile_labels_render_as_written(tmp_path):
    g = draw_graph(hostile_graph())
    path = render(g, tmp_path / "hostile.svg")
    texts = svg_texts(path)
    joined = "\n".join(texts)
    for s in HOSTILE:
        shown = s.replace("\t", " ").replace("\x07", "\\x07")
        assert any(shown in t for t in texts), (s, texts)
    assert "out" in texts and "line2" in texts                   # a newline: two lines
    assert '<b>"box"</b> & \\N σ (neuron)' in joined             # the box's name, as written
    assert svg_count(path, "node") == len(HOSTILE) + 2 * (len(HOSTILE) - 1)
    assert svg_count(path, "cluster") == 1


def dot_tokens(source: str) -> list[tuple[str, str]]:
    """Split DOT text into (kind, text) tokens as Graphviz's scanner does; a quoted string that
    does not end, or an HTML string that does not close or is longer than Graphviz accepts
    (16,384 characters), raises AssertionError."""
    tokens, i, n = [], 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            assert j < n, f"a quoted string does not end: {source[i:i + 60]!r}"
            tokens.append(("string", source[i + 1:j]))
            i = j + 1
        elif ch == "<":
            depth, j = 0, i
            while True:
                assert j < n, "an HTML string does not close"
                depth += {"<": 1, ">": -1}.get(source[j], 0)
                j += 1
                if depth == 0:
                    break
            assert j - i < 16384, f"an HTML string of {j - i} characters"
            tokens.append(("html", source[i:j]))
            i = j
        elif ch in "{}[];=,":
            tokens.append(("punct", ch))
            i += 1
        elif source.startswith("->", i):
            tokens.append(("punct", "->"))
            i += 2
        else:
            m = re.match(r"[\w.\-]+", source[i:])
            assert m, f"unexpected character {ch!r} at {source[i:i + 40]!r}"
            tokens.append(("id", m.group(0)))
            i += m.end()
    return tokens


def long_and_backslash_graph():
    """A label of 20,000 characters and a custom op whose name ends in a backslash."""
    from tinygrad_edu import Function

    class Odd(Function):
        @classmethod
        def name(cls):
            return 'odd "op" \\'

        @staticmethod
        def forward(ctx, x):
            return 2.0 * x

        @staticmethod
        def backward(ctx, grad):
            return 2.0 * grad

    x = Value(1.0, label="x" * 20000)
    y = Odd.apply(x)
    y.label = "&<" * 10000
    with name_scope("é\\" * 9000, "neuron"):
        z = y * 3.0
    z.backward()
    return z


def test_long_labels_and_odd_op_names_give_dot_that_parses():
    z = long_and_backslash_graph()
    for level in ("op", "neuron"):
        g = draw_graph(z, level=level, title="t" * 30000)
        tokens = dot_tokens(g.source)
        # every node and edge is one of ours (v0, op1, g2, d3), never a piece of a label
        named = [t for k, (kind, t) in enumerate(tokens) if kind == "id" and (
            tokens[k + 1][1] in ("[", "->") or tokens[k - 1][1] == "->")]
        assert named and all(re.fullmatch(r"(v|op|g|d)\d+|node|edge", t) for t in named), named
        assert "more characters" in g.source          # the long texts were shortened
    tooltip = re.search(r'tooltip="((?:[^"\\]|\\.)*)"', draw_graph(z).source).group(1)
    assert tooltip == 'odd \\"op\\" \\\\'              # DOT reads it back as: odd "op" \\


@needs_dot
def test_long_labels_and_odd_op_names_render(tmp_path):
    z = long_and_backslash_graph()
    path = render(draw_graph(z), tmp_path / "odd.svg")
    texts = svg_texts(path)
    assert any(t.startswith("xxxx") and t.endswith("more characters)") for t in texts)
    root = ET.parse(path).getroot()
    titles = [a.get("{http://www.w3.org/1999/xlink}title") for a in root.iter(SVG_NS + "a")]
    assert 'odd "op" \\' in titles                    # the tooltip, as written
    render(draw_graph(z, level="neuron"), tmp_path / "odd_neuron.svg")


@needs_dot
def test_hostile_unit_names_in_network_drawing(tmp_path):
    net = MLP([2, 2, 1], engine="tensor")
    net.unit_names = [["恶魔 \"1\"", "<x2>"], ["σ\\N", "a&b"], ["{out}"]]
    path = render(draw_network(net, [1.0, 0.0]), tmp_path / "net.svg")
    texts = svg_texts(path)
    for s in ['恶魔 "1"', "<x2>", "σ\\N", "a&b", "{out}"]:
        assert s in texts
    assert svg_count(path, "node") == 5 + 3 + 1                   # units, headings, legend


def test_render_without_graphviz_says_how_to_install(monkeypatch, tmp_path):
    w, x, b, z, a = neuron()
    g = draw_graph(a)
    monkeypatch.setattr(viz_dot.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFound) as e:
        render(g, tmp_path / "g.svg")
    assert isinstance(e.value, RuntimeError)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz",
                 "graphviz.org/download"):
        assert hint in str(e.value)
    # the DOT text needs no Graphviz
    path = render(g, tmp_path / "g.gv")
    assert open(path, encoding="utf-8").read() == g.source
    assert not (tmp_path / "g.svg").exists()
    with pytest.raises(ValueError, match="format"):
        render(g, tmp_path / "g.bmp")


@needs_dot
@pytest.mark.slow
def test_render_svg_png_pdf(tmp_path):
    w, x, b, z, a = neuron()
    a.backward()
    g = draw_graph(a)
    svg = render(g, tmp_path / "g.svg")
    texts = svg_texts(svg)
    assert "a" in texts and f"grad {w.grad:.4g}" in texts
    assert svg_count(svg, "node") == 9 and svg_count(svg, "edge") == 8
    png = render(g, tmp_path / "g", format="png")
    assert png.endswith("g.png")
    img = read_png(png)
    assert img.shape[0] > 50 and (img[..., :3] < 128).any()
    pdf = render(g, tmp_path / "g.pdf")
    assert open(pdf, "rb").read(5) == b"%PDF-"


@needs_dot
def test_jupyter_display():
    w, x, b, z, a = neuron()
    bundle = draw_graph(a)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    nb = draw_network(demons())._repr_mimebundle_()
    assert "<svg" in nb["image/svg+xml"]


# ----------------------------------------------------------------------------------------------
# the network diagram
# ----------------------------------------------------------------------------------------------


def network_edges(g):
    out = {}
    for a, b, attrs in edges(g):
        pw = float(re.search(r"penwidth=([\d.]+)", attrs).group(1))
        colour = re.search(r'color="(#\w+)"', attrs).group(1)
        out[(a, b)] = (pw, colour)
    return out


def test_demon_bonds_are_the_widest_arrows():
    net = demons()                                # §1-5: A likes 4 and 7, B 5 and 8, C 6 and 9
    g = draw_network(net)
    e = network_edges(g)
    assert len(e) == 12 * 3 + 3 * 2
    for i, pixels in enumerate([(4, 7), (5, 8), (6, 9)]):
        into = sorted(((pw, int(a[3:]) + 1) for (a, b), (pw, _) in e.items()
                       if b == f"u1_{i}"), reverse=True)
        assert {p for _, p in into[:2]} == set(pixels)
        assert into[0][0] == pytest.approx(5.3) and into[2][0] == pytest.approx(0.3 + 5 * 0.05)
    # output "0" likes A and C (red), dislikes B (blue); "1" the other way round
    assert e[("u1_0", "u2_0")][1].startswith(POSITIVE)
    assert e[("u1_1", "u2_0")][1].startswith(NEGATIVE)
    assert e[("u1_1", "u2_1")][1].startswith(POSITIVE)
    nodes = node_lines(g)
    assert "<B>A</B><BR/>b -1.5" in label_of(nodes["u1_0"])
    assert "<B>x4</B>" in label_of(nodes["u0_3"])          # the book's pixel names x1..x12
    assert "<BR/>a " not in g.source                # no input given: no activations


def test_network_with_an_input_shows_activations():
    X, T = book_digits_4x3(one_hot=True)
    net = demons("tensor")
    g = draw_network(net, X[0], show_weights=True)
    acts = net.layer_outputs(X[0])
    nodes = node_lines(g)
    for k, layer in enumerate(acts):
        for i, a in enumerate(np.asarray(layer).reshape(-1)):
            assert reading(a) in label_of(nodes[f"u{k}_{i}"])
    assert "<B>x1</B><BR/>1" in label_of(nodes["u0_0"])  # a pixel: its name and its value
    # a black pixel (1) is drawn dark, a white one (0) white
    assert X[0][0] == 1 and 'fillcolor="#262626"' in nodes["u0_0"]
    assert X[0][4] == 0 and 'fillcolor="#ffffff"' in nodes["u0_4"]
    # show_weights writes each w beside its arrow, in the arrow's colour
    assert re.search(r'w0_\d+_\d+ \[label=<<FONT COLOR="#b2182b">2</FONT>>', g.source)
    assert "engine" not in g.source and g.engine == "neato"


def test_zero_weights_are_no_bonds_and_numbers_stay_apart():
    from tinygrad_edu.book.ch1_demons import demon_params
    from tinygrad_edu.viz.network import ZERO

    cut = demon_params()
    cut["W2"][cut["W2"] < 1] = 0.0                     # the weak links cut: 30 of 36 are 0
    hand = demon_network("tensor", cut)
    g = draw_network(hand, show_weights=True)
    e = {(a, b): attrs for a, b, attrs in edges(g)}
    zero = [k for k, attrs in e.items() if f'color="{ZERO}"' in attrs]
    assert len(zero) == 30 and all("dotted" in e[k] for k in zero)
    assert not any(f'color="{POSITIVE}' in e[k] for k in zero)
    # a number for each of the 6 + 6 other weights, none for a zero
    assert len([n for n in node_lines(g) if n.startswith("w")]) == 12
    # with every weight non-zero, no two numbers overlap (8 pt text: 0.15 in high, ~0.4 wide)
    solved = demon_network("tensor", "book-3-5-solved")
    g = draw_network(solved, show_weights=True)
    spots = [tuple(map(float, re.search(r'pos="([-\d.]+),([-\d.]+)!"', a).groups()))
             for n, a in node_lines(g).items() if re.fullmatch(r"w\d+_\d+_\d+", n)]
    assert len(spots) == 42
    for i, (x0, y0) in enumerate(spots):
        for x1, y1 in spots[i + 1:]:
            assert abs(x0 - x1) > 0.45 or abs(y0 - y1) > 0.17, ((x0, y0), (x1, y1))


def test_inputs_drawn_as_the_4x3_image():
    X, _ = book_digits_4x3()
    g = draw_network(demons(), X[0], input_grid=(4, 3))
    nodes = node_lines(g)
    pos = {j: tuple(map(float, re.search(r'pos="([-\d.]+),([-\d.]+)!"', nodes[f"u0_{j}"]).groups()))
           for j in range(12)}
    # pixel 1 at the top left, numbered row by row: 1 2 3 / 4 5 6 / 7 8 9 / 10 11 12
    for j in range(12):
        r, c = divmod(j, 3)
        assert pos[j][0] == pytest.approx(pos[0][0] + c * 1.15)
        assert pos[j][1] == pytest.approx(pos[0][1] - r * 1.15)
        assert f"<B>x{j + 1}</B>" in label_of(nodes[f"u0_{j}"])
        assert "shape=square" in nodes[f"u0_{j}"]
    assert "the 4x3 image" in g.source
    # every hidden unit sits to the right of the image
    assert all(float(re.search(r'pos="([-\d.]+),', nodes[f"u1_{i}"]).group(1)) > pos[2][0] + 1
               for i in range(3))
    with pytest.raises(ValueError, match="4x4"):
        draw_network(demons(), input_grid=(4, 4))


def test_network_errors():
    net = demons()
    with pytest.raises(ValueError, match="one input"):
        draw_network(net, np.zeros((2, 12)))

    class Broken:
        sizes = [2, 1]

        def state_dict(self):
            return {"layers.0.weight": np.zeros((1, 2))}

    with pytest.raises(ValueError, match="layers.0.bias"):
        draw_network(Broken())
    with pytest.raises(ValueError, match="unit_names"):
        draw_network(net, unit_names=[["a"], ["b"], ["c"]])
    with pytest.raises(GraphTooLarge):
        draw_network(MLP([400, 2], engine="tensor"))


def node_positions(g) -> dict[str, tuple[float, float]]:
    """The pinned position (inches) of every node of a network drawing."""
    out = {}
    for line in g.source.splitlines():
        m = re.match(r'\s*(\w+) \[.*pos="([-\d.]+),([-\d.]+)!"', line)
        if m:
            out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return out


def test_every_arrow_leaves_its_own_pixel():
    from tinygrad_edu.viz.network import _CELL

    X, T = book_digits_4x3(one_hot=True)
    g = draw_network(demons(), X[0], t=T[0], input_grid=(4, 3))
    pos, nodes = node_positions(g), node_lines(g)
    wires = [(a, b, attrs) for a, b, attrs in edges(g) if "arrowhead=none" in attrs]
    assert len(wires) == 12 * 3      # per pixel: up into its lane, right, on to its dot
    for j in range(12):
        # the wire leaves the cell's upper edge, and the cell is opaque (no alpha in its fill)
        assert (f"u0_{j}", f"bend{j}_0", 'arrowhead=none color="#555555" penwidth=1.2 '
                'tailport=n') in wires
        assert re.search(r'fillcolor="#[0-9a-f]{6}"', nodes[f"u0_{j}"])
    # no wire runs through another pixel's cell: walk each segment in small steps
    cells = {f"u0_{j}": pos[f"u0_{j}"] for j in range(12)}
    for a, b, _ in wires:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        for s in np.linspace(0.0, 1.0, 200):
            x, y = x0 + s * (x1 - x0), y0 + s * (y1 - y0)
            for name, (cx, cy) in cells.items():
                if name != a:
                    assert abs(x - cx) > _CELL / 2 or abs(y - cy) > _CELL / 2, (a, b, name)
    # the dots keep the pixels' order from the top, right of the image
    dots = [pos[f"p{j}"] for j in range(12)]
    assert all(d0[1] > d1[1] for d0, d1 in zip(dots, dots[1:]))
    assert min(x for x, _ in dots) > max(x for x, _ in cells.values()) + _CELL / 2
    # the arrows into A leave the dots of pixels 4 and 7, and they are A's widest
    into_a = sorted(((pw, a) for (a, b), (pw, _) in network_edges(g).items()
                     if b == "u1_0" and a.startswith("p")), reverse=True)
    assert len(into_a) == 12 and {a for _, a in into_a[:2]} == {"p3", "p6"}
    # the targets t of image No.1 (a "0") beside the outputs, at their height
    assert re.search(r"\tt0 \[label=<t = 1> ", g.source) and "\tt1 [label=<t = 0> " in g.source
    assert pos["t0"][1] == pos["u2_0"][1] and pos["t0"][0] > pos["u2_0"][0] + 0.5


@pytest.mark.parametrize("x, text", [(4.54e-05, "0.000"), (-3e-07, "0.000"), (0.98765, "0.988"),
                                     (0.99997, "1.000"), (1.0, "1"), (-10.0, "-10"),
                                     (6.6449, "6.64"), (-14.28, "-14.3"), (123.4, "123"),
                                     (2.0, "2"), (12345.6, "12346"), (float("nan"), "NaN")])
def test_numbers_are_rounded_for_reading(x, text):
    assert reading(x) == text


def test_no_long_numbers_in_the_network_drawing():
    X, T = book_digits_4x3(one_hot=True)
    g = draw_network(solved_net("tensor"), X[0], t=T[0], input_grid=(4, 3), show_weights=True)
    assert "e-0" not in g.source and "e+0" not in g.source
    assert "a 0.000" in g.source         # A's 1.5e-06 for image No.1
    numbers = re.findall(r">(-?[\d.]+)</FONT>", g.source)
    assert len(numbers) == 42 and all(len(n.lstrip("-").replace(".", "")) <= 4 for n in numbers)


def test_draw_network_takes_a_sequential_of_linear_and_activations():
    from tinygrad_edu.book.ch1_demons import demon_params
    from tinygrad_edu.book.network import DEMON_UNITS
    from tinygrad_edu.nn import Conv2d, Linear, ReLU, Sequential, Sigmoid

    p = demon_params()
    seq = Sequential(Linear(12, 3, weight=p["W2"], bias_value=p["b2"]), Sigmoid(),
                     Linear(3, 2, "sigmoid", weight=p["W3"], bias_value=p["b3"]))
    mlp = demon_network("tensor", p)
    X, T = book_digits_4x3(one_hot=True)
    drawn = [draw_network(net, X[10], input_grid=(4, 3), unit_names=DEMON_UNITS)
             for net in (seq, mlp)]
    seq_nodes, mlp_nodes = (node_lines(g) for g in drawn)
    for name in [f"u{k}_{i}" for k, n in enumerate([12, 3, 2]) for i in range(n)]:
        assert label_of(seq_nodes[name]) == label_of(mlp_nodes[name]), name
    assert network_edges(drawn[0]) == network_edges(drawn[1])
    a = mlp.layer_outputs(X[10])
    assert f"a {reading(a[2][1])}" in label_of(seq_nodes["u2_1"])
    # a layer without biases shows none; a ReLU network of three layers
    g = draw_network(Sequential(Linear(2, 4, bias=False), ReLU(), Linear(4, 3), ReLU(),
                                Linear(3, 1)), [1.0, -2.0])
    assert "b " not in label_of(node_lines(g)["u1_0"]) and "b " in label_of(node_lines(g)["u2_0"])
    assert "hidden layer 2" in g.source and len(network_edges(g)) == 8 + 12 + 3
    with pytest.raises(ValueError, match="layer 0 is Conv2d"):
        draw_network(Sequential(Conv2d(1, 3, 3), Linear(12, 3)))
    with pytest.raises(ValueError, match="activation before any Linear"):
        draw_network(Sequential(Sigmoid(), Linear(12, 3)))
    with pytest.raises(ValueError, match="takes 4 inputs"):
        draw_network(Sequential(Linear(2, 3), Linear(4, 1)))
    with pytest.raises(ValueError, match="3 targets for 2 output units"):
        draw_network(mlp, X[0], t=[1, 0, 0])


# ----------------------------------------------------------------------------------------------
# the demo and the demon drawings
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_graph_of_a_neuron(tmp_path):
    demo = os.path.join(os.path.dirname(__file__), "..", "..", "demos", "graph_of_a_neuron.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", ".."))
    done = subprocess.run([sys.executable, demo, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=60)
    gv = (tmp_path / "neuron_backward.gv").read_text(encoding="utf-8")
    assert "<B>σ</B>" in gv and "grad 0.2445" in gv            # da/db = σ'(0.3)
    if HAVE_DOT:
        assert done.returncode == 0, done.stderr
        # 5 leaves (x1, x2, w1, w2, b), 5 ops (×, ×, +, +, σ), 5 results
        assert svg_count(str(tmp_path / "neuron_backward.svg"), "node") == 15


@needs_dot
def test_render_demon_writes_four_drawings_and_leaves_the_models_alone(tmp_path):
    X, T = book_digits_4x3(one_hot=True)
    before = demon_network("scalar", "book-3-5")
    after = solved_net("tensor")
    state = {k: v.copy() for k, v in after.state_dict().items()}
    paths = render_demon(before, after, X, tmp_path, formats=("gv",) + (("svg",) if HAVE_DOT
                                                                       else ()))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == sorted(f"demon_{n}.{f}" for n in ("graph_scalar_image1", "graph_tensor_batch",
                                                       "network_before", "network_after")
                           for f in ("gv", "svg")[:1 + HAVE_DOT])
    if HAVE_DOT:
        # per unit Σw·x+b and σ (10 ops); the cost C of the image: 2 −, 2 ^, + and × (16 ops,
        # 16 results), the 47 weights and biases, the 12 pixels and the 2 targets t[0], t[1]
        svg = str(tmp_path / "demon_graph_scalar_image1.svg")
        assert svg_count(svg, "node") == 2 * 16 + 47 + 12 + 2
        assert svg_count(svg, "cluster") == 10   # network, 2 layers, 5 units, pixels, the cost
        # 42 weights, and each pixel's wire in 3 pieces
        assert svg_count(str(tmp_path / "demon_network_after.svg"), "edge") == 42 + 12 * 3
    for k, v in after.state_dict().items():
        assert np.array_equal(v, state[k])
    assert after.layers[0].weight.grad is None      # no backward ran on the given model
    assert all(w.grad == 0.0 for n in before.layers[0].neurons for w in n.w)
    with pytest.raises(ValueError, match="targets"):
        render_demon(before, after, X[:3], tmp_path)
    with pytest.raises(ValueError, match="numbered 1 to 64"):
        render_demon(before, after, X, tmp_path, image=0)
    # nothing was trained: one network diagram; image No.33 (a "1") as the book numbers it
    paths = render_demon(None, after, X, tmp_path / "one", formats=("gv",), image=33)
    assert sorted(os.path.basename(p) for p in paths) == [
        "demon_graph_scalar_image33.gv", "demon_graph_tensor_batch.gv", "demon_network.gv"]
    net_gv = (tmp_path / "one" / "demon_network.gv").read_text(encoding="utf-8")
    assert "activations for image No.33" in net_gv


def _demon_drawings(tmp_path, image=1):
    """The demon network's drawings made with the real network (book names), as DOT text."""

    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("tensor", "book-3-5-solved")
    render_demon(None, net, X, tmp_path, formats=("gv",), image=image)
    return {p.stem: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.gv")}


def plain_order(source: str, pattern: str) -> list[str]:
    """The nodes whose label's first bold text matches `pattern`, from the top down, as dot
    lays them out (`dot -Tplain`: one line per node with its centre)."""
    done = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True,
                          timeout=120, check=True)
    ys = {}
    for line in done.stdout.decode().splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            m = re.match(r"<<B>([^<]*)</B>", parts[6]) or re.match(r"<(x\d+) =", parts[6])
            if m and re.fullmatch(pattern, m.group(1)):
                ys[m.group(1)] = float(parts[3])
    return sorted(ys, key=lambda k: -ys[k])


def test_demon_drawings_use_the_books_names(tmp_path):
    drawings = _demon_drawings(tmp_path)
    scalar = drawings["demon_graph_scalar_image1"]
    for name in ("w2[A,4]", "b2[C]", "z2[A]", "a2[B]", "w3[0,A]", "w3[1,C]", "z3[0]", "a3[1]"):
        assert f"<B>{name}</B>" in scalar, name
    assert "w2[1,4]" not in scalar and "a3[2]" not in scalar  # names, not positions
    # boxes titled A, B, C, 0, 1 and the layers by their role, not by module paths
    for title in ("A", "B", "C", "0", "1", "hidden layer (layer 2)", "output layer (layer 3)",
                  "the 12-3-2 network", "cost C of the image"):
        assert f"label=<<B>{title}</B>>" in scalar, title
    assert "layers.0" not in scalar and "neurons" not in scalar
    # the pixels of image No.1 (1 1 1 / 1 0 1 / 1 0 1 / 1 1 1) and its targets t = (1, 0)
    X, _ = book_digits_4x3()
    for j in range(12):
        assert f"<x{j + 1} = {X[0, j]:g}>" in scalar
    # the targets t = (1, 0) are named data nodes; each difference and the cost has its name
    assert "<t[0] = 1>" in scalar and "<t[1] = 0>" in scalar
    for name in ("t[0] − a3[0]", "t[1] − a3[1]", "(t[0] − a3[0])²", "cost C"):
        assert f"<B>{name}</B>" in scalar, name
    assert "<B>C</B><BR/>" not in scalar    # "C" alone is hidden unit C's box, never the cost
    tensor = drawings["demon_graph_tensor_batch"]
    assert "X (64, 12) float64" in tensor and "T (64, 2) float64" in tensor
    assert "cost C_T of the batch" in tensor


@needs_dot
def test_units_stack_from_the_top_as_in_the_network_diagram(tmp_path):
    from tinygrad_edu.book.demon_graph import box_names, image_cost

    scalar = _demon_drawings(tmp_path)["demon_graph_scalar_image1"]
    z = plain_order(scalar, r"z\d\[\w\]")
    assert [n for n in z if n.startswith("z2")] == ["z2[A]", "z2[B]", "z2[C]"]
    assert [n for n in z if n.startswith("z3")] == ["z3[0]", "z3[1]"]
    assert plain_order(scalar, r"x\d+") == [f"x{j}" for j in range(1, 13)]
    assert plain_order(scalar, r"w2\[A,\d+\]") == [f"w2[A,{j}]" for j in range(1, 13)]
    # the network diagram: A, B, C and 0, 1 from the top too (fixed positions)
    net = demon_network("tensor", "book-3-5-solved")
    g = draw_network(net)
    ys = {k: float(re.search(r'pos="[-\d.]+,([-\d.]+)!"', a).group(1))
          for k, a in node_lines(g).items() if k.startswith("u")}
    assert ys["u1_0"] > ys["u1_1"] > ys["u1_2"] and ys["u2_0"] > ys["u2_1"]
    # one image and all 64, at the level of units
    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("scalar", "book-3-5-solved")
    for n in (1, 64):
        with name_scope("C_T", "block"):
            total = None
            for x, t in zip(X[:n].tolist(), T[:n].tolist()):
                c = image_cost(net(x), t)
                total = c if total is None else total + c
        total.backward()
        order = plain_order(draw_graph(total, level="neuron", box_names=box_names(net)).source,
                            r"[ABC01]")
        assert [u for u in order if u in "ABC"] == ["A", "B", "C"], (n, order)
        assert [u for u in order if u in "01"] == ["0", "1"], (n, order)


def plain_nodes(source: str, engine: str = "dot") -> dict[str, tuple[float, float]]:
    """Each node's centre (inches) as Graphviz lays it out (`-Tplain`), by node name."""
    done = subprocess.run([engine, "-Tplain"], input=source.encode(), capture_output=True,
                          timeout=120, check=True)
    out = {}
    for line in done.stdout.decode().splitlines():
        parts = line.split(" ", 5)
        if parts[0] == "node":
            out[parts[1]] = (float(parts[2]), float(parts[3]))
    return out


def png_size(path) -> tuple[int, int]:
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@needs_dot
def test_the_scalar_graph_of_one_image_fits_a_screen_at_the_neuron_level(tmp_path):
    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("tensor", "book-3-5-solved")
    paths = render_demon(None, net, X, tmp_path, ("png", "gv"), level="neuron", image=33)
    png = next(p for p in paths if p.endswith("scalar_image33.png"))
    width, height = png_size(png)
    assert width <= 1920 and height <= 1080, (width, height)   # one 1920x1080 screen, at 100%
    assert width >= 1000                                        # and not shrunk to fit
    source = (tmp_path / "demon_graph_scalar_image33.gv").read_text(encoding="utf-8")
    # the pixels as a 4x3 block: one table, x1..x3 in its first row (image No.33: 0 1 0 / ...)
    assert source.count("<TABLE") == 1
    rows = re.findall(r"<TR>(.*?)</TR>", source)
    assert len(rows) == 5 and all(rows[1 + r].count("<TD") == 3 for r in range(4))
    assert re.findall(r"<B>(x\d+)</B><BR/>(\d)", rows[1]) == [("x1", "0"), ("x2", "1"), ("x3", "0")]
    # the targets t and the differences t − a are named nodes; the cost is "cost C"
    nodes = {m.group(2) or m.group(3): m.group(1) for m in re.finditer(
        r"\t(\w+) \[label=<(?:<B>([^<]*)</B>|([^<>]* = \d))", source)}
    for name in ("A", "B", "C", "0", "1", "t[0] = 0", "t[1] = 1", "t[0] − a3[0]: −",
                 "t[1] − a3[1]: −", "cost C: 0.5 ×"):
        assert name in nodes, (name, sorted(nodes))
    # left to right: the image, the hidden layer, the output layer, t − a, the cost
    at = {name: plain_nodes(source)[node][0] for name, node in nodes.items()}
    image = plain_nodes(source)[re.search(r"\t(\w+) \[label=<<TABLE", source).group(1)][0]
    assert image < min(at["A"], at["B"], at["C"])
    assert max(at["A"], at["B"], at["C"]) < min(at["0"], at["1"])
    assert max(at["0"], at["1"]) < at["t[0] − a3[0]: −"] < at["cost C: 0.5 ×"]
    assert at["t[0] = 0"] == pytest.approx(at["t[0] − a3[0]: −"])  # t in its difference's column


def test_a_data_tensor_keeps_its_label():
    x = Tensor(np.arange(6.0).reshape(2, 3), label="x")            # data: no gradient
    W = Tensor(np.ones((3, 2)), label="W", requires_grad=True)
    y = (x @ W).sum()
    y.backward()
    g = draw_graph(y)
    data = [v for k, v in node_lines(g).items() if k.startswith("d")]
    assert len(data) == 1 and label_of(data[0]).startswith("x (2, 3) float64")
    t = Value(1.0, label="t", requires_grad=False)                  # a labelled number too
    a = Value(0.25, label="a")
    C = 0.5 * (t - a) ** 2
    C.backward()
    g = draw_graph(C)
    assert "<t = 1>" in g.source and "<B>1 −</B>" not in g.source and "<B>0.5 ×</B>" in g.source
    assert "<t = 1>" in draw_graph(C, level="neuron").source


def test_demon_command_draws_the_weights_and_the_chosen_level(tmp_path, capsys):
    from tinygrad_edu.cli import main

    for level in ("neuron", "op"):
        out = tmp_path / level
        argv = ["demon", "--quiet", "--init", "demons", "--render", str(out), "--format", "gv",
                "--level", level] + (["--weights"] if level == "op" else [])
        assert main(argv) == 0
        scalar = (out / "demon_graph_scalar_image1.gv").read_text(encoding="utf-8")
        network = (out / "demon_network.gv").read_text(encoding="utf-8")
        assert ("<TABLE" in scalar) == (level == "neuron")          # the pixels as a 4x3 block
        assert ("<B>w2[A,4]</B>" in scalar) == (level == "op")      # every weight at op level
        # --weights: w2[A,4] = 10 (A likes pixel 4) written on its arrow, in red
        written = re.search(r'w0_0_3 \[label=<<FONT COLOR="#b2182b">10</FONT>>', network)
        assert bool(written) == (level == "op")
    assert main(["demon", "--quiet", "--weights"]) == 2
    assert "--weights writes the weights into the drawings of --render" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# end to end: what a user sees in a browser
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(chromium() is None or not HAVE_DOT, reason="needs Chromium and Graphviz")
def test_rendered_svg_is_visible_in_a_headless_browser(tmp_path):
    net = demons()
    X, T = book_digits_4x3(one_hot=True)
    svg = render(draw_network(net, X[0], title="恶魔 network σ"), tmp_path / "net.svg")
    blank = tmp_path / "blank.svg"
    blank.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    shots = [screenshot(page, tmp_path, (700, 900)) for page in (svg, str(blank))]
    drawn, empty = shots
    assert drawn.shape == (900, 700, 3)
    dark = (drawn.sum(axis=2) < 200).mean()      # the black pixels and the text
    red = ((drawn[..., 0] - drawn[..., 2]) > 60).mean()  # positive bonds are red
    assert dark > 0.02 and red > 0.002, (dark, red)
    assert (empty.sum(axis=2) < 200).mean() == 0.0  # the check can tell blank from drawn


# ----------------------------------------------------------------------------------------------
# the demon network at every level of drawing
# ----------------------------------------------------------------------------------------------


def test_the_real_demon_network_is_drawn_readably_at_every_level():
    from tinygrad_edu import name_scope
    from tinygrad_edu.book.demon_graph import image_cost
    from tinygrad_edu.viz.dot import GraphTooLarge

    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("scalar", "book-4-4", 0)
    a = net(X[0].tolist())  # one image
    with name_scope("C", "block"):
        C = image_cost(a, T[0].tolist())
    C.backward()
    counts = {level: len(node_lines(draw_graph(C, level=level)))
              for level in ("op", "neuron", "layer")}
    # op level: the 47 weights and biases; the 12 pixels (grey); for each of the 5 units an op
    # Σw·x+b, its z, an op σ and its a (20); the cost: −, ^ twice, +, × and their results (12)
    # neuron level: 5 units, 5 summaries of their weights, the pixels, the cost C
    # layer level: 2 layers, 2 summaries, the pixels, the cost C
    assert counts == {"op": 47 + 12 + 20 + 12, "neuron": 12, "layer": 6}
    g = draw_graph(C)
    assert "w2[A,4]" in g.source and "z2[A]" in g.source and "Σw·x+b" in g.source
    assert g.source.count("subgraph") == 10  # network, 2 layers, 5 units, the pixels, C
    with name_scope("C_T", "block"):
        C_T = None
        for x, t in zip(X.tolist(), T.tolist()):
            c = image_cost(net(x), t)
            C_T = c if C_T is None else C_T + c
    C_T.backward()
    with pytest.raises(GraphTooLarge, match="level"):
        draw_graph(C_T)  # all 64 images, one node per op: too many to read
    assert len(node_lines(draw_graph(C_T, level="neuron"))) == 12
    assert len(node_lines(draw_graph(C_T, level="layer"))) == 6


# ----------------------------------------------------------------------------------------------
# the layout: viz draws graphs and networks, and knows nothing of the book
# ----------------------------------------------------------------------------------------------


def _imported_modules(path) -> list[str]:
    """The absolute names of the modules a file of tinygrad_edu.viz imports (relative ones
    resolved against tinygrad_edu.viz)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ["tinygrad_edu", "viz"][:3 - node.level] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [f"{module}.{a.name}" for a in node.names]
    return names


def test_viz_imports_nothing_from_the_book_or_its_data():
    from pathlib import Path

    import tinygrad_edu.viz

    files = sorted(Path(tinygrad_edu.viz.__file__).parent.glob("*.py"))
    assert len(files) >= 5
    imported = {f.name: _imported_modules(f) for f in files}
    assert "tinygrad_edu.engine" in imported["graph.py"]  # the scan resolves relative imports
    for name, modules in imported.items():
        for m in modules:
            assert not m.startswith(("tinygrad_edu.book", "tinygrad_edu.datasets")), (name, m)


def test_the_drawn_image_cost_is_the_squared_error():
    from tinygrad_edu.book.demon_graph import image_cost
    from tinygrad_edu.losses import squared_error

    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("scalar", "book-4-4")
    for n in (0, 40):
        drawn, used = image_cost(net(X[n].tolist()), T[n]), squared_error(net(X[n].tolist()), T[n])
        assert drawn.data == pytest.approx(used.data, rel=1e-15) and drawn.data > 1e-3
