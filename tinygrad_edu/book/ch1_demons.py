"""§1-5, §1-6: the demon network with hand-set weights, before any learning.

The book tells the 12-3-2 network as a story of demons.  Each hidden demon likes a pattern of
two pixels (pixels numbered as the book reads the 4x3 image, row by row:
1 2 3 / 4 5 6 / 7 8 9 / 10 11 12, the columns p1..p12 of the data file):

    A likes pixels 4 and 7 (the left stroke of a "0"),
    B likes pixels 5 and 8 (the stroke of a "1"),
    C likes pixels 6 and 9 (the right stroke of a "0").

Output demon "0" likes A and C (and dislikes B); output demon "1" likes B (and dislikes A and
C).  A weight is how strongly a demon likes what it sees; a bias is the "bias of the heart":
how much it takes before the demon gets excited, so that it ignores small noise.  The values
below are set by hand (the book draws the idea, not the numbers): a hidden demon gets 10 for
each liked pixel and bias -10, so it is fully excited by both of its pixels, half by one, and
calm with none, and a faint grey on its pixels (noise up to 0.3) leaves it calm.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Sequence

import numpy as np

from ..datasets import book_digits_4x3
from ..nn import MLP
from .network import DEMON_UNITS, demon_network, evaluate

__all__ = ["LIKES", "demon_params", "DemonReport", "classify_all", "why_biases_matter",
           "pattern_images", "NoiseReport", "noise_study", "output_units_text"]

#: pixels (1-based, the book's reading order) each hidden demon likes.
LIKES = {"A": (4, 7), "B": (5, 8), "C": (6, 9)}


def demon_params(with_biases: bool = True) -> dict[str, np.ndarray]:
    """The demons' hand-set weights in the book's layout {"W2", "b2", "W3", "b3"}.

    W2: 10 for a liked pixel, 0 for the others; b2 = -10.
    W3: output "0" (row 0) weights (A, B, C) = (10, -5, 10), bias -10;
        output "1" (row 1) weights (-5, 5, -5), bias 5.
    With `with_biases=False` every bias is 0 (the demons have no "heart").
    """
    W2 = np.zeros((3, 12))
    for i, pixels in enumerate(LIKES.values()):
        for p in pixels:
            W2[i, p - 1] = 10.0
    W3 = np.array([[10.0, -5.0, 10.0], [-5.0, 5.0, -5.0]])
    b2 = np.full(3, -10.0)
    b3 = np.array([-10.0, 5.0])
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
    """The hidden demons on noisy images (§1-6), with and without their biases.

    Each dict maps "with biases" / "without biases" to: `blank`, the mean activity of A, B, C
    on blank images with noise (3,); `zero`, their mean activity on image No.1 (a clean "0")
    with the same noise (3,); `correct`, how many of the 64 images, each with noise, the
    network still classifies right.
    """

    level: float
    blank: dict[str, np.ndarray]
    zero: dict[str, np.ndarray]
    correct: dict[str, int]


def noise_study(level: float = 0.3, n: int = 200, seed: int = 0,
                engine: str = "tensor") -> NoiseReport:
    """Add noise to blank images and to the book's images: every white pixel turns a random grey
    between 0 and `level` (black pixels stay black); `n` noisy copies of each.

    With the biases (b = -10) a demon needs its two pixels before it gets excited, so a faint
    grey is ignored: on a noisy blank image A, B and C stay near 0.  Without them (b = 0) any
    grey on a liked pixel makes z > 0 and σ(z) > 0.5: noise alone excites every demon.
    """
    rng = np.random.default_rng(seed)
    X, T = book_digits_4x3(one_hot=True)
    blank = rng.uniform(0.0, level, size=(n, 12))
    zero = np.maximum(X[0], rng.uniform(0.0, level, size=(n, 12)))
    noisy = np.maximum(np.repeat(X, n, axis=0), rng.uniform(0.0, level, size=(64 * n, 12)))
    labels = np.repeat(T.argmax(axis=1), n)
    report: dict[str, dict] = {"blank": {}, "zero": {}, "correct": {}}
    for name, with_biases in (("with biases", True), ("without biases", False)):
        model = demon_network(engine, demon_params(with_biases))
        report["blank"][name] = model.layer_outputs(blank)[1].mean(axis=0)
        report["zero"][name] = model.layer_outputs(zero)[1].mean(axis=0)
        predicted = model.predict(noisy).argmax(axis=1)
        report["correct"][name] = int(round(np.sum(predicted == labels) / n))
    return NoiseReport(level, report["blank"], report["zero"], report["correct"])


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
