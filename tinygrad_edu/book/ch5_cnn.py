"""The book's convolutional network on the tensor engine (§5-4, §5-6).

A 6x6 image of a 1, 2 or 3 (Appendix B: 96 training images) goes through

* a convolution layer: 3 filters ``F`` of 3x3, one bias ``bF`` per feature map, the sigmoid:
  ``zF_k = F_k * x + bF_k`` (the sum of kernel x patch, i.e. cross-correlation), ``aF = σ(zF)``,
  three 4x4 feature maps;
* a pooling layer: 2x2 max pooling, three 2x2 pooled maps ``aP``;
* an output layer: 3 sigmoid units, ``zO_n = Σ Wo[n] · aP + bo_n``, ``aO = σ(zO)``;
  unit n says "the image is digit n + 1".

The cost is the squared error summed over the 96 images, ``C_T = Σ ½ Σ_n (t_n - aO_n)²``, and
gradient descent (§2-11, §5-6) moves every parameter by ``-η ∂C_T/∂p``. The gradient comes
from autograd here; ``book.delta.cnn_delta_gradients`` computes it by the book's δ formulas, and
the tests check that both agree.

    >>> from tinygrad_edu.datasets import book_digits_6x6
    >>> X, T = book_digits_6x6(one_hot=True)
    >>> net = BookCNN.from_init("book-5-4")
    >>> round(net.cost(X, T).item(), 6), net.correct(X, T)
    (12.544462, 91)
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from ..autograd import name_scope, no_grad
from ..datasets import book_cnn_params
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential
from ..tensor import Tensor

__all__ = ["PARAM_SHAPES", "INITS", "CNNLayers", "BookCNN", "gradient_descent"]

PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "F": (3, 3, 3), "bF": (3,), "Wo": (3, 3, 2, 2), "bo": (3,)}

#: The command line's ``--init`` choices and the book's parameter sets they load.
INITS: dict[str, str | None] = {
    "book-5-4": "5-4-initial",  # §5-4: the Excel Solver's start values
    "book-5-4-solved": "5-4-solved",  # §5-4: the optimum the Solver found
    "book-5-6": "5-6-initial",  # §5-6: the §5-4 start values rounded to 3 decimals
    "random": None,  # standard normal, seeded (as the book's workbooks draw them)
}


class CNNLayers(NamedTuple):
    """Every layer of the network for a batch of N images (Tensors, NCHW)."""

    zF: Tensor  # (N, 3, 4, 4) weighted inputs of the feature maps
    aF: Tensor  # (N, 3, 4, 4) feature maps
    aP: Tensor  # (N, 3, 2, 2) pooled maps
    zO: Tensor  # (N, 3) weighted inputs of the output units
    aO: Tensor  # (N, 3) outputs


class BookCNN:
    """The §5-4 network; ``params`` maps the book's names F, bF, Wo, bo to leaf Tensors."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        missing = set(PARAM_SHAPES) - set(params)
        extra = set(params) - set(PARAM_SHAPES)
        if missing or extra:
            raise ValueError(f"BookCNN: missing parameters {sorted(missing)}, "
                             f"unknown {sorted(extra)}")
        self.params: dict[str, Tensor] = {}
        for name, shape in PARAM_SHAPES.items():
            value = np.array(params[name], dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"BookCNN: {name} has shape {value.shape}, expected {shape}")
            self.params[name] = Tensor(value, requires_grad=True, label=name)

    @classmethod
    def from_init(cls, init: str = "book-5-6", seed: int = 0) -> BookCNN:
        """Start values by name (see ``INITS``); ``"random"`` draws N(0, 1) with ``seed``."""
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; valid: {', '.join(INITS)}")
        book_name = INITS[init]
        if book_name is not None:
            return cls(book_cnn_params(book_name))
        rng = np.random.default_rng(seed)
        return cls({name: rng.standard_normal(shape) for name, shape in PARAM_SHAPES.items()})

    # -- the network ----------------------------------------------------------------------------
    def layers(self, X: np.ndarray | Tensor) -> CNNLayers:
        """Forward pass (§5-4) for images X of shape (N, 36), (N, 6, 6) or (N, 1, 6, 6)."""
        x = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=np.float64))
        x = x.reshape(-1, 1, 6, 6)
        p = self.params
        # one scope per layer, so drawings can box (or collapse) each layer
        with name_scope("convolution", "layer"):
            zF = x.conv2d(p["F"].reshape(3, 1, 3, 3), p["bF"])  # sum of kernel x patch, + bias
            aF = zF.sigmoid()
        with name_scope("pooling", "layer"):
            aP = aF.max_pool2d(2)
        with name_scope("output", "layer"):
            zO = aP.reshape(-1, 12) @ p["Wo"].reshape(3, 12).T + p["bo"]
            aO = zO.sigmoid()
        layers = CNNLayers(zF, aF, aP, zO, aO)
        for name, t in zip(CNNLayers._fields, layers):
            t.label = name  # the book's names in drawings and messages
        return layers

    def __call__(self, X: np.ndarray | Tensor) -> Tensor:
        return self.layers(X).aO

    def cost(self, X: np.ndarray, T: np.ndarray) -> Tensor:
        """C_T = Σ over images of ½ Σ_n (t_n - aO_n)² (§5-4)."""
        aO = self(X)
        with name_scope("C_T", "block"):  # the cost in one box in drawings
            return 0.5 * ((Tensor(T) - aO) ** 2).sum()

    def gradients(self, X: np.ndarray, T: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """C_T and ∂C_T/∂p for every parameter, by autograd (compare ``cnn_delta_gradients``)."""
        for t in self.params.values():
            t.zero_grad()
        C_T = self.cost(X, T)
        C_T.backward()
        return C_T.item(), {name: t.grad.copy() for name, t in self.params.items()}

    # -- reading the answer ---------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> np.ndarray:
        """The digit (1, 2 or 3) whose output unit fires most, for each image."""
        with no_grad():
            return self(X).data.argmax(axis=1) + 1

    def correct(self, X: np.ndarray, T: np.ndarray) -> int:
        """How many images the network classifies as their one-hot target says."""
        return int(np.sum(self.predict(X) == T.argmax(axis=1) + 1))

    def numpy_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as float64 arrays (the shapes of ``book_cnn_params``)."""
        return {name: t.data.copy() for name, t in self.params.items()}

    def as_module(self) -> Sequential:
        """The same network built from ``nn`` layers, with copies of these weights:
        ``Conv2d(1, 3, 3, "sigmoid")``, ``MaxPool2d(2)``, ``Flatten()``, ``Linear(12, 3,
        "sigmoid")``, for input (N, 1, 6, 6) (``interop.to_torch`` and ``nn.summary`` take it)."""
        p = self.numpy_params()
        conv = Conv2d(1, 3, 3, activation="sigmoid", weight=p["F"].reshape(3, 1, 3, 3),
                      bias_value=p["bF"])
        output = Linear(12, 3, "sigmoid")
        output.load_state_dict({"weight": p["Wo"].reshape(3, 12), "bias": p["bo"]})
        return Sequential(conv, MaxPool2d(2), Flatten(), output)


def gradient_descent(net: BookCNN, X: np.ndarray, T: np.ndarray, lr: float = 0.2, steps: int = 50,
                     on_step: Callable[[float], None] | None = None) -> list[float]:
    """Full-batch gradient descent on C_T (§5-6): p ← p - η ∂C_T/∂p, ``steps`` times.

    Returns ``costs`` with ``costs[s]`` = C_T after s updates (s = 0..steps), as
    ``book.delta.cnn_gradient_descent``. ``on_step(C_T)`` is called after each update with the
    cost the update's gradient was taken at (a progress bar uses it).
    """
    costs = []
    for _ in range(steps):
        C_T, grads = net.gradients(X, T)
        costs.append(C_T)
        with no_grad():
            for name, t in net.params.items():
                t.data = t.data - lr * grads[name]
        if on_step is not None:
            on_step(C_T)
    with no_grad():
        costs.append(net.cost(X, T).item())
    return costs
