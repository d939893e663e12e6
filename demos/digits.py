"""Real handwritten digits: a small CNN on scikit-learn's 8x8 digits (needs scikit-learn).

    python demos/digits.py [DIR] [--epochs 15] [--quick]

Trains, prints the test accuracy and the confusion matrix, draws the misclassified test digits.
"""

from __future__ import annotations

import argparse
import os

from tinygrad_edu.datasets import load_digits
from tinygrad_edu.examples.digits import (confusion_matrix, draw_misclassified, format_confusion,
                                          train_digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="digits-pictures",
                        help="folder for misclassified.png")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="one epoch only")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 1

    try:
        data = load_digits()
    except ImportError as e:
        print(e)
        return 1
    _, result = train_digits(data, epochs=args.epochs)
    print(f"test accuracy {result.test_accuracy:.2%} after {args.epochs} epochs "
          f"({result.seconds:.1f} s)")
    print(format_confusion(confusion_matrix(data.y_test, result.predictions)))
    try:
        path = draw_misclassified(data, result.predictions,
                                  os.path.join(args.out, "misclassified.png"))
        print(f"wrote {path}" if path else "every test digit is right")
    except ImportError as e:
        print(f"no picture: {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
