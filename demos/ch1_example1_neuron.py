"""§1-2 Example 1: the McCulloch-Pitts neuron with w = (5, 3) and θ = 4, and the activations.

Run:  python demos/ch1_example1_neuron.py OUT_DIR
Prints Example 1's table and writes activations.png (each activation and its derivative).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_neuron import example1_table, format_table, mcculloch_pitts  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="pictures", help="folder for the pictures")
    parser.add_argument("--quick", action="store_true", help="(nothing to shorten here)")
    args = parser.parse_args(argv)

    # The neuron is a unit of §1-3 with the unit step as activation and bias b = -θ.
    neuron = mcculloch_pitts(w=(5.0, 3.0), theta=4.0)
    print("weights:", [w.data for w in neuron.w], " bias b = -θ =", neuron.b.data)
    print(format_table(example1_table()))  # fires for the inputs (1, 0) and (1, 1)

    # The step has no useful derivative (0 everywhere): that is why §1-3 moves to the sigmoid.
    if not pictures.have_matplotlib():
        print("pictures skipped: matplotlib is not installed (pip install matplotlib)")
        return
    os.makedirs(args.out, exist_ok=True)
    print("wrote", pictures.plot_activations(os.path.join(args.out, "activations.png")))


if __name__ == "__main__":
    main()
