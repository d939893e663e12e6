"""§1-5, §1-6: the demon network with hand-set weights classifies the 64 images.

Run:  python demos/ch1_demons.py OUT_DIR
Hidden demon A likes pixels 4 and 7, B likes 5 and 8, C likes 6 and 9; output "0" likes A and
C, output "1" likes B.  Writes demons.png (the hand-set weights as 4x3 images).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import numpy as np  # noqa: E402

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_demons import demon_params, why_biases_matter  # noqa: E402
from tinygrad_edu.book.terminal import hidden_units_picture  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="pictures", help="folder for the pictures")
    parser.add_argument("--engine", choices=["scalar", "tensor"], default="scalar")
    parser.add_argument("--quick", action="store_true", help="(nothing to shorten here)")
    args = parser.parse_args(argv)

    params = demon_params()
    print(hidden_units_picture(params["W2"], params["b2"]))
    print("output weights (rows: output 0, output 1; columns: A, B, C):")
    print(params["W3"], " biases", params["b3"])

    # With the biases ("the bias of the heart") each demon needs both of its pixels to get
    # excited; without them an empty image already half-excites every demon, and the outputs
    # no longer tell a "0" from a "1".
    for name, report in why_biases_matter(args.engine).items():
        print(f"\n{name}: {report.correct}/64 correct, C_T = {report.C_T:.4f}, "
              f"judged '0': {np.sum(report.predicted == 0)}, '1': {np.sum(report.predicted == 1)}")
        print("  how excited A, B, C are by image No.1 (a '0') and No.33 (a '1'):",
              report.hidden[0].round(3), report.hidden[32].round(3))

    if not pictures.have_matplotlib():
        print("pictures skipped: matplotlib is not installed (pip install matplotlib)")
        return
    os.makedirs(args.out, exist_ok=True)
    print("wrote", pictures.plot_hidden_weights(params["W2"], os.path.join(args.out, "demons.png"),
                                                params["b2"]))


if __name__ == "__main__":
    main()
