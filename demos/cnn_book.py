"""§5-6: gradient descent on the book's CNN from the book's start values, with pictures.

    python demos/cnn_book.py cnn-pictures [--steps 50] [--lr 0.2] [--quick]

Prints C_T every 10 steps and the classification of the 96 images and of the test image;
writes the filters, the feature and pooled maps of one image, and the test image into the
folder named (default: cnn-pictures).
"""

from __future__ import annotations

import argparse

from tinygrad_edu.book.ch5_cnn import BookCNN, gradient_descent
from tinygrad_edu.datasets import book_digits_6x6, book_test_image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="cnn-pictures", help="folder for the pictures")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true", help="10 steps only")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = 10

    X, T = book_digits_6x6(one_hot=True)
    net = BookCNN.from_init("book-5-6")  # the §5-4 start values, rounded as §5-6 prints them
    print(f"start: C_T = {net.cost(X, T).item():.6f}, {net.correct(X, T)}/96 correct")
    costs = gradient_descent(net, X, T, lr=args.lr, steps=args.steps)
    for s in range(0, len(costs), 10):
        print(f"step {s:3d}: C_T = {costs[s]:.6f}")
    print(f"after {args.steps} steps: C_T = {costs[-1]:.6f}, {net.correct(X, T)}/96 correct")
    pixels, expected = book_test_image("6x6")
    print(f"test image: the network says {net.predict(pixels[None, :])[0]} "
          f"(the workbook says {expected})")
    from tinygrad_edu.book.ch5_pictures import save_pictures

    try:
        for path in save_pictures(net, args.out, X[40], "No.41", pixels, expected):
            print(f"wrote {path}")
    except ImportError as e:
        print(f"no pictures: {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
