"""``python -m tinygrad_edu cnn``: train the book's CNN on the 96 images of 1, 2, 3 (§5-4, §5-6).

Full-batch gradient descent on C_T from the book's start values, seeded random ones, or the
weights of a file (`--init FILE`: the record `--json` writes, or a file of `nn.save`), then the
accuracy over the 96 images, the verdict on the test image, and optionally a JSON record,
pictures (filters, feature maps, pooled maps) and a drawing of the cost's graph.  The output
folders are made before any training, so a path that cannot be written fails at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from typing import Any
from pathlib import Path

import numpy as np

from ..book.ch5_cnn import INITS, BookCNN, gradient_descent
from ..datasets import book_digits_6x6, book_test_image
from . import CommandLineError
from .options import check_paths, count, positive_float, write_json, writing
from .play import add_play_arguments, write_cnn_player

HELP = "train the book's CNN on the 96 6x6 images of 1, 2, 3 (§5-4, §5-6)"


def _init(text: str) -> str:
    """A start: a book parameter set, "random", or a file of weights."""
    if text in INITS or os.path.isfile(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither one of {', '.join(INITS)} nor a file of weights (written by "
        "cnn --json or nn.save)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--init", type=_init, default="book-5-6", metavar="START",
                        help="start values: book-5-4 (the book's §5-4 Solver start), "
                             "book-5-4-solved (its optimum), book-5-6 (the §5-6 start, 3 "
                             "decimals), random (seeded N(0, 1)), or a FILE written by --json "
                             "or nn.save (default: book-5-6)")
    parser.add_argument("--seed", type=count, default=0, help="seed for --init random (default 0)")
    parser.add_argument("--lr", type=positive_float, default=0.2,
                        help="learning rate η (default 0.2, §5-6)")
    parser.add_argument("--steps", type=count, default=50,
                        help="gradient-descent steps (default 50; 0 evaluates only)")
    parser.add_argument("--image", type=int, default=41,
                        help="image No. (1-96) whose feature maps --out draws (default 41, a 2)")
    parser.add_argument("--json", metavar="FILE",
                        help='write {"cost": [C_T after 0..steps updates], "accuracy", "params"}')
    parser.add_argument("--out", metavar="DIR", help="write the pictures (PNG) into DIR")
    parser.add_argument("--render", metavar="DIR", help="draw the graph of C_T into DIR (SVG)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_play_arguments(parser, "layer")


def run(args: argparse.Namespace) -> int:
    say = print
    if not 1 <= args.image <= 96:
        print("cnn: --image must be an image number from 1 to 96", file=sys.stderr)
        return 2
    check_paths(args)  # before any work: an impossible path is refused in one line
    for option in ("out", "render"):  # made now, so a folder that cannot be made fails at once
        folder = getattr(args, option)
        if folder:
            writing(f"--{option}", folder, partial(os.makedirs, folder, exist_ok=True))
    net = _start(args.init, args.seed)
    if args.play and args.init not in INITS:
        raise CommandLineError(f"--play starts from a named start, not from --init {args.init}; "
                               "give --init book-5-6 (or another name) with --play")
    if args.play:
        write_cnn_player(args)
    X, T = book_digits_6x6(one_hot=True)

    costs = gradient_descent(net, X, T, lr=args.lr, steps=args.steps,
                             progress=not args.quiet and sys.stderr.isatty())

    correct = net.correct(X, T)
    pixels, expected = book_test_image("6x6")
    verdict = int(net.predict(pixels[None, :])[0])
    say(f"CNN 6x6 -> 3 filters 3x3 -> 2x2 max pool -> 3 outputs; init {args.init}, "
        f"η = {args.lr}, {args.steps} steps")
    say(f"C_T: {costs[0]:.10g} -> {costs[-1]:.10g}")
    say(f"correct: {correct}/96")
    say(f"test image: the network says {verdict} (the workbook says {expected})")

    if args.json:
        record = {"cost": costs, "accuracy": correct / 96, "correct": correct,
                  "init": args.init, "lr": args.lr, "steps": args.steps, "seed": args.seed,
                  "test_image": verdict,
                  "params": {k: v.tolist() for k, v in net.numpy_params().items()}}
        write_json(args.json, record)
        say(f"wrote {args.json}")
    if args.out:
        try:
            from ..book.ch5_pictures import save_pictures

            paths = writing("--out", args.out, lambda: save_pictures(
                net, args.out, X[args.image - 1], f"No.{args.image}", pixels, expected))
        except ImportError as e:
            print(f"cnn: no pictures: {e}", file=sys.stderr)
        else:
            say("wrote " + ", ".join(str(p) for p in paths))
    if args.render:
        _render(net, X, T, Path(args.render), say)
    return 0


def _start(init: str, seed: int) -> BookCNN:
    """The network at its start values: a book parameter set, random, or a FILE of weights (the
    record of --json, or nn.save's archive); a file that holds no weights is one clear line."""
    if init in INITS:
        return BookCNN.from_init(init, seed=seed)
    from ..nn import load

    try:
        with open(init, "rb") as f:
            first = f.read(64).lstrip()[:1]
        if first not in (b"{", b"["):  # not JSON: an nn.save archive
            net = BookCNN.from_init("book-5-6")
            load(net, init)
            return net
        with open(init, encoding="utf-8") as f:
            record = json.load(f)
        params = record.get("params") if isinstance(record, dict) else None
        if not isinstance(params, dict):
            what = "a JSON list" if isinstance(record, list) else 'JSON without a "params" object'
            raise ValueError(f"not a weights file: it holds {what}; give the file that "
                             "cnn --json writes")
        return BookCNN(params)
    except (OSError, ValueError, TypeError) as e:
        raise CommandLineError(f"--init {init}: cannot load weights from it: {e}") from None


def _render(net: BookCNN, X: np.ndarray, T: np.ndarray, out: Path, say: Any) -> None:
    """Draw the graph of C_T with tinygrad_edu.viz when it is there."""
    try:
        from .. import viz
    except ImportError:
        print("cnn: drawing is unavailable (tinygrad_edu.viz is not installed)", file=sys.stderr)
        return
    net.zero_grad()
    C_T = net.cost(X, T)
    C_T.backward()
    graph = viz.draw_graph(C_T, title="the tensor graph of the CNN's C_T over all 96 images")

    def draw() -> Path:
        out.mkdir(parents=True, exist_ok=True)
        try:
            return Path(viz.render(graph, out / "cnn_cost.svg"))
        except viz.GraphvizNotFound as e:  # keep the DOT text, say how to get the picture
            rendered = viz.render(graph, out / "cnn_cost.gv")
            print(f"cnn: wrote {rendered} only: {e}", file=sys.stderr)
            return Path(rendered)

    say(f"wrote {writing('--render', out, draw)}")
