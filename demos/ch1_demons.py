"""§1-5, §1-6: the demon network with hand-set weights classifies the 64 images.

Run:  python demos/ch1_demons.py OUT_DIR
Hidden demon A likes pixels 4 and 7, B likes 5 and 8, C likes 6 and 9; output "0" likes A and
C, output "1" likes B.  Prints the hand-set weights, how the demons judge the 64 images, and
what the biases (the "bias of the heart") do with noise.  Writes training_images.png (the 64
images, numbered as in the book), patterns.png (what A, B, C like), demons.png (the hand-set
weights as 4x3 images) and bias_of_the_heart.png (the demons on noisy blank images).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import numpy as np  # noqa: E402

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_demons import (LIKES, demon_params, noise_study,  # noqa: E402
                                          output_units_text, pattern_images, why_biases_matter)
from tinygrad_edu.book.terminal import hidden_units_picture  # noqa: E402
from tinygrad_edu.datasets import book_digits_4x3  # noqa: E402

LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def main(argv=None):
    parser = pictures.demo_arguments(__doc__)
    parser.add_argument("--engine", choices=["scalar", "tensor"], default="scalar")
    args = parser.parse_args(argv)

    params = demon_params()
    print(hidden_units_picture(params["W2"], params["b2"]))
    print(output_units_text(params["W3"], params["b3"]))

    # With the biases ("the bias of the heart") each demon needs both of its pixels to get
    # excited; without them an empty image already half-excites every demon, and the outputs
    # no longer tell a "0" from a "1".
    for name, report in why_biases_matter(args.engine).items():
        print(f"\n{name}: {report.correct}/64 correct, C_T = {report.C_T:.4f}, "
              f"judged '0': {np.sum(report.predicted == 0)}, '1': {np.sum(report.predicted == 1)}")
        print("  how excited A, B, C are by image No.1 (a '0') and No.33 (a '1'):",
              report.hidden[0].round(3), report.hidden[32].round(3))

    # Small noise: every white pixel a faint grey.  The biases make the demons ignore it.
    print("\nnoise: every white pixel a random grey up to the level; mean activity of A, B, C "
          "on noisy blank images, and how many of the 64 images (noisy) are judged right")
    print("level | with biases       | without biases    | right with, without")
    studies = [noise_study(level) for level in LEVELS]
    for r in studies:
        with_, without = (" ".join(f"{a:.3f}" for a in r.blank[k])
                          for k in ("with biases", "without biases"))
        print(f"  {r.level:.1f} | {with_} | {without} | {r.correct['with biases']}, "
              f"{r.correct['without biases']}")

    if pictures.picture_folder(args.out) is None:
        return
    X, y = book_digits_4x3()
    out = args.out
    written = [
        pictures.plot_images(X, os.path.join(out, "training_images.png"),
                             [f"No.{n} ({d})" for n, d in enumerate(y, start=1)],
                             "The 64 training images (Appendix A): No.1-32 are 0, No.33-64 are 1"),
        pictures.plot_images(pattern_images(), os.path.join(out, "patterns.png"),
                             [f"{name} likes {p} and {q}" for name, (p, q) in LIKES.items()],
                             "The patterns the hidden demons like (§1-5)", columns=3,
                             numbers=True),
        pictures.plot_hidden_weights(params["W2"], os.path.join(out, "demons.png"),
                                     params["b2"], caption="hand-set demon"),
        pictures.plot_bias_of_the_heart(LEVELS, [r.blank["with biases"] for r in studies],
                                        [r.blank["without biases"] for r in studies],
                                        os.path.join(out, "bias_of_the_heart.png")),
    ]
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main()
