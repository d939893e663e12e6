"""The backward player (`tinygrad_edu.viz.play_backward`): its steps are the engine's
real backward order, its captions hold the chain rule with the engine's numbers (and the book's
δ method's), its last step is `draw_graph` after `backward()`, and its page works in a browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, losses, name_scope
from tinygrad_edu.book.ch5_cnn import BookCNN
from tinygrad_edu.book.delta import nn_forward, sigmoid_prime
from tinygrad_edu.book.network import demon_network
from tinygrad_edu.cli import main
from tinygrad_edu.datasets import book_digits_4x3, book_digits_6x6, book_nn_params
from tinygrad_edu.viz import draw_graph, play_backward
from tinygrad_edu.viz import dot as viz_dot

sys.path.insert(0, os.path.dirname(__file__))
from _browser import chromium, dump_dom, screenshot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz (dot) is not installed")
NUMBER = r"\(?(-?[\d.]+(?:e[-+]?\d+)?)\)?"


def demon_cost(engine: str = "scalar", image: int = 0):
    """C of one image of the 12-3-2 network at the book's §4-4 start values."""
    X, T = book_digits_4x3(one_hot=True)
    net = demon_network(engine, "book-4-4")
    a = net(X[image].tolist()) if engine == "scalar" else net(X[image:image + 1])
    with name_scope("C", "block"):  # as `demon --play` does: the cost in one box
        return losses.squared_error(a, T[image].tolist() if engine == "scalar"
                                    else T[image:image + 1])


def cnn_cost(image: int = 40):
    X, T = book_digits_6x6(one_hot=True)
    return BookCNN.from_init("book-5-4").cost(X[image:image + 1], T[image:image + 1])


def graph_nodes(root):
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
            if v.grad_fn is not None:
                stack.extend(p for p in v.grad_fn.inputs if p is not None)
    return out


def real_backward(root):
    """backward() with a hook on every node: (nodes in the order their gradient completed)."""
    order = []
    for v in graph_nodes(root):
        v.register_hook(lambda g, v=v: order.append(v))
    root.backward()
    return order


def close(text: str, x: float) -> bool:
    """Is the 4-significant-digit number `text` the rounding of x?"""
    return abs(float(text) - x) <= 6e-4 * abs(x) + 1e-12


# ----------------------------------------------------------------------------------------------
# the steps are the engine's: order, gradients, the final drawing
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: demon_cost("scalar"), lambda: demon_cost("tensor"),
                                  cnn_cost], ids=["scalar", "tensor", "cnn"])
def test_steps_follow_the_engines_order_and_end_with_backwards_gradients(make):
    C = make()
    nodes = graph_nodes(C)
    before = [v.grad for v in nodes]
    players = {level: play_backward(C, level) for level in ("op", "neuron", "layer")}
    # the player borrowed .grad and its hooks only: both are as they were
    assert all(v.grad is g for v, g in zip(nodes, before))
    assert all(not v.hooks for v in nodes)
    order = real_backward(C)
    op = players["op"]
    at = {id(v): i for i, v in enumerate(op.nodes)}  # by identity: Tensor == is elementwise
    assert [id(op.nodes[m]) for s in op.steps[1:] for m in s.members] == [id(v) for v in order]
    assert [s.node for s in op.steps[1:]] == [f"v{at[id(v)]}" for v in order]
    assert op.nodes[op.steps[1].members[0]] is C  # backpropagation starts at the cost
    for i, v in enumerate(op.nodes):  # the same numbers backward() stored, bit for bit
        assert np.array_equal(np.asarray(op.grads[i]), np.asarray(v.grad))
    for level, p in players.items():
        # a drawn node's step comes when the gradient first reaches it, with all its members
        first = {}
        for k, v in enumerate(order):
            first.setdefault(p.drawn[at[id(v)]], k)
        assert [s.node for s in p.steps[1:]] == sorted(first, key=first.get)
        assert sorted(m for s in p.steps for m in s.members) == sorted(at[id(v)] for v in order)
        assert p.graph.source == draw_graph(C, level=level).source
        assert "Every gradient is complete" in p.steps[-1].caption


