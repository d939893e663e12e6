"""§1-2 Example 1: the McCulloch-Pitts neuron with w = (5, 3) and θ = 4, and the activations.

Run:  python demos/ch1_example1_neuron.py OUT_DIR
Prints Example 1 as the book does (the sums w·x = 0, 3, 5, 8 compared with θ = 4, then y), and
writes firing.png (y against the sum, θ on the axis, u at the jump) and activations.png (each
activation and its derivative).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_neuron import example1_table, format_table, mcculloch_pitts  # noqa: E402


def main(argv=None):
    parser = pictures.demo_arguments(__doc__)
    args = parser.parse_args(argv)

    # The neuron fires when the sum of its weighted inputs reaches the threshold θ (§1-2).
    # As a unit of §1-3: bias b = -θ, activation the unit step u (u(0) = 1).
    neuron = mcculloch_pitts(w=(5.0, 3.0), theta=4.0)
    print("weights w =", [w.data for w in neuron.w], " threshold θ = 4 (bias b = -θ =",
          f"{neuron.b.data:g})")
    print(format_table(example1_table()))  # fires for the inputs (1, 0) and (1, 1)
    # Some texts fire only when the sum exceeds θ; with θ = 5 the input (1, 0) shows it
    print("\nθ = 5, the book's rule (fires when the sum reaches θ) and the other (exceeds θ):")
    for rule in ("reaches", "exceeds"):
        print(f"  {rule:>7} θ:", [r.y for r in example1_table(theta=5.0, rule=rule)])

    # §1-3 lifts the step's 0/1 restriction: the sigmoid's output is a degree of excitement.
    # (The step's derivative is 0 for z ≠ 0 and undefined at 0, where the code takes 0.)
    if pictures.picture_folder(args.out) is None:
        return
    print("wrote", pictures.plot_firing(os.path.join(args.out, "firing.png")))
    print("wrote", pictures.plot_activations(os.path.join(args.out, "activations.png")))


if __name__ == "__main__":
    main()
