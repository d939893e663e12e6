"""Watch the unit error δ arrive at each unit of the demon network (§4-3), through hooks.

δ of a unit is ∂C/∂z, the derivative of the cost with respect to its weighted input z.  The book
computes it backwards by hand: δ_out = (a - t) σ'(z) for an output unit, then
δ_i = (Σ_j δ_j w_ji) σ'(z_i) for a hidden one.  Backpropagation computes the same numbers in the
same order; a hook registered on each unit's z node (`z.register_hook(fn)`) is called with ∂C/∂z
the moment it is complete, so the printout shows the δ's arriving, output layer first.

The network is the book's 12-3-2 demon network (`tinygrad_edu.book.network.demon_network`, an
`nn.MLP` on the scalar engine) at the §4-4 start values, on one image (image No.1 by default, a
"0"; images are numbered 1 to 64 as in the book).  Its units carry the book's names: hidden A,
B, C; outputs "0" and "1"; unit A's weighted input is the node labelled z2[A].

    python demos/watch_delta.py [OUT_DIR] [--image 1] [--params 4-4-initial]

Writes nothing: the optional OUT_DIR is accepted for the common demo interface.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from collections.abc import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu import Value, topological_order
from tinygrad_edu.book.delta import nn_forward
from tinygrad_edu.book.network import demon_network
from tinygrad_edu.datasets import book_digits_4x3, book_nn_params
from tinygrad_edu.losses import squared_error

Z_LABEL = re.compile(r"z(\d+)\[(\w+)\]")  # z2[A]: the weighted input of unit A in layer 2


def watch_deltas(C: Value, on_delta: Callable[[str, float], None]) -> None:
    """Register a hook on every unit's weighted input z behind the cost `C`: `on_delta(where,
    δ)` is called with δ = ∂C/∂z as backward completes it, `where` = "layers.{k}/{unit}"."""
    for node in topological_order(C):
        m = Z_LABEL.fullmatch(node.label or "")
        if m:
            where = f"layers.{int(m.group(1)) - 2}/{m.group(2)}"
            node.register_hook(lambda delta, where=where: on_delta(where, delta))


def main(argv: list[str] | None = None) -> list[tuple[str, float]]:
    """Print each δ as it arrives; return the arrivals [(where, δ)] in order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=int, default=1, choices=range(1, 65), metavar="N",
                        help="which image, No. 1 to 64 as the book numbers them (default 1)")
    parser.add_argument("--params", default="4-4-initial", help="the book's parameter set")
    parser.add_argument("out", nargs="?", default=None, help="(ignored: this demo writes nothing)")
    parser.add_argument("--quick", action="store_true", help="(nothing to shorten here)")
    args = parser.parse_args(argv)
    X, T = book_digits_4x3(one_hot=True)
    params = book_nn_params(args.params)
    x, t = X[args.image - 1].ravel().tolist(), T[args.image - 1].tolist()

    arrivals: list[tuple[str, float]] = []

    def arrive(where: str, delta: float) -> None:
        arrivals.append((where, delta))
        print(f"  delta arrives at {where:<12} dC/dz = {delta:+.10f}")

    a = demon_network("scalar", args.params)(x)
    C = squared_error(a, t)  # the cost of one image, C = ½ Σ_k (t_k − a_k)² (§1-7)
    watch_deltas(C, arrive)
    print(f"image No.{args.image} (target {t}), output a = {[round(ak.data, 6) for ak in a]}, "
          f"C = {C.data:.10f}")
    print("backward: the δ's arrive from the output layer back to the hidden layer")
    C.backward()

    # the book's formulas, in numpy, for comparison (§4-3)
    fwd = nn_forward(params, np.array([x]))
    a2, a3 = fwd.a2[0], fwd.a3[0]
    d3 = (a3 - np.array(t)) * a3 * (1 - a3)
    d2 = (params["W3"].T @ d3) * a2 * (1 - a2)
    print("the book's δ by hand: output", np.round(d3, 10).tolist(), "hidden",
          np.round(d2, 10).tolist())
    return arrivals


if __name__ == "__main__":
    main()