def test_demon_step_counts_at_each_level():
    C = demon_cost()
    counts = {level: len(play_backward(C, level).steps) - 1 for level in ("op", "neuron", "layer")}
    n_nodes = len(graph_nodes(C))  # every value of the graph receives its gradient once
    assert counts["op"] == n_nodes
    assert counts["neuron"] == len(re.findall(r"^\s*g\d+ \[", draw_graph(C, level="neuron")
                                              .source, re.M))
    assert counts["op"] > counts["neuron"] > counts["layer"] >= 3


def test_captions_state_the_chain_rule_with_the_book_delta_numbers():
    X, T = book_digits_4x3(one_hot=True)
    params = book_nn_params("4-4-initial")
    z2, a2, z3, a3 = (arr[0] for arr in nn_forward(params, X[:1]))
    delta3 = (a3 - T[0]) * sigmoid_prime(z3)  # the book's δ method (§4-3), by hand
    delta2 = (delta3 @ params["W3"]) * sigmoid_prime(z2)
    p = play_backward(demon_cost())
    captions = {p.nodes[s.members[0]].label: s.caption for s in p.steps[1:]}
    for i, unit in enumerate("ABC"):
        text = captions[f"z2[{unit}]"]
        m = re.fullmatch(rf"δ2\[{unit}\] = ∂C/∂z2\[{unit}\] = ∂C/∂a2\[{unit}\] · "
                         rf"σ'\(z2\[{unit}\]\) = {NUMBER} · {NUMBER} = {NUMBER}", text)
        assert m, text
        da, sp, delta = m.groups()
        assert close(da, delta3 @ params["W3"][:, i]) and close(sp, sigmoid_prime(z2[i]))
        assert close(delta, delta2[i])
        # the hidden unit's ∂C/∂a: Σ over the output units of δ3_k w3[k, unit]
        text = captions[f"a2[{unit}]"]
        assert re.search(rf"δ3\[\d\] · w3\[\d,{unit}\] \+ δ3\[\d\] · w3\[\d,{unit}\]", text), text
        assert close(text.rsplit("= ", 1)[1], delta3 @ params["W3"][:, i])
    for k in range(2):
        assert close(captions[f"z3[{k}]"].rsplit("= ", 1)[1], delta3[k])
        assert captions[f"z3[{k}]"].startswith(f"δ3[{k}] = ∂C/∂z3[{k}] = ∂C/∂a3[{k}] · ")
    # a weight: ∂C/∂w = δ · a(previous layer) (§4-3), a pixel x_j for layer 2
    assert re.fullmatch(rf"∂C/∂w3\[0,B\] = δ3\[0\] · a2\[B\] = {NUMBER} · {NUMBER} = {NUMBER}",
                        captions["w3[0,B]"])
    m = re.fullmatch(rf"∂C/∂w2\[A,4\] = δ2\[A\] · x4 = {NUMBER} · {NUMBER} = {NUMBER}",
                     captions["w2[A,4]"])
    assert m and close(m.group(2), X[0, 3]) and close(m.group(3), delta2[0] * X[0, 3])
    assert p.steps[1].caption.startswith("∂C/∂C = 1")
    assert p.steps[0].caption.startswith("Step 0, the forward pass")


def test_tensor_captions_give_shapes_and_norms():
    p = play_backward(cnn_cost(), "layer")
    text = "\n".join(s.caption for s in p.steps)
    for name in ("zF", "zO"):
        g = next(g for v, g in zip(p.nodes, p.grads) if v.label == name)
        d = "δ" + name[1:]
        m = re.search(rf"{d}: shape \((\d+), (\d+)[^)]*\), .*‖{d}‖ = {NUMBER}", text)
        assert m, text
        assert tuple(int(n) for n in m.groups()[:2]) == g.shape[:2]
        assert close(m.group(3), float(np.linalg.norm(g)))
    assert "δF = ∂C/∂zF = ∂C/∂aF · σ'(zF)" in text
    assert "convolution (layer) has its gradient:" in text


