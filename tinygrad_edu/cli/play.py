"""``--play DIR``: the backward player (`tinygrad_edu.viz.play_backward`) from the command line.

``demon --play DIR`` writes DIR/backprop.html for image `--image` of the 12-3-2 network at the
command's start values (`--init`, `--engine`), neuron level by default (``--level op`` for every
weight), its boxes and captions in the drawings' names (unit A of the hidden layer, the cost C of
the image); ``cnn --play DIR`` does the same for the book's CNN at layer level.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from . import CommandLineError

PAGE = "backprop.html"


def add_play_arguments(p: argparse.ArgumentParser, level: str) -> None:
    """`--play DIR` and `--level` (default `level`)."""
    p.add_argument("--play", metavar="DIR",
                   help=f"write DIR/{PAGE}: backpropagation through one image's graph, step by "
                        "step (needs Graphviz's dot program for the drawing)")
    p.add_argument("--level", choices=("op", "neuron", "layer"), default=level,
                   help="how fine the --play drawing is: op (every weight), neuron or layer "
                        "(default: %(default)s)")


def _save(root: Any, level: str, folder: str, title: str,
          box_names: dict[str, str] | None = None) -> str:
    from ..viz import play_backward

    try:
        path = play_backward(root, level, box_names=box_names).save(os.path.join(folder, PAGE))
    except OSError as e:
        raise CommandLineError(f"--play {folder}: {e.strerror or e}") from None
    print(f"wrote {path} ({title}; open it in a browser, → steps forward)")
    return path


def write_demon_player(model: Any, args: argparse.Namespace) -> str:
    """The player for image `args.image` (1-64) of the 64, through `model` as it starts; its
    boxes and captions name the units and layers as the drawings do (A, B, C; 0, 1; cost C)."""
    from ..book.demon_graph import COST_OF_IMAGE, box_names
    from ..datasets import book_digits_4x3
    from ..losses import squared_error

    X, T = book_digits_4x3(one_hot=True)
    n = args.image - 1
    a = model(X[n].tolist()) if args.engine == "scalar" else model(X[n:n + 1])
    # squared_error puts the cost in one box of its own (one node at the neuron level)
    C = squared_error(a, T[n].tolist() if args.engine == "scalar" else T[n:n + 1])
    titles = {**box_names(model), "squared_error": COST_OF_IMAGE}
    return _save(C, args.level, args.play, f"the 12-3-2 network, image {args.image}, "
                 f"{args.level} level", titles)


def write_cnn_player(args: argparse.Namespace) -> str:
    """The player for image `args.image` of the 96 at the start values the command was given."""
    from ..book.ch5_cnn import BookCNN
    from ..datasets import book_digits_6x6

    X, T = book_digits_6x6(one_hot=True)
    n = args.image - 1
    C = BookCNN.from_init(args.init, seed=args.seed).cost(X[n:n + 1], T[n:n + 1])
    return _save(C, args.level, args.play, f"the CNN, image {args.image}, {args.level} level")
