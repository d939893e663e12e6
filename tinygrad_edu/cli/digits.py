"""``python -m tinygrad_edu digits``: a small CNN on scikit-learn's real 8x8 handwritten digits.

Trains on a fixed stratified split (1,347 training, 450 test images), prints the test accuracy,
the training time and the confusion matrix, and draws the misclassified test digits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..datasets import load_digits
from ..examples.digits import confusion_matrix, draw_misclassified, format_confusion, train_digits
from .options import check_paths, count, positive_count, write_json, writing

HELP = "train a small CNN on scikit-learn's 1,797 real 8x8 handwritten digits"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=positive_count, default=15,
                        help="passes over the training set (default 15)")
    parser.add_argument("--seed", type=count, default=0, help="seed of the weights and batches")
    parser.add_argument("--json", metavar="FILE",
                        help='write {"test_accuracy": ..., "seconds": ...}')
    parser.add_argument("--out", metavar="DIR", help="write misclassified.png into DIR")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    say = print
    check_paths(args)  # before any work: an impossible path is refused in one line
    try:
        data = load_digits()
    except ImportError as e:
        print(f"digits: {e}", file=sys.stderr)
        return 1
    say(f"scikit-learn digits: {len(data.X_train)} training, {len(data.X_test)} test images (8x8)")
    net, result = train_digits(data, epochs=args.epochs, seed=args.seed, progress=not args.quiet)
    M = confusion_matrix(data.y_test, result.predictions)
    say(f"test accuracy {result.test_accuracy:.2%} ({int(M.trace())}/{len(data.y_test)}), "
        f"train accuracy {result.train_accuracy:.2%}, {result.seconds:.1f} s training")
    say("confusion matrix (rows: true digit, columns: predicted):")
    say(format_confusion(M))
    if args.json:
        write_json(args.json, {"test_accuracy": result.test_accuracy, "seconds": result.seconds,
                               "epochs": args.epochs, "seed": args.seed})
        say(f"wrote {args.json}")
    if args.out:
        try:
            picture = writing("--out", args.out, lambda: draw_misclassified(
                data, result.predictions, Path(args.out) / "misclassified.png"))
        except ImportError as e:
            print(f"digits: no picture: {e}", file=sys.stderr)
        else:
            say(f"wrote {picture}" if picture else "no misclassified test digits to draw")
    return 0