def test_player_refuses_what_it_cannot_play():
    with pytest.raises(ValueError, match="one number"):
        play_backward(Tensor(np.ones(3), requires_grad=True) * 2.0)
    with pytest.raises(ValueError, match="no recorded graph"):
        play_backward(Value(1.0))
    with pytest.raises(ValueError, match="level"):
        play_backward(demon_cost(), level="neurons")


# ----------------------------------------------------------------------------------------------
# the page
# ----------------------------------------------------------------------------------------------


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="player-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


@needs_dot
def test_page_is_self_contained_and_saved_atomically(tmp_path):
    p = play_backward(demon_cost(), "neuron")
    path = tmp_path / "backprop.html"
    path.write_text("an older page")
    assert p.save(str(path)) == str(path)
    assert sorted(os.listdir(tmp_path)) == ["backprop.html"]  # no temporary file left behind
    page = path.read_text(encoding="utf-8")
    assert page == p.html()
    for element in ('id="prev"', 'id="next"', 'id="play"', 'id="caption"', 'id="counter"',
                    "<svg", "ArrowRight", "step="):
        assert element in page
    # nothing is fetched: no external script, style, image or font; the only URLs are the SVG
    # namespace names
    assert not re.search(r"<(link|img|iframe)|src=|@import|url\(", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    data = page_data(page)
    assert [s["caption"] for s in data["steps"]] == [s.caption for s in p.steps]
    frame = p._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == page


def test_without_graphviz_the_page_and_the_drawings_say_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    C = demon_cost()
    p = play_backward(C, "layer")
    assert p.svg is None and "apt-get install graphviz" in p.html()
    assert len(page_data(p.html())["steps"]) == len(p.steps)
    bundle = draw_graph(C)._repr_mimebundle_()
    assert "needs the Graphviz program" in bundle["text/html"]
    assert html.escape("digraph computation_graph") in bundle["text/html"]
    assert bundle["text/plain"] == draw_graph(C).source
    with pytest.raises(viz_dot.GraphvizNotFound, match="apt-get"):
        viz_dot.render(draw_graph(C), tmp_path / "g.svg")


def test_command_line_writes_the_players(tmp_path, capsys):
    runs = {"demon": ["demon", "--play", str(tmp_path / "d"), "--steps", "0", "--quiet"],
            "demon-op": ["demon", "--play", str(tmp_path / "o"), "--level", "op", "--steps",
                         "0", "--quiet", "--init", "book-4-4"],
            "cnn": ["cnn", "--play", str(tmp_path / "c"), "--steps", "0", "--quiet"]}
    pages = {}
    for name, argv in runs.items():
        assert main(argv) == 0
        folder = argv[2]
        assert os.listdir(folder) == ["backprop.html"]
        pages[name] = page_data(open(os.path.join(folder, "backprop.html"),
                                     encoding="utf-8").read())
    out = capsys.readouterr().out
    assert out.count("backprop.html") == 3 and "neuron level" in out and "layer level" in out
    assert len(pages["demon"]["steps"]) == len(play_backward(demon_cost(), "neuron")) == 12
    assert len(pages["demon-op"]["steps"]) == len(play_backward(demon_cost(), "op"))
    assert [s["caption"] for s in pages["demon-op"]["steps"]] == [
        s.caption for s in play_backward(demon_cost(), "op").steps]
    X6, T6 = book_digits_6x6(one_hot=True)
    C = BookCNN.from_init("book-5-6").cost(X6[40:41], T6[40:41])  # the command's defaults
    assert [s["caption"] for s in pages["cnn"]["steps"]] == [
        s.caption for s in play_backward(C, "layer").steps]


# ----------------------------------------------------------------------------------------------
# in a real browser
# ----------------------------------------------------------------------------------------------

needs_browser = pytest.mark.skipif(chromium() is None or not HAVE_DOT,
                                   reason="needs Chromium and Graphviz")


#: a script that clicks as a user would: next, next, next, prev, then → → ← (step 3 at the end)
CLICKS = ("<script>var b = function (id) { document.getElementById(id).click(); };"
          "b('next'); b('next'); b('next'); b('prev');"
          "var key = function (k) { document.dispatchEvent(new KeyboardEvent('keydown', "
          "{key: k})); }; key('ArrowRight'); key('ArrowRight'); key('ArrowLeft');"
          "</script>")


def caption_in(dom: str) -> str:
    m = re.search(r'<div id="caption">(.*?)</div>', dom, re.S)
    assert m, dom[:2000]
    return html.unescape(m.group(1))


def counter_in(dom: str) -> str:
    return html.unescape(re.search(r'<span id="counter">(.*?)</span>', dom).group(1))


@pytest.mark.browser
@needs_browser
@pytest.mark.slow
def test_the_page_in_a_browser_opens_each_step_with_the_engines_numbers(tmp_path):
    C = demon_cost()
    p = play_backward(C, "op")
    page = p.save(str(tmp_path / "backprop.html"))
    C.backward()  # the engine's own gradients, stored now, to check the page against
    last = len(p.steps) - 1
    z2A = next(k for k, s in enumerate(p.steps)
               if s.members and p.nodes[s.members[0]].label == "z2[A]")
    for k in (0, 1, z2A, last // 2, last):
        dom = dump_dom(page, tmp_path, f"step={k}")
        text = caption_in(dom)
        assert text == p.steps[k].caption
        assert counter_in(dom) == f"step {k} / {last}"
        if k == 0:
            assert "no gradient yet" in text
            continue
        node = p.nodes[p.steps[k].members[0]]
        if k == 1:
            assert node is C and text.startswith("∂C/∂C = 1: backpropagation starts")
        else:
            assert close(text.splitlines()[0].rsplit("= ", 1)[1], node.grad)
        # the highlighted box is the node's; its gradient line is shown, later ones are not
        assert re.search(rf'<g id="\w+" class="node current">\s*<title>{p.steps[k].node}</title>',
                         dom)
        assert f"grad {node.grad:.4g}" in dom
        if k == z2A:
            assert text.startswith("δ2[A] = ∂C/∂z2[A] = ∂C/∂a2[A] · σ'(z2[A]) = ")
        # before the last step some gradients are still to come; at the last, none is
        assert (">grad ?</text>" in dom) == (k < last)


@pytest.mark.browser
@needs_browser
@pytest.mark.slow
def test_the_buttons_and_arrow_keys_move_the_steps(tmp_path):
    p = play_backward(demon_cost(), "neuron")
    page = tmp_path / "clicked.html"
    page.write_text(p.html().replace("</body>", CLICKS + "</body>"), encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert counter_in(dom) == f"step 3 / {len(p.steps) - 1}"
    assert caption_in(dom) == p.steps[3].caption


@pytest.mark.browser
@needs_browser
@pytest.mark.slow
def test_screenshots_show_the_graph_and_the_highlighted_step(tmp_path):
    p = play_backward(cnn_cost(), "layer")
    page = p.save(str(tmp_path / "backprop.html"))
    orange = {}
    for k in (0, len(p.steps) // 2):
        img = screenshot(page, tmp_path, (1200, 800), f"step={k}")
        dark = (img.sum(axis=2) < 200).mean()  # text and lines
        blue = ((img[..., 2] - img[..., 0]) > 40).mean()  # boxes filled by |grad|
        orange[k] = ((img[..., 0] > 200) & (abs(img[..., 1] - 127) < 40)
                     & (img[..., 2] < 80)).mean()
        assert dark > 0.003, (k, dark)
        assert k == 0 or blue > 0.002, (k, blue)
    assert orange[0] == 0.0 and orange[len(p.steps) // 2] > 0.0005, orange


# ----------------------------------------------------------------------------------------------
# the page is data, never code: hostile labels, any #step=, any folder
# ----------------------------------------------------------------------------------------------

#: labels that would run, or break the page, if pasted into it as they are
HOSTILE = {
    "img": "<img src=x onerror=\"document.title='pwned'; window.pwned = 1\">",
    "script": "<script>document.title='pwned'; window.pwned = 1</script>",
    "close": "</script><script>document.title='pwned'; window.pwned = 1</script>",
    "comment": "<!--<script>",
    "slots": "__DATA__ __GRAPH__ __TITLE__ __LAST__ & \u2028",
}


def hostile_cost(surrogate: bool = False):
    """C = (a·b + c)·d with a label from HOSTILE on every value (and the root), a·b + c in a
    module whose name is hostile too."""
    a = Value(2.0, label=HOSTILE["img"])
    b = Value(3.0, label=HOSTILE["comment"] + ("\ud800" if surrogate else ""))
    c = Value(1.0, label=HOSTILE["slots"])
    d = Value(0.5, label=HOSTILE["script"])
    with name_scope(HOSTILE["img"] + HOSTILE["close"], "neuron"):
        z = a * b + c
    C = z * d
    C.label = HOSTILE["close"]
    return C


def test_script_json_keeps_its_strings_inside_the_script():
    from tinygrad_edu.viz.player import script_json

    data = {"caption": "</script><!--<script> a < b > c & d \u2028 \u2029 \\ é", "k": [1, 2.5]}
    text = script_json(data)
    for ch in "<>&\u2028\u2029":
        assert ch not in text
    assert "\\u003c/script\\u003e\\u003c!--\\u003cscript\\u003e" in text
    assert json.loads(text) == data  # the same characters to a JSON reader
    assert "é" in text  # nothing else is escaped


def test_each_slot_is_filled_once():
    from tinygrad_edu.viz.player import fill_page

    slots = {"TITLE": "__DATA__", "LAST": "7", "GRAPH": "__TITLE__ __GRAPH__", "DATA": "{}"}
    page = fill_page("<t>__TITLE__</t><h>__TITLE__</h>__LAST__|__GRAPH__|__DATA__", slots)
    assert page == "<t>__DATA__</t><h>__DATA__</h>7|__TITLE__ __GRAPH__|{}"
    assert fill_page("__OTHER__ __data__", slots) == "__OTHER__ __data__"


def test_the_page_is_a_package_data_file_with_four_slots():
    from importlib import resources

    from tinygrad_edu.viz import player

    page = resources.files("tinygrad_edu.viz").joinpath("player_page.html").read_text("utf-8")
    assert sorted(set(re.findall(r"__[A-Z]+__", page))) == [
        "__DATA__", "__GRAPH__", "__LAST__", "__TITLE__"]
    assert "<html" not in open(player.__file__, encoding="utf-8").read()  # no page in Python
    assert '"tinygrad_edu.viz" = ["*.html"]' in open(os.path.join(ROOT, "pyproject.toml")).read()
    assert "recursive-include tinygrad_edu/viz *.html" in open(
        os.path.join(ROOT, "MANIFEST.in")).read()


@pytest.mark.parametrize("level", ["op", "neuron"])
def test_hostile_labels_are_escaped_for_their_place(level):
    p = play_backward(hostile_cost(), level)
    page = p.html()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert html.unescape(title) == f"Backpropagation through {HOSTILE['close']}, step by step"
    # no tag from a label: the page's own tags only, and each slot's text once
    assert "<img" not in page and "<!--<script>" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = page_data(page)
    assert [s["caption"] for s in data["steps"]] == [s.caption for s in p.steps]
    assert any(HOSTILE["slots"] in s.caption for s in p.steps)
    script = re.search(r'id="player-data">(.*?)</script>', page, re.S).group(1)
    assert not set("<>&\u2028") & set(script)


def test_save_writes_utf8_with_replacements_into_a_new_folder(tmp_path):
    p = play_backward(hostile_cost(surrogate=True), "layer")
    path = tmp_path / "new" / "deeper" / "backprop.html"
    assert p.save(path) == str(path)  # a lone surrogate does not raise; the folders are made
    assert os.listdir(path.parent) == ["backprop.html"]  # no temporary file left
    page = path.read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert page == p.html() and "\ud800" not in page
    assert HOSTILE["comment"] + "\ufffd" in "".join(s["caption"] for s in page_data(page)["steps"])


# ----------------------------------------------------------------------------------------------
# the player speaks the book: the drawings' names for the 12-3-2 network
# ----------------------------------------------------------------------------------------------


def book_named_player(level: str):
    from tinygrad_edu.book.demon_graph import COST_OF_IMAGE, box_names

    X, T = book_digits_4x3(one_hot=True)
    net = demon_network("scalar", "book-4-4")
    C = losses.squared_error(net(X[0].tolist()), T[0].tolist())
    return play_backward(C, level, box_names={**box_names(net), "squared_error": COST_OF_IMAGE})


def test_boxes_and_captions_use_the_drawings_names():
    neuron, layer = book_named_player("neuron"), book_named_player("layer")
    headers = [s.caption.splitlines()[0] for s in neuron.steps[1:]]
    assert [h for h in headers if "leaves" not in h] == [
        "cost C of the image has its gradient:",
        "unit 1 of the output layer (layer 3) has its gradient:",
        "unit 0 of the output layer (layer 3) has its gradient:",
        "unit C of the hidden layer (layer 2) has its gradient:",
        "unit B of the hidden layer (layer 2) has its gradient:",
        "unit A of the hidden layer (layer 2) has its gradient:"]
    assert [s.caption.splitlines()[0] for s in layer.steps[1:] if "leaves" not in s.caption] == [
        "cost C of the image has its gradient:", "output layer (layer 3) has its gradient:",
        "hidden layer (layer 2) has its gradient:"]
    for p in (neuron, layer, book_named_player("op")):
        assert "hidden layer (layer 2)" in p.graph.source
        assert "cost C of the image" in p.graph.source
        assert "layers.0" not in p.graph.source and "squared_error" not in p.graph.source
    # without box_names: the module names, as draw_graph titles them
    plain = play_backward(demon_cost(), "neuron")
    assert "layers.0.neurons.0 (neuron) has its gradient:" in [
        s.caption.splitlines()[0] for s in plain.steps]


def test_demon_play_speaks_the_book(tmp_path):
    assert main(["demon", "--play", str(tmp_path), "--steps", "0", "--quiet"]) == 0
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    captions = [s["caption"] for s in page_data(page)["steps"]]
    assert "unit A of the hidden layer (layer 2) has its gradient:" in "\n".join(captions)
    assert ">cost C of the image</text>" in page and ">hidden layer (layer 2)</text>" in page
    assert "(neuron)" not in page and "squared_error" not in page


# ----------------------------------------------------------------------------------------------
# hostile labels, #step=, scrolling and zoom, in a real browser
# ----------------------------------------------------------------------------------------------

#: a script put at the end of a page: after its events ran, it writes whether a label's code ran
PROBE = ("<script>setTimeout(function () { document.body.setAttribute('data-pwned', "
         "String(window.pwned === 1)); }, 300);</script>")


@pytest.mark.browser
@needs_browser
def test_hostile_labels_run_nothing_and_the_page_still_steps(tmp_path):
    p = play_backward(hostile_cost(), "op")
    last = len(p.steps) - 1
    page = p.save(tmp_path / "hostile.html")
    clicked = tmp_path / "clicked.html"
    clicked.write_text(p.html().replace("</body>", CLICKS + PROBE + "</body>"),
                       encoding="utf-8")
    # the control: the same label pasted raw into the page runs (so the probe can see it)
    raw = tmp_path / "raw.html"
    raw.write_text(p.html().replace("</body>", HOSTILE["img"] + PROBE + "</body>"),
                   encoding="utf-8")
    dom = dump_dom(raw, tmp_path, wait_ms=1500)
    assert 'data-pwned="true"' in dom and "<title>pwned</title>" in dom
    for path, fragment, k in ((page, "step=2", 2), (clicked, "", 3)):
        dom = dump_dom(path, tmp_path, fragment, wait_ms=1500)
        title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
        assert html.unescape(title) == f"Backpropagation through {HOSTILE['close']}, step by step"
        assert "<img" not in dom and "pwned</title>" not in dom
        # the player's script runs ("<!--<script>" did not swallow it): it shows step k
        assert counter_in(dom) == f"step {k} / {last}"
        assert caption_in(dom) == p.steps[k].caption
        if path == clicked:
            assert 'data-pwned="false"' in dom


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("fragment, where", [
    ("step=1e21", "last"), ("step=99999999999999999999", "last"), ("step=-5", 0),
    ("step=abc", 0), ("step=", 0), ("step=2.9", 2), ("step=Infinity", "last")])
def test_any_step_in_the_address_opens_a_step_in_range(tmp_path, fragment, where):
    p = play_backward(hostile_cost(), "op")
    last = len(p.steps) - 1
    k = last if where == "last" else where
    dom = dump_dom(p.save(tmp_path / "backprop.html"), tmp_path, fragment)
    assert counter_in(dom) == f"step {k} / {last}"
    assert caption_in(dom) == p.steps[k].caption


#: walks every step forward, then back, and writes where the lit node was not in view; then the
#: zoom: the scale, the smallest text in px, after - ten times, + once, and fit
WALK = """<script>
(function () {
  var graph = document.getElementById("graph"), svg = graph.querySelector("svg"), out = [];
  var click = function (id) { document.getElementById(id).click(); };
  function scale() { return svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; }
  function smallest() {
    return Math.min.apply(null, Array.prototype.map.call(svg.querySelectorAll("text"),
      function (t) { return parseFloat(t.getAttribute("font-size")) * scale(); }));
  }
  function check(where) {
    var g = graph.querySelector("g.current");
    if (!g) { out.push(where + ": nothing lit"); return; }
    var r = g.getBoundingClientRect(), v = graph.getBoundingClientRect();
    if (r.left < v.left - 1 || r.right > v.right + 1 || r.top < v.top - 1 ||
        r.bottom > v.bottom + 1 || r.bottom > window.innerHeight + 1) {
      out.push(where + ": " + [r.left, r.top, r.right, r.bottom].map(Math.round) + " outside " +
               [v.left, v.top, v.right, v.bottom].map(Math.round));
    }
  }
  var zoom0 = graph.getAttribute("data-zoom"), scale0 = scale(), small0 = smallest();
  var big = svg.getBoundingClientRect(), seen = [graph.clientWidth, graph.clientHeight];
  for (var k = 1; k <= LAST; k++) { click("next"); check("forward " + k); }
  for (k = LAST - 1; k >= 1; k--) { click("prev"); check("back " + k); }
  var zooms = [];
  for (k = 0; k < 10; k++) { click("zoomout"); }
  zooms.push(Number(graph.getAttribute("data-zoom")), smallest());
  click("zoomin");
  zooms.push(Number(graph.getAttribute("data-zoom")));
  click("zoomfit");
  zooms.push(Number(graph.getAttribute("data-zoom")));
  var pre = document.createElement("pre");
  pre.id = "walk";
  pre.textContent = JSON.stringify({misses: out, zoom: Number(zoom0), scale: scale0,
    smallest: small0, drawing: [big.width, big.height], view: seen, zooms: zooms});
  document.body.appendChild(pre);
}());
</script>"""


@pytest.mark.browser
@needs_browser
@pytest.mark.slow
def test_the_lit_node_is_in_view_both_ways_and_the_text_stays_readable(tmp_path):
    p = play_backward(demon_cost(), "op")
    last = len(p.steps) - 1
    page = tmp_path / "walk.html"
    page.write_text(p.html().replace("</body>", WALK.replace("LAST", str(last)) + "</body>"),
                    encoding="utf-8")
    dom = dump_dom(page, tmp_path, size=(1100, 800))
    walk = json.loads(html.unescape(re.search(r'<pre id="walk">(.*?)</pre>', dom, re.S)
                                    .group(1)))
    # the drawing is larger than its window both ways, so the walk had to scroll
    assert walk["drawing"][0] > walk["view"][0] and walk["drawing"][1] > walk["view"][1], walk
    assert walk["misses"] == [], walk["misses"][:5]
    # at the op level the page opens at the smallest scale, not smaller: 0.75 of Graphviz's size
    # (1 pt = 1 px), where the smallest text (9 pt, the arrows' numbers) is 9 px
    assert walk["zoom"] == 0.75 and walk["scale"] == pytest.approx(1.0, rel=1e-3)
    assert walk["smallest"] >= 9 - 1e-6
    assert walk["zooms"][0] == 0.75 and walk["zooms"][1] >= 9 - 1e-6  # "−" stops there
    assert walk["zooms"][2] == pytest.approx(0.75 * 1.25) and walk["zooms"][3] == 0.75
