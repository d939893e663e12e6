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

import numpy as np

from ..engine import enable_grad, no_grad, topological_order
from ..tools.trace import name_scope
from ..datasets import book_cnn_params
from ..losses import squared_error
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential
from ..optim import SGD
from ..habits import Tensor
from ..training import fit

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


class BookCNN(Sequential):
    """The §5-4 network as an `nn.Sequential` of the book's layers, named as the book names them.

    `convolution` (`nn.Conv2d(1, 3, 3, "sigmoid")`: filters F, biases bF, values zF, aF),
    `pooling` (`nn.MaxPool2d(2)`: aP), `flatten` (the pooled maps side by side) and `output`
    (`nn.Linear(12, 3, "sigmoid")`: Wo, bo, values zO, aO).  `params` gives the parameters by
    the book's names; the state_dict names them "convolution.weight" (F as (3, 1, 3, 3)),
    "convolution.bias" (bF), "output.weight" (Wo as (3, 12)) and "output.bias" (bo).
    `BookCNN(params)` takes them in the shapes of `book_cnn_params` (`PARAM_SHAPES`).
    """

    convolution: Conv2d
    pooling: MaxPool2d
    flatten: Flatten
    output: Linear

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        missing = set(PARAM_SHAPES) - set(params)
        extra = set(params) - set(PARAM_SHAPES)
        if missing or extra:
            raise ValueError(f"BookCNN: missing parameters {sorted(missing)}, "
                             f"unknown {sorted(extra)}")
        p = {}
        for name, shape in PARAM_SHAPES.items():
            p[name] = np.array(params[name], dtype=np.float64)
            if p[name].shape != shape:
                raise ValueError(f"BookCNN: {name} has shape {p[name].shape}, expected {shape}")
        super().__init__({
            "convolution": Conv2d(1, 3, 3, activation="sigmoid",
                                  weight=p["F"].reshape(3, 1, 3, 3), bias_value=p["bF"]),
            "pooling": MaxPool2d(2),
            "flatten": Flatten(),
            "output": Linear(12, 3, "sigmoid", weight=p["Wo"].reshape(3, 12), bias_value=p["bo"],
                             layer="O"),
        })

    @classmethod
    def from_init(cls, init: str = "book-5-6", seed: int = 0) -> BookCNN:
        """Start values by name (see `INITS`); "random" draws N(0, 1) with `seed`."""
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; valid: {', '.join(INITS)}")
        book_name = INITS[init]
        if book_name is not None:
            return cls(book_cnn_params(book_name))
        rng = np.random.default_rng(seed)
        return cls({name: rng.standard_normal(shape) for name, shape in PARAM_SHAPES.items()})

    @property
    def params(self) -> dict[str, Tensor]:
        """The book's names F, bF, Wo, bo -> the leaf Parameters (in the layers' shapes)."""
        bF, bo = self.convolution.bias, self.output.bias
        assert bF is not None and bo is not None  # both layers are built with biases
        return {"F": self.convolution.weight, "bF": bF, "Wo": self.output.weight, "bo": bo}

    # -- the network ----------------------------------------------------------------------------
    def forward(self, X: np.ndarray | Tensor) -> Tensor:
        """The outputs aO (N, 3) for images X of shape (N, 36), (N, 6, 6) or (N, 1, 6, 6)."""
        x = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=np.float64))
        aO: Tensor = super().forward(x.reshape(-1, 1, 6, 6))
        return aO

    def layer_values(self, X: np.ndarray | Tensor) -> CNNLayers:
        """Every layer of the forward pass (§5-4) for images X, found by the book's labels.

        The layers label their values zF, aF, aP, zO, aO; the engine's own walk of the recorded
        graph finds them.  The graph is recorded even inside `no_grad`, so zF and zO are there.
        """
        with enable_grad():
            aO = self(X)
        by_label = {node.label: node for node in topological_order(aO)
                    if isinstance(node, Tensor)}
        return CNNLayers(*(by_label[name] for name in CNNLayers._fields))

    def cost(self, X: np.ndarray, T: np.ndarray) -> Tensor:
        """C_T = Σ over images of ½ Σ_n (t_n - aO_n)² (§5-4), by `losses.squared_error`."""
        aO = self(X)
        with name_scope("C_T", "block"):  # the cost in one box in drawings
            C_T: Tensor = squared_error(aO, T)
        return C_T

    def gradients(self, X: np.ndarray, T: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """C_T and ∂C_T/∂p for every parameter, by autograd (compare `cnn_delta_gradients`)."""
        self.zero_grad()
        C_T = self.cost(X, T)
        C_T.backward()
        return C_T.item(), _book_shapes({name: t.grad for name, t in self.params.items()})

    # -- reading the answer ---------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> np.ndarray:
        """The digit (1, 2 or 3) whose output unit fires most, for each image."""
        with no_grad():
            digits: np.ndarray = self(X).data.argmax(axis=1) + 1
        return digits

    def correct(self, X: np.ndarray, T: np.ndarray) -> int:
        """How many images the network classifies as their one-hot target says."""
        return int(np.sum(self.predict(X) == T.argmax(axis=1) + 1))

    def numpy_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as float64 arrays in the shapes of `book_cnn_params`."""
        return _book_shapes({name: t.data for name, t in self.params.items()})


def _book_shapes(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of F, bF, Wo, bo (as the layers hold them) in the book's shapes (`PARAM_SHAPES`)."""
    return {name: np.array(a, dtype=np.float64).reshape(PARAM_SHAPES[name])
            for name, a in arrays.items()}


def gradient_descent(net: BookCNN, X: np.ndarray, T: np.ndarray, lr: float = 0.2, steps: int = 50,
                     progress: bool = False) -> list[float]:
    """Full-batch gradient descent on C_T (§5-6): p ← p - η ∂C_T/∂p, `steps` times.

    Returns `costs` with `costs[s]` = C_T after s updates (s = 0..steps), as
    `book.delta.cnn_gradient_descent`.  The loop is `training.fit`'s; `progress` shows its bar.
    """
    def C_T(step: int = 0) -> Tensor:
        return net.cost(X, T)

    return fit(C_T, SGD(net.parameters(), lr=lr), steps, final_cost=C_T, progress=progress,
               desc="cnn")
