"""§4-1..§4-4: error backpropagation and the book's worked example (η = 0.2).

Run:  python demos/ch4_backprop.py OUT_DIR
Compares the gradient of C_T at the §4-4 start values computed four ways (the δ method by hand,
the scalar engine, the tensor engine, finite differences), then runs the book's gradient descent
on both engines and prints C_T at every step.  Writes cost.png.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import numpy as np  # noqa: E402

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch4_backprop import backprop_descent, gradients_four_ways  # noqa: E402


def main(argv=None):
    parser = pictures.demo_arguments(__doc__, quick="fewer steps on the scalar engine")
    args = parser.parse_args(argv)

    # 1. The gradient, four ways.  The δ method: δ3 = (a3 - t) σ'(z3), δ2 = (W3ᵀ δ3) σ'(z2),
    #    ∂C/∂w = δ · (the previous layer's a).  Autograd does the same walk for any graph.
    grads = gradients_four_ways()
    print("∂C_T/∂w2[A,1..3] by each method:")
    for way, g in grads.items():
        print(f"  {way:>18}: {g['W2'][0, :3]}")
    worst = max(np.abs(g[k] - grads["delta"][k]).max() for g in grads.values() for k in g)
    print(f"largest difference from the δ method: {worst:.2e}")

    # 2. The book's descent: every parameter p <- p - 0.2 ∂C_T/∂p, C_T summed over 64 images.
    tensor = backprop_descent("tensor", lr=0.2, steps=50)
    scalar = backprop_descent("scalar", lr=0.2, steps=5 if args.quick else 50)
    print(" step   C_T (tensor engine)   C_T (scalar engine)")
    for s, C_T in enumerate(tensor):
        other = f"{scalar[s]:.15g}" if s < len(scalar) else ""
        print(f"{s:5d}   {C_T:<20.15g}  {other}")

    if pictures.picture_folder(args.out) is None:
        return
    print("wrote", pictures.plot_cost_curve(tensor, os.path.join(args.out, "cost.png"),
                                            "§4-4: $C_T$ by backpropagation, η = 0.2"))


if __name__ == "__main__":
    main()
