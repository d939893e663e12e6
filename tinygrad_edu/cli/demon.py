"""`python -m tinygrad_edu demon`: train the 12-3-2 demon network on the book's 64 images.

Full-batch gradient descent on C_T (§3-5, §4-4) on either engine; a progress bar shows C_T as it
goes; then the accuracy, each hidden unit's weights as a 4x3 picture in the terminal and the
output units' weights.  `--init demons` starts from the hand-set demons of §1-5/§1-6, `--init
FILE` from weights written by `--json` or `nn.save`; those are only evaluated unless `--steps`
asks for training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

from . import CommandLineError
from .options import check_paths, count, positive_float, write_json
from .play import add_play_arguments, write_demon_player

HELP = "train the 12-3-2 demon network on the book's 64 images (§1-5, §3-5, §4-4)"

DEFAULTS = {"engine": "scalar", "init": "random", "seed": 0, "lr": 0.5, "steps": 30, "image": 1}
HAND_SET = "demons"  # --init demons: the hand-set weights of §1-5, §1-6


def _init(text: str) -> str:
    """A start: a book parameter set, "demons", "random", or a file of weights."""
    from ..book.network import INITS

    if text in INITS or text == HAND_SET or os.path.isfile(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither one of {', '.join([*INITS, HAND_SET])} nor a file of weights "
        "(written by --json or nn.save)")


def _image(text: str) -> int:
    """An image number as the book counts them: 1..64."""
    n = count(text)
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"images are numbered 1 to 64, got {n}")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..nn import ENGINES

    p.add_argument("--engine", choices=ENGINES, default=DEFAULTS["engine"],
                   help="scalar: one Value per number, as the book draws it; tensor: numpy "
                        "arrays (default: %(default)s)")
    p.add_argument("--init", type=_init, default=DEFAULTS["init"], metavar="START",
                   help="start values: book-3-5 (the Solver's start), book-4-4, book-3-5-solved "
                        "(the Solver's optimum), demons (hand-set, §1-5), random (seeded), or "
                        "a FILE written by --json or nn.save (default: %(default)s)")
    p.add_argument("--seed", type=count, default=DEFAULTS["seed"],
                   help="seed of the random start (default: %(default)s)")
    p.add_argument("--lr", type=positive_float, default=DEFAULTS["lr"],
                   help="learning rate η (default: %(default)s)")
    p.add_argument("--steps", type=count, default=None,
                   help="full-batch gradient-descent steps; 0 only evaluates (default: 30, "
                        "and 0 for --init demons or a FILE)")
    p.add_argument("--out", metavar="DIR",
                   help="write pictures (C_T curve, hidden weights) as PNG files into DIR")
    p.add_argument("--render", metavar="DIR",
                   help="draw the network's graphs into DIR, the scalar graph of one image at "
                        "--level (neuron: one screen, op: every weight); needs Graphviz's dot")
    p.add_argument("--format", nargs="+", choices=("svg", "png", "pdf", "gv"), default=None,
                   metavar="FMT", help="formats for --render: svg (default), png, pdf, gv")
    p.add_argument("--weights", action="store_true",
                   help="--render writes each weight's value on its arrow in the network "
                        "diagrams")
    p.add_argument("--image", type=_image, default=DEFAULTS["image"], metavar="N",
                   help="image No. N (1-64, the book's numbering) that --render draws "
                        "(default: %(default)s)")
    p.add_argument("--json", metavar="FILE",
                   help='write {"cost": [C_T after 0..steps updates], "accuracy", "params"} '
                        "as strict JSON: a NaN or infinite number (a diverged run) as null")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_play_arguments(p, "neuron")


def _progress(steps: int, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc="training", unit="step", file=sys.stderr, leave=False,
                disable=quiet or not sys.stderr.isatty() or steps == 0)


def _check_paths(args: argparse.Namespace) -> None:
    if args.format and not args.render:
        raise CommandLineError("--format chooses the formats of --render: add --render DIR "
                               "(or leave --format out)")
    if args.weights and not args.render:
        raise CommandLineError("--weights writes the weights into the drawings of --render: "
                               "add --render DIR (or leave --weights out)")
    check_paths(args)


def _start(args: argparse.Namespace) -> tuple[Any, str]:
    """The network at its start values, and how to call them; a bad FILE is one clear line."""
    from ..book.ch1_demons import demon_params
    from ..book.network import INITS, demon_network
    from ..nn import load

    if args.init == HAND_SET:
        return demon_network(args.engine, demon_params()), "the hand-set demons (§1-5, §1-6)"
    if args.init in INITS:
        model = demon_network(args.engine, args.init, args.seed)
        return model, f"random (seed {args.seed})" if args.init == "random" else args.init
    model = demon_network(args.engine, "random", args.seed)
    try:
        with open(args.init, "rb") as f:
            is_json = f.read(256).lstrip()[:1] in (b"{", b"[")
        if is_json:
            model.load_state_dict(_json_params(args.init))
        else:
            load(model, args.init)
        _refuse_non_finite(model.state_dict())
    except (OSError, ValueError, TypeError, OverflowError) as e:
        raise CommandLineError(f"--init {args.init}: cannot load weights from it: {e}") from None
    return model, f"the weights in {args.init}"


def _json_params(path: str) -> dict[str, Any]:
    """The "params" object of a --json record, by state_dict names (the book's W2 ... too)."""
    from ..book.network import book_to_state_dict

    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except RecursionError:
        raise ValueError("not a weights file: its JSON is nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError(f"not a weights file: its JSON is a {type(record).__name__}, not an "
                         'object with "params" (write it with --json)')
    params = record.get("params")
    if not isinstance(params, dict):
        raise ValueError('it has no "params" object (write it with --json)')
    if params and set(params) <= {"W2", "b2", "W3", "b3"}:  # the book's names
        params = book_to_state_dict(params)
    return params


def _refuse_non_finite(state: dict[str, np.ndarray]) -> None:
    """Refuse NaN or infinite weights (a null of --json is read as NaN): they evaluate to NaN."""
    bad = [name for name, a in state.items() if not np.isfinite(a).all()]
    if bad:
        raise ValueError(f"{', '.join(bad)} hold NaN, infinite or null numbers; a weights file "
                         "needs finite numbers")


def _render(before: Any, after: Any, X: Any, T: Any, args: argparse.Namespace,
            captions: tuple[str, str]) -> None:
    """Write the drawings of the network (its graphs and the network diagram) into `folder`."""
    from ..viz import GraphvizNotFound
    from ..book.demon_graph import render_demon

    folder, formats = args.render, args.format or ["svg"]
    options = {"T": T, "image": args.image, "captions": captions, "level": args.level,
               "weights": args.weights}
    try:
        paths = render_demon(before, after, X, folder, formats, **options)
    except GraphvizNotFound as e:
        paths = render_demon(before, after, X, folder, ["gv"], **options)
        print(f"drawings written as DOT text only ({len(paths)} .gv files in {folder}): {e}")
        return
    except OSError as e:
        raise CommandLineError(f"--render {folder}: {e.strerror or e}") from None
    for path in paths:
        print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    """The demon command: train (or just show) the 12-3-2 network, report it, write what was
    asked for (--json, --render, --out, --play)."""
    from ..book.network import evaluate
    from ..datasets import book_digits_4x3

    _check_paths(args)
    if args.steps is None:  # a finished network (hand-set, or from a file) is shown as it is
        args.steps = 0 if args.init == HAND_SET or os.path.isfile(args.init) else DEFAULTS["steps"]
    if args.play:
        write_demon_player(_start(args)[0], args)
    X, T = book_digits_4x3(one_hot=True)
    model, start = _start(args)
    before = _start(args)[0] if args.render and args.steps else None
    print(f"12-3-2 demon network, {args.engine} engine, start: {start}, "
          f"η = {args.lr:g}, {args.steps} full-batch steps on C_T over 64 images")
    costs, seconds = _train(model, X, T, args)
    C_T, correct = evaluate(model, X, T)
    state = model.state_dict()
    _report(costs, seconds, correct, state, args)
    hand_set = args.init == HAND_SET and not args.steps
    now = ("the hand-set demons" if hand_set else start if not args.steps
           else f"after {args.steps} steps from {start}")
    if args.json:
        write_json(args.json, {"cost": costs, "accuracy": correct / 64,
                               "params": {k: v.tolist() for k, v in state.items()},
                               "engine": args.engine, "init": args.init, "seed": args.seed,
                               "lr": args.lr, "steps": args.steps})
        print(f"wrote {args.json}")
    if args.render:
        _render(before, model, X, T, args, (f"start: {start}", now))
    if args.out:
        _pictures(costs, state, hand_set, args)
    return 0


def _train(model: Any, X: np.ndarray, T: np.ndarray,
           args: argparse.Namespace) -> tuple[list[float], float]:
    """Full-batch gradient descent with a progress bar showing C_T; (costs, seconds)."""
    from ..book.network import train

    bar = _progress(args.steps, args.quiet)

    def report(step: int, C_T: float) -> None:
        bar.set_postfix_str(f"C_T = {C_T:.6g}", refresh=False)
        if step > 0:  # C_T after `step` updates: one more step done
            bar.update(1)

    t0 = time.perf_counter()
    costs = train(model, X, T, lr=args.lr, steps=args.steps, callback=report)
    seconds = time.perf_counter() - t0
    bar.close()
    return costs, seconds


def _report(costs: list[float], seconds: float, correct: int, state: dict[str, np.ndarray],
            args: argparse.Namespace) -> None:
    """C_T along the way, the accuracy, and the demons as the terminal draws them."""
    from ..book.ch1_demons import output_units_text
    from ..book.terminal import hidden_units_picture

    if args.steps:
        marks = sorted({0, *range(0, args.steps + 1, max(1, args.steps // 5)), args.steps})
        print("C_T at step " + ", ".join(f"{s}: {costs[s]:.6g}" for s in marks)
              + f"  ({seconds:.2f} s)")
    else:
        print(f"C_T = {costs[0]:.10g} (no training: --steps 0)")
    print(f"accuracy: {correct}/64 images correct ({100 * correct / 64:.1f}%)")
    print()
    print(hidden_units_picture(state["layers.0.weight"], state["layers.0.bias"]))
    print(output_units_text(state["layers.1.weight"], state["layers.1.bias"]))


def _pictures(costs: list[float], state: dict[str, np.ndarray], hand_set: bool,
              args: argparse.Namespace) -> None:
    """--out: the hidden units' weights beside the hand-set demons', and the cost curve."""
    from ..book import pictures
    from ..book.ch1_demons import demon_params

    try:
        if pictures.picture_folder(args.out) is None:
            return
    except OSError as e:
        raise CommandLineError(f"--out {args.out}: {e.strerror}") from None
    hand = demon_params()
    written = [
        pictures.plot_hidden_weights(
            state["layers.0.weight"], os.path.join(args.out, "hidden_weights.png"),
            state["layers.0.bias"], None if hand_set else (hand["W2"], hand["b2"]),
            caption="hand-set demon" if hand_set else "learned unit" if args.steps else "unit"),
    ]
    if args.steps:
        written.append(pictures.plot_cost_curve(
            costs, os.path.join(args.out, "cost.png"),
            f"$C_T$ of the 12-3-2 network ({args.engine} engine, η = {args.lr:g})"))
    for path in written:
        print(f"wrote {path}")
