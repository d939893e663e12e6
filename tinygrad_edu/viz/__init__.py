"""Drawings of computation graphs and of networks (Graphviz).

`draw_graph(root)` draws the graph behind a `Value` or a `Tensor` (values, ops, gradients, local
derivatives, constants and data, boxes per module); `draw_network(model, x)` draws a network the
way the book does (§1-4, §1-5); `book.demon_graph.render_demon` draws the demon network all
these ways (viz itself knows nothing of the book).  Both return a `graphviz.Digraph`: its
``.source`` is DOT text (no Graphviz program needed), Jupyter displays it, and
`render(g, "out.svg")` writes SVG, PNG or PDF through the Graphviz program ``dot``
(`GraphvizNotFound` says how to install it when it is missing).
`play_backward(cost)` plays backpropagation through that graph one node at a time, as an HTML
page (``player.save("backprop.html")``) or inline in Jupyter.
See docs/viz.md.
"""

from .dot import GraphTooLarge, GraphvizNotFound, escape_html, render
from .graph import draw_graph
from .network import draw_network
from .player import BackwardPlayer, play_backward

__all__ = ["draw_graph", "draw_network", "play_backward", "BackwardPlayer", "render",
           "GraphvizNotFound", "GraphTooLarge", "escape_html"]
