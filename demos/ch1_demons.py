"""§1-5, §1-6: the demon network with hand-set weights classifies the 64 images.

Run:  python demos/ch1_demons.py OUT_DIR
Hidden demon A likes pixels 4 and 7, B likes 5 and 8, C likes 6 and 9; output "0" likes A and
C, output "1" likes B; every other link is weak (0.5), not cut.  Prints the hand-set weights,
how the demons judge the 64 images (and the two "1"s, No.63 and No.64, they judge wrong), what
leaks along the weak links and what the biases (the "bias of the heart") do with it, and with
a grey noise on top.  Writes training_images.png (the 64
images, numbered as in the book), patterns.png (what A, B, C like), demons.png (the hand-set
weights as 4x3 images) and bias_of_the_heart.png (the demons on noisy blank images).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import numpy as np  # noqa: E402

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_demons import (LIKES, MISJUDGED, demon_params,  # noqa: E402
                                          noise_study, output_units_text, pattern_images,
                                          why_biases_matter)
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
    reports = why_biases_matter(args.engine)
    for name, report in reports.items():
        print(f"\n{name}: {report.correct}/64 correct, C_T = {report.C_T:.4f}, "
              f"judged '0': {np.sum(report.predicted == 0)}, '1': {np.sum(report.predicted == 1)}")
        print("  how excited A, B, C are by image No.1 (a '0') and No.33 (a '1'):",
              report.hidden[0].round(3), report.hidden[32].round(3))
    print_misjudged(reports["with biases"])

    # §1-6: the weak links leak.  Reading a "0", B sees ten lit pixels through weak links.
    leak = noise_study(0.0, engine=args.engine)
    print("\nwhat leaks along the weak links (0.5 each) when the demons read image No.1, a '0':")
    for name in ("with biases", "without biases"):
        print(f"  {name:>14}: A, B, C = {leak.zero[name].round(3)}, "
              f"outputs '0', '1' = {leak.zero_output[name].round(3)}")
    print("  without its bias B fires on the leaks alone, and output '1' with it; "
          "the bias b = -10 keeps B calm")

    # Small noise on top: every white pixel a faint grey.  The biases make the demons ignore it.
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


def print_misjudged(report):
    """The two images the hand-set demons cannot judge, named, with the outputs they get."""
    wrong = [int(n) + 1 for n in np.flatnonzero(report.predicted != np.repeat([0, 1], 32))]
    X, _ = book_digits_4x3()
    named = " and ".join(f"No.{n}" for n in wrong)
    side = "the '1's drawn down a side column" if tuple(wrong) == MISJUDGED else "images"
    print(f"\njudged wrong: {named}, {side}:")
    for n in wrong:
        rows = " / ".join("".join("#" if p else "." for p in row) for row in X[n - 1].reshape(4, 3))
        print(f"  No.{n} ({rows}): A, B, C = {report.hidden[n - 1].round(3)}, outputs '0', '1' "
              f"= {report.output[n - 1].round(4)}")
    print("  one side stroke half-excites output '0' and no middle stroke leaves '1' calm. "
          "(With the weak links at 0 and output 1's bias at +5 they were exact ties, "
          "0.50006 to 0.49994, flipped by any noise.)")


if __name__ == "__main__":
    main()
