"""§1-5, §1-6: the demon network with hand-set weights, before any learning.

The book tells the 12-3-2 network as a story of demons.  Each hidden demon likes a pattern of
two pixels (pixels numbered 1 2 3 / 4 5 6 / 7 8 9 / 10 11 12):

    A likes pixels 4 and 7 (the left stroke of a "0"),
    B likes pixels 5 and 8 (the stroke of a "1"),
    C likes pixels 6 and 9 (the right stroke of a "0").

Output demon "0" likes A and C (and dislikes B); output demon "1" likes B (and dislikes A and
C).  A weight is how strongly a demon likes what it sees; a bias is the "bias of the heart":
how much it takes before the demon gets excited.  The values below are set by hand (the book
draws the idea, not the numbers): a hidden demon gets 10 for each liked pixel and bias -10, so
it is fully excited by both of its pixels, half by one, and calm with none.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..datasets import book_digits_4x3
from ..nn import MLP
from .network import demon_network, evaluate

__all__ = ["LIKES", "demon_params", "DemonReport", "classify_all", "why_biases_matter"]

#: pixels (1-based) each hidden demon likes.
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
