"""The book's unit (§1-3), a = σ(w·x + b), drawn as the graph backpropagation walks (§4-1).

    python demos/graph_of_a_neuron.py drawings/          # SVG
    python demos/graph_of_a_neuron.py drawings/ --format png pdf

Writes two drawings: the forward pass (values only) and, after `backward()`, the same graph with
each value's gradient da/d(value) and each arrow's local derivative.  The DOT text (.gv) is always
written, so the drawings can be made later when Graphviz is not installed.
"""

from __future__ import annotations

import argparse
import os
import sys

from tinygrad_edu import Value, name_scope
from tinygrad_edu.viz import GraphvizNotFound, draw_graph, render


def the_unit() -> Value:
    """a = σ(w1·x1 + w2·x2 + b) with small numbers, as in the book's figures."""
    x1, x2 = Value(1.0, label="x1"), Value(0.5, label="x2")
    w1, w2, b = Value(0.8, label="w1"), Value(-0.4, label="w2"), Value(-0.3, label="b")
    with name_scope("unit", "neuron"):
        z = w1 * x1 + w2 * x2 + b
        z.label = "z"
        a = z.sigmoid()
        a.label = "a"
    return a


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="neuron-graphs",
                        help="folder to write the drawings into")
    parser.add_argument("--quick", action="store_true", help="(accepted for the demo tests)")
    parser.add_argument("--format", nargs="+", default=["svg"], choices=["svg", "png", "pdf"],
                        help="file formats (default: svg)")
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB"])
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    a = the_unit()
    drawings = {"neuron_forward": draw_graph(a, rankdir=args.rankdir,
                                             title="forward: z = w1·x1 + w2·x2 + b, a = σ(z)")}
    a.backward()
    drawings["neuron_backward"] = draw_graph(
        a, rankdir=args.rankdir, title="backward: grad = da/d(value) (§4-1, the chain rule)")
    written = []
    try:
        for name, g in drawings.items():
            written.append(render(g, os.path.join(args.out, name + ".gv")))
            for fmt in args.format:
                written.append(render(g, os.path.join(args.out, f"{name}.{fmt}")))
    except GraphvizNotFound as e:
        print("\n".join(written), file=sys.stdout)
        print(e, file=sys.stderr)
        return 1
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
