"""Drawings of graphs and networks (tinygrad_edu.viz): the DOT holds what it should, labels cannot
break it, and where Graphviz (and Chromium) are installed the drawings render and are visible."""

from __future__ import annotations

import math
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, name_scope
from tinygrad_edu.datasets import book_digits_4x3, book_nn_params
from tinygrad_edu.viz import (GraphTooLarge, GraphvizNotFound, draw_graph, draw_network,
                              escape_html, render)
from tinygrad_edu.viz import dot as viz_dot
from tinygrad_edu.viz.demon import render_demon
from tinygrad_edu.viz.network import NEGATIVE, POSITIVE

sys.path.insert(0, os.path.dirname(__file__))
from _viz_standin import MLP, demon_mlp  # noqa: E402

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
        m = re.match(r"\s*((?:v|op|g)\d+|u\d+_\d+) \[(.*)\]\s*$", line)
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
            stack[-1] = re.search(r"label=<<B>(.*?) \(", s).group(1)
            pending = False
        else:
            m = re.match(r"((?:v|op|g)\d+) \[", s)
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


def read_png(path: str) -> np.ndarray:
    """Decode an 8-bit, non-interlaced grey/RGB/RGBA PNG into an (h, w, channels) uint8 array."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    w, h, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (0, 2, 6), header
    ch = {0: 1, 2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = w * ch
    img = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum per channel
            cur = np.cumsum(line.reshape(w, ch), axis=0).reshape(-1) % 256
        elif f == 2:
            cur = (line + prev) % 256
        else:
            cur = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                a = cur[i - ch] if i >= ch else 0
                b = prev[i]
                c = prev[i - ch] if i >= ch else 0
                if f == 3:
                    cur[i] = (line[i] + (a + b) // 2) % 256
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    cur[i] = (line[i] + pred) % 256
        img[y] = cur
        prev = cur
    return img.reshape(h, w, ch)


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
    p = book_nn_params("3-5-solved")
    return demon_mlp(engine, p["W2"], p["b2"].reshape(-1), p["W3"], p["b3"].reshape(-1))


def snapshot(root):
    """(data, grad) of every node behind root, copied."""
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        out.append((v, np.copy(v.data), None if v.grad is None else np.copy(v.grad)))
        if v._ctx is not None:
            stack.extend(p for p in v._ctx.inputs if p is not None)
    return out


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


def test_constant_operand_is_shown_on_the_op():
    v = Value(3.0, label="v")
    c = 0.5 * v ** 2
    g = draw_graph(c)
    ops = [label_of(a) for n, a in node_lines(g).items() if n.startswith("op")]
    assert "<B>×</B><BR/>0.5" in ops and "<B>^</B><BR/>2" in ops


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
    ops = 3 * (12 + 12 + 1) + 2 * (3 + 3 + 1) + (2 * 3 + 3)      # hidden, output, cost = 98
    assert len([n for n in nodes if n.startswith("op")]) == ops
    assert len([n for n in nodes if n.startswith("v")]) == ops + 47  # + 47 parameters
    assert g.source.count("subgraph cluster_") == 1 + 2 + 5       # network, 2 layers, 5 neurons
    where = cluster_of_nodes(g)
    # a neuron's weights sit in its own box, nested in its layer, in the network
    w = net.layers[0].neurons[2].w[3]
    wid = [n for n in nodes if f"data {w.data:.4g}" in nodes[n] and "<B>w4</B>" in nodes[n]]
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
    # neuron: 5 neurons + 5 weight summaries + 9 cost ops (2 × (−, ^, ×), 3 +); layer: 2 + 2 + 9
    assert counts == {"op": 2 * 98 + 47, "neuron": 19, "layer": 13}
    g = draw_graph(C, level="neuron")
    assert "<B>layers.0.neurons.1</B><BR/>neuron, 25 ops" in g.source
    assert "<B>13 leaves</B><BR/>b, w1, w2, …" in g.source
    a1 = net.layers[0].neurons[1](  # its output value is shown on the neuron's node
        [float(p) for p in X[0]])
    assert f"out {a1.data:.4g}" in label_of(node_lines(g)[find_node(g, "layers.0.neurons.1")])
    where = cluster_of_nodes(g)
    nid = find_node(g, "<B>layers.0.neurons.1</B>")
    assert where[nid] == ["MLP", "layers.0"]


def test_all_64_images_at_neuron_and_layer_level():
    X, T = book_digits_4x3(one_hot=True)
    net = solved_net()
    C = demon_cost(net, X, T)
    C.backward()
    with pytest.raises(GraphTooLarge, match='level="neuron"') as e:
        draw_graph(C)
    assert "12" in str(e.value)  # the node count is named (12591 with this stand-in)
    g = draw_graph(C, level="neuron")
    nodes = node_lines(g)
    assert len(nodes) == 5 + 5 + 1                               # neurons, summaries, C_T
    assert "64 outputs" in g.source and "<B>C_T</B>" in g.source
    flows = [e for e in edges(g) if "×64" in e[2]]
    assert len(flows) == 3 * 2 + 2                               # hidden→output, output→C_T
    gl = draw_graph(C, level="layer")
    assert len(node_lines(gl)) == 2 + 2 + 1
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
    assert len(nodes) == 2 * n_ops + 4          # + W, b per layer (X and T need no gradient)
    assert "(64, 2) float64" in g.source
    # "neuron" falls back to layers on the tensor engine: 2 layers, 2 summaries, C_T
    assert len(node_lines(draw_graph(C_T, level="neuron"))) == 5


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
    nb = draw_network(demon_mlp())._repr_mimebundle_()
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
    net = demon_mlp()                                # §1-5: A likes 4 and 7, B 5 and 8, C 6 and 9
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
    assert "<B>4</B>" in label_of(nodes["u0_3"])
    assert "<BR/>a " not in g.source                # no input given: no activations


def test_network_with_an_input_shows_activations():
    X, T = book_digits_4x3(one_hot=True)
    net = demon_mlp("tensor")
    g = draw_network(net, X[0], show_weights=True)
    acts = net.layer_outputs(X[0])
    nodes = node_lines(g)
    for k, layer in enumerate(acts):
        for i, a in enumerate(np.asarray(layer).reshape(-1)):
            assert f"a {a:.3g}" in label_of(nodes[f"u{k}_{i}"])
    # a black pixel (1) is drawn dark, a white one (0) white
    assert X[0][0] == 1 and 'fillcolor="#262626"' in nodes["u0_0"]
    assert X[0][4] == 0 and 'fillcolor="#ffffff"' in nodes["u0_4"]
    assert "label=<2>" in g.source                 # show_weights writes w on the arrows
    assert "engine" not in g.source and g.engine == "neato"


def test_network_errors():
    net = demon_mlp()
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


# ----------------------------------------------------------------------------------------------
# the demo and the demon drawings
# ----------------------------------------------------------------------------------------------


def test_demo_graph_of_a_neuron(tmp_path):
    demo = os.path.join(os.path.dirname(__file__), "..", "demos", "graph_of_a_neuron.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
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
    q = book_nn_params("3-5-initial")
    before = demon_mlp("scalar", q["W2"], q["b2"].reshape(-1), q["W3"], q["b3"].reshape(-1))
    after = solved_net("tensor")
    state = {k: v.copy() for k, v in after.state_dict().items()}
    paths = render_demon(before, after, X, tmp_path, formats=("svg", "gv"))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == sorted(f"demon_{n}.{f}" for n in ("graph_scalar_image1", "graph_tensor_batch",
                                                       "network_before", "network_after")
                           for f in ("svg", "gv"))
    assert svg_count(str(tmp_path / "demon_graph_scalar_image1.svg"), "node") == 2 * 97 + 47
    assert svg_count(str(tmp_path / "demon_graph_scalar_image1.svg"), "cluster") == 9
    assert svg_count(str(tmp_path / "demon_network_after.svg"), "edge") == 42
    for k, v in after.state_dict().items():
        assert np.array_equal(v, state[k])
    assert after.layers[0].weight.grad is None      # no backward ran on the given model
    assert all(w.grad == 0.0 for n in before.layers[0].neurons for w in n.w)
    with pytest.raises(ValueError, match="targets"):
        render_demon(before, after, X[:3], tmp_path)


# ----------------------------------------------------------------------------------------------
# end to end: what a user sees in a browser
# ----------------------------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None or not HAVE_DOT, reason="needs Chromium and Graphviz")
def test_rendered_svg_is_visible_in_a_headless_browser(tmp_path):
    net = demon_mlp()
    X, T = book_digits_4x3(one_hot=True)
    svg = render(draw_network(net, X[0], title="恶魔 network σ"), tmp_path / "net.svg")
    blank = tmp_path / "blank.svg"
    blank.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    shots = []
    for page in (svg, str(blank)):
        shot = tmp_path / (os.path.basename(page) + ".png")
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                        "--window-size=700,900", "file://" + os.path.abspath(page)],
                       capture_output=True, timeout=120, check=False)
        assert shot.exists()
        shots.append(read_png(str(shot))[..., :3].astype(int))
    drawn, empty = shots
    assert drawn.shape == (900, 700, 3)
    dark = (drawn.sum(axis=2) < 200).mean()      # the black pixels and the text
    red = ((drawn[..., 0] - drawn[..., 2]) > 60).mean()  # positive bonds are red
    assert dark > 0.02 and red > 0.002, (dark, red)
    assert (empty.sum(axis=2) < 200).mean() == 0.0  # the check can tell blank from drawn


# ----------------------------------------------------------------------------------------------
# the real demon network (tinygrad_edu.nn), not the stand-in
# ----------------------------------------------------------------------------------------------


def test_the_real_demon_network_is_drawn_readably_at_every_level():
    from tinygrad_edu import losses, name_scope
    from tinygrad_edu.book.network import demon_network
    from tinygrad_edu.viz.dot import GraphTooLarge

    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("scalar", "book-4-4", 0)
    C = losses.squared_error(net(X[0].tolist()), T[0].tolist())  # one image
    C.backward()
    counts = {level: len(node_lines(draw_graph(C, level=level)))
              for level in ("op", "neuron", "layer")}
    # op level: the 47 weights and biases; for each of the 5 units an op Σw·x+b, its z, an op σ
    # and its a (20); the cost C = ½Σ(t−a)² in plain ops (sub, pow, add, mul and their results)
    assert counts == {"op": 81, "neuron": 17, "layer": 11}
    g = draw_graph(C)
    assert "w2[A,4]" in g.source and "z2[A]" in g.source and "Σw·x+b" in g.source
    assert g.source.count("subgraph") == 8  # MLP, 2 layers, 5 neurons
    with name_scope("C_T"):
        C_T = sum(losses.squared_error(net(x), t) for x, t in zip(X.tolist(), T.tolist()))
    C_T.backward()
    with pytest.raises(GraphTooLarge, match="level"):
        draw_graph(C_T)  # all 64 images, one node per op: too many to read
    assert len(node_lines(draw_graph(C_T, level="neuron"))) == 11
    assert len(node_lines(draw_graph(C_T, level="layer"))) == 5
