"""§1-5, §1-6: the demon network with hand-set weights, before any learning.

The book tells the 12-3-2 network as a story of demons.  Each hidden demon likes a pattern of
two pixels (pixels numbered as the book reads the 4x3 image, row by row:
1 2 3 / 4 5 6 / 7 8 9 / 10 11 12, the columns p1..p12 of the data file):

    A likes pixels 4 and 7 (the left stroke of a "0"),
    B likes pixels 5 and 8 (the stroke of a "1"),
    C likes pixels 6 and 9 (the right stroke of a "0").

Output demon "0" likes A and C (and dislikes B); output demon "1" likes B (and dislikes A and
C).  A weight is how strongly a demon likes what it sees; a bias is the "bias of the heart":
how much it takes before the demon gets excited, so that it ignores small signals.  The values
below are set by hand (the book draws the idea, not the numbers).  A liked pixel is a bond of
10; every other pixel is a weak link of 0.5, not 0 (§1-6: the links are never quite cut, so
signals leak along them).  Reading the clean "0" (No.1), B sees none of its own pixels but ten
lit pixels through weak links, z = 10 x 0.5 = 5: without a bias that excites B (σ(5) = 0.993)
and, through B's bond, output "1" (0.48); with the bias b = -10, z = -5 and B stays calm
(0.007), output "1" too (0.000).

What the hand-set demons cannot do: No.63 and No.64 are "1"s drawn down a side column
(pixels 2, 6, 9, 11 and 2, 4, 7, 11).  The demons read them as one side stroke of a "0" (C or
A alone, B calm), which half-excites output "0" (0.50) and leaves "1" calm (0.000): they judge
62 of the 64 images right and these two wrong.  (With the weak links cut to 0 and output 1's
bias at +5, as these demons were first set, the two were exact ties by design, won 0.50006
to 0.49994 by rounding, and flipped under any noise.)  Learning (§3-5) finds weights that get
all 64.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from collections.abc import Sequence

import numpy as np

from ..datasets import book_digits_4x3
from ..nn import MLP
from .network import DEMON_UNITS, demon_network, evaluate

__all__ = ["LIKES", "BOND", "WEAK_LINK", "MISJUDGED", "demon_params", "DemonReport",
           "classify_all", "why_biases_matter", "pattern_images", "NoiseReport", "noise_study",
           "output_units_text"]

#: pixels (1-based, the book's reading order) each hidden demon likes.
LIKES = {"A": (4, 7), "B": (5, 8), "C": (6, 9)}
BOND = 10.0  # the weight of a liked pixel
WEAK_LINK = 0.5  # every other pixel: small, not zero (§1-6: signals leak along weak links)
#: the images the hand-set demons judge wrong: "1"s down a side column (see the module text)
MISJUDGED = (63, 64)


def demon_params(with_biases: bool = True) -> dict[str, np.ndarray]:
    """The demons' hand-set weights in the book's layout {"W2", "b2", "W3", "b3"}.

    W2: 10 for a liked pixel, a weak link of 0.5 for each other pixel; b2 = -10, so a demon
        needs both of its pixels (z = 10 + leaks) and ignores what leaks in (10 weak links at
        most: z = 5 - 10 = -5).
    W3: output "0" (row 0) weights (A, B, C) = (10, -5, 10), bias -10: both side strokes
        excite it (z = 10), one alone half-excites it (z = 0);
        output "1" (row 1) weights (-5, 10, -5), bias -5: the middle stroke B excites it
        (z = 5), a side stroke calms it.  The bias -5 makes it need B: a blank image excites
        neither output (0.000 and 0.007), where a bias of +5 made a blank image read as "1".
    With `with_biases=False` every bias is 0 (the demons have no "heart").
    """
    W2 = np.full((3, 12), WEAK_LINK)
    for i, pixels in enumerate(LIKES.values()):
        for p in pixels:
            W2[i, p - 1] = BOND
    W3 = np.array([[BOND, -5.0, BOND], [-5.0, BOND, -5.0]])
    b2 = np.full(3, -10.0)
    b3 = np.array([-10.0, -5.0])
    if not with_biases:
        b2, b3 = np.zeros(3), np.zeros(2)
    return {"W2": W2, "b2": b2, "W3": W3, "b3": b3}


def pattern_images() -> np.ndarray:
    """The patterns the demons A, B, C like, as three 4x3 images (1 = black), shape (3, 12)."""
    images = np.zeros((3, 12))
    for i, pixels in enumerate(LIKES.values()):
        images[i, [p - 1 for p in pixels]] = 1.0
    return images


class DemonReport(NamedTuple):
    """How a network judges the 64 images: C_T, correct count, predicted digit per image."""

    C_T: float
    correct: int
    predicted: np.ndarray  # (64,) 0 or 1
    hidden: np.ndarray  # (64, 3): how excited A, B, C are by each image
    output: np.ndarray  # (64, 2)


def classify_all(model: MLP | None = None, engine: str = "scalar") -> DemonReport:
    """Run the 64 images through the network (the hand-set demons by default)."""
    if model is None:
        model = demon_network(engine, demon_params())
    X, T = book_digits_4x3(one_hot=True)
    _, hidden, output = model.layer_outputs(X)
    C_T, correct = evaluate(model, X, T)
    return DemonReport(C_T, correct, output.argmax(axis=1), hidden, output)


def why_biases_matter(engine: str = "scalar") -> dict[str, DemonReport]:
    """The demons with their biases and without: without, every demon is half excited by
    nothing at all, and the network can no longer tell a "0" from a "1"."""
    return {"with biases": classify_all(demon_network(engine, demon_params(True))),
            "without biases": classify_all(demon_network(engine, demon_params(False)))}


class NoiseReport(NamedTuple):
    """The demons on noisy images (§1-6), with and without their biases.

    Each dict maps "with biases" / "without biases" to: `blank`, the mean activity of A, B, C
    on blank images (3,); `zero`, their mean activity on image No.1, a clean "0" (3,);
    `zero_output`, the mean of outputs "0" and "1" on image No.1 (2,); `correct`, how many of
    the 64 images the network classifies right.  At level 0 the only noise is what leaks
    along the weak links; a level > 0 adds a grey of up to `level` to every white pixel.
    """

    level: float
    blank: dict[str, np.ndarray]
    zero: dict[str, np.ndarray]
    zero_output: dict[str, np.ndarray]
    correct: dict[str, int]


def noise_study(level: float = 0.0, n: int = 200, seed: int = 0,
                engine: str = "tensor") -> NoiseReport:
    """What leaks along the weak links, and what a faint grey adds (§1-6).

    Level 0: the clean images.  Reading the "0" No.1, B gets 0.5 from each of the ten lit
    pixels it is weakly linked to: without its bias z = 5 and B fires, and output "1" with it;
    with the bias z = -5 and both stay calm.  Level > 0: every white pixel turns a random grey
    between 0 and `level` (black pixels stay black), `n` noisy copies of each image; with the
    biases a demon still needs its two pixels, without them any grey excites every demon.
    """
    rng = np.random.default_rng(seed)
    X, T = book_digits_4x3(one_hot=True)
    copies = n if level > 0 else 1

    def grey(images: np.ndarray) -> np.ndarray:
        if level == 0:
            return images
        greyed: np.ndarray = np.maximum(images, rng.uniform(0.0, level, size=images.shape))
        return greyed

    blank = grey(np.zeros((copies, 12)))
    zero = grey(np.repeat(X[:1], copies, axis=0))
    noisy = grey(np.repeat(X, copies, axis=0))
    labels = np.repeat(T.argmax(axis=1), copies)
    report: dict[str, dict[str, Any]] = {"blank": {}, "zero": {}, "zero_output": {}, "correct": {}}
    for name, with_biases in (("with biases", True), ("without biases", False)):
        model = demon_network(engine, demon_params(with_biases))
        report["blank"][name] = model.layer_outputs(blank)[1].mean(axis=0)
        _, hidden, output = model.layer_outputs(zero)
        report["zero"][name] = hidden.mean(axis=0)
        report["zero_output"][name] = output.mean(axis=0)
        predicted = model.predict(noisy).argmax(axis=1)
        report["correct"][name] = int(round(np.sum(predicted == labels) / copies))
    return NoiseReport(level, report["blank"], report["zero"], report["zero_output"],
                       report["correct"])


def output_units_text(W3: np.ndarray, b3: np.ndarray,
                      names: Sequence[Sequence[str]] = DEMON_UNITS[1:]) -> str:
    """The output units' weights (bonds) from each hidden unit and their biases, as a table."""
    hidden, outputs = names
    W3 = np.asarray(W3, dtype=np.float64)
    lines = ["output unit | " + " ".join(f"{'from ' + h:>7}" for h in hidden) + " |    bias"]
    for k, out in enumerate(outputs):
        row = " ".join(f"{w:+7.2f}" for w in W3[k])
        lines.append(f"{out:>11} | {row} | {float(b3[k]):+7.2f}")
    return "\n".join(lines)
