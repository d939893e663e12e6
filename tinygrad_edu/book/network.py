"""The 12-3-2 "demon" network of §1-5 on either engine, and the book's training loop (§3-5, §4-4).

The book's parameter names (`W2` (3, 12), `b2`, `W3` (2, 3), `b3`, as
`tinygrad_edu.datasets.book_nn_params` loads them) map to the network's state_dict:
`W2` -> "layers.0.weight", `b2` -> "layers.0.bias", `W3` -> "layers.1.weight",
`b3` -> "layers.1.bias".
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from ..datasets import book_digits_4x3, book_nn_params
from ..losses import squared_error
from ..nn import MLP
from ..optim import SGD, Optimizer
from ..habits import Tensor
from ..training import fit

__all__ = [
    "DEMON_SIZES", "DEMON_UNITS", "BOOK_TO_STATE", "INITS", "book_to_state_dict",
    "state_dict_to_book", "demon_network", "cost", "evaluate", "train",
]

DEMON_SIZES = [12, 3, 2]
#: unit names per layer: pixels 1..12, hidden demons A, B, C, output units "0" and "1".
DEMON_UNITS = [[str(j) for j in range(1, 13)], ["A", "B", "C"], ["0", "1"]]
BOOK_TO_STATE = {"W2": "layers.0.weight", "b2": "layers.0.bias",
                 "W3": "layers.1.weight", "b3": "layers.1.bias"}
#: start values by command-line name: a book parameter set, or "random" (seeded).
INITS = {"book-3-5": "3-5-initial", "book-4-4": "4-4-initial",
         "book-3-5-solved": "3-5-solved", "random": None}


def book_to_state_dict(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{"W2", "b2", "W3", "b3"} -> {"layers.0.weight", ...}."""
    return {BOOK_TO_STATE[k]: np.array(v, dtype=np.float64) for k, v in params.items()}


def state_dict_to_book(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{"layers.0.weight", ...} -> {"W2", "b2", "W3", "b3"}."""
    back = {v: k for k, v in BOOK_TO_STATE.items()}
    return {back[k]: np.array(v, dtype=np.float64) for k, v in state.items()}


def demon_network(engine: str = "scalar", init: str | dict[str, np.ndarray] = "random",
                  seed: int = 0) -> MLP:
    """The 12-3-2 network (§1-5), sigmoid units, named as the book draws it.

    `init`: a key of `INITS` ("book-3-5", "book-4-4", "book-3-5-solved", "random"), a name of
    `book_nn_params` ("3-5-initial", ...), or a dict of book parameters {"W2", "b2", "W3", "b3"}.
    """
    model = MLP(DEMON_SIZES, activation="sigmoid", output_activation="sigmoid", engine=engine,
                seed=seed, unit_names=DEMON_UNITS)
    params: Any
    if isinstance(init, dict):
        params = init
    elif init in INITS:
        start = INITS[init]
        params = None if start is None else book_nn_params(start)
    else:
        params = book_nn_params(init)
    if params is not None:
        model.load_state_dict(book_to_state_dict(params))
    return model


def cost(model: MLP, X: np.ndarray, T: np.ndarray) -> Any:
    """C_T = Σ over images of 1/2 Σ_k (t_k - a_k)^2 (§3-5), as a graph value to backpropagate.

    Scalar engine: a `Value` built image by image; tensor engine: a 0-d `Tensor`.
    """
    if model.engine == "scalar":
        return squared_error([model(x) for x in X.tolist()], T)
    return squared_error(model(X), T)


def evaluate(model: MLP, X: np.ndarray, T: np.ndarray) -> tuple[float, int]:
    """(C_T, number of images whose larger output unit is the target's), without a graph."""
    a = model.predict(X)
    C_T = float(squared_error(Tensor(a), T).data)
    return C_T, int(np.sum(a.argmax(axis=1) == T.argmax(axis=1)))


def train(model: MLP, X: np.ndarray | None = None, T: np.ndarray | None = None,
          lr: float = 0.2, steps: int = 50, optimizer: Optimizer | None = None,
          callback: Callable[[int, float], None] | None = None) -> list[float]:
    """Full-batch gradient descent on C_T (§4-4): each step backpropagates C_T over all images.

    Returns `costs`, `costs[s]` = C_T after s updates (s = 0..steps).  `callback(s, C_T)` is
    called with each of them (for a progress bar).  The images default to the book's 64.
    The loop is `training.fit`'s.
    """
    if X is None or T is None:
        X, T = book_digits_4x3(one_hot=True)
    images, targets = X, T  # as arrays for the closure (mypy does not narrow X, T inside it)

    def C_T(step: int = 0) -> Any:
        return cost(model, images, targets)

    return fit(C_T, optimizer or SGD(model.parameters(), lr=lr), steps, final_cost=C_T,
               callback=callback)
