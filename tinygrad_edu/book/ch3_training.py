"""§3-5: fitting the 47 weights and biases of the 12-3-2 network to the 64 images.

The book lets Excel's Solver minimise C_T from given start values (`book_nn_params("3-5-initial")`,
42 of 64 images right) and prints the optimum it found (`"3-5-solved"`, C_T ≈ 1.05e-7, 64/64).
Here gradient descent on C_T does the Solver's job, on either engine; then the network judges
the workbook's test image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..datasets import book_digits_4x3, book_test_image
from ..nn import MLP
from .network import demon_network, evaluate, train

__all__ = ["TrainingResult", "train_from_solver_start", "solver_optimum", "classify_test_image"]


class TrainingResult(NamedTuple):
    model: MLP
    costs: list[float]  # C_T after 0, 1, ..., steps updates
    correct: int  # images right after training, of 64


def train_from_solver_start(engine: str = "tensor", lr: float = 0.5,
                            steps: int = 200) -> TrainingResult:
    """Gradient descent from the Solver's start values (η = lr, full batch)."""
    model = demon_network(engine, "book-3-5")
    X, T = book_digits_4x3(one_hot=True)
    costs = train(model, X, T, lr=lr, steps=steps)
    return TrainingResult(model, costs, evaluate(model, X, T)[1])


def solver_optimum(engine: str = "scalar") -> tuple[float, int]:
    """(C_T, correct) at the Solver's optimum: 1.0452109503695356e-07 and 64."""
    model = demon_network(engine, "book-3-5-solved")
    X, T = book_digits_4x3(one_hot=True)
    return evaluate(model, X, T)


def classify_test_image(model: MLP | None = None) -> tuple[int, np.ndarray, int]:
    """(digit the network sees, its two outputs, the workbook's judgement) for the test image.

    The network defaults to the Solver's optimum.
    """
    model = model or demon_network("scalar", "book-3-5-solved")
    pixels, judgement = book_test_image("4x3")
    a = model.predict(pixels)
    return int(a.argmax()), a, judgement
