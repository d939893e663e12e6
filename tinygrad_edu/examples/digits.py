"""A small CNN on real handwritten digits: scikit-learn's 8x8 digits (1,797 images of 0-9).

The book's CNN idea (§5) on real data: a convolution layer (16 filters of 3x3, padding 1, ReLU),
2x2 max pooling, then a fully connected layer to 10 outputs with softmax cross-entropy.  Trained
with Adam on minibatches of 32, seeded, by `training.fit`, on the fixed stratified split of
`datasets.load_digits` (75% training, 25% test).

scikit-learn is an optional extra (`pip install scikit-learn`, or `pip install -e ".[digits]"`
in the checkout); it is imported only when the data is loaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine import no_grad
from ..datasets.digits import DigitsData
from ..losses import softmax_cross_entropy
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential
from ..optim import Adam
from ..habits import Tensor
from ..training import fit

__all__ = ["DigitsNet", "train_digits", "DigitsResult", "confusion_matrix", "format_confusion",
           "draw_misclassified"]


class DigitsNet(Sequential):
    """conv 3x3 (16 filters, padding 1) → ReLU → 2x2 max pool → 256 → 10 (logits).

    An `nn.Sequential` of `conv` (`nn.Conv2d`), `pool` (`nn.MaxPool2d`), `flatten` and `fc`
    (`nn.Linear`, the output layer), for images (N, 1, 8, 8).  Weights are drawn He-normal
    (std √(2 / fan-in)) from `seed`; biases start at 0.
    """

    conv: Conv2d
    pool: MaxPool2d
    flatten: Flatten
    fc: Linear

    def __init__(self, filters: int = 16, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)

        def he(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
            # a bias (fan_in 0) is drawn too and scaled to 0: every seed keeps its stream of draws
            return rng.standard_normal(shape) * (np.sqrt(2.0 / fan_in) if fan_in else 0.0)

        n_flat = filters * 4 * 4
        conv_w, conv_b = he((filters, 1, 3, 3), 9), he((filters,), 0)
        fc_w, fc_b = he((10, n_flat), n_flat), he((10,), 0)
        super().__init__({
            "conv": Conv2d(1, filters, 3, padding=1, activation="relu", weight=conv_w,
                           bias_value=conv_b),
            "pool": MaxPool2d(2),
            "flatten": Flatten(),
            "fc": Linear(n_flat, 10, weight=fc_w, bias_value=fc_b, layer="O"),
        })

    def predict(self, X: np.ndarray, batch: int = 512) -> np.ndarray:
        """The digit (0-9) with the largest logit, for each image, `batch` images at a time."""
        with no_grad():
            return np.concatenate([self(Tensor(X[i:i + batch])).data.argmax(axis=1)
                                   for i in range(0, len(X), batch)])


@dataclass
class DigitsResult:
    """What `train_digits` measured: accuracies, training time, test predictions, losses."""

    test_accuracy: float
    seconds: float
    train_accuracy: float
    predictions: np.ndarray
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch


def train_digits(data: DigitsData, epochs: int = 15, seed: int = 0, lr: float = 1e-2,
                 batch_size: int = 32, progress: bool = True) -> tuple[DigitsNet, DigitsResult]:
    """Train `DigitsNet` on the training split; `seconds` is the training wall time.

    Each epoch visits the training images in a fresh seeded order, `batch_size` at a time; each
    minibatch is one step of `training.fit` (softmax cross-entropy, Adam).
    """
    net = DigitsNet(seed=seed)
    rng = np.random.default_rng(seed)
    n = len(data.X_train)
    batches = [order[i:i + batch_size] for order in (rng.permutation(n) for _ in range(epochs))
               for i in range(0, n, batch_size)]

    def loss(step: int) -> Tensor:
        idx = batches[step]
        C: Tensor = softmax_cross_entropy(net(Tensor(data.X_train[idx])), data.y_train[idx])
        return C

    start = time.perf_counter()
    costs = fit(loss, Adam(net.parameters(), lr=lr), len(batches), progress=progress,
                desc="digits")
    seconds = time.perf_counter() - start
    per_epoch = -(-n // batch_size)  # minibatches in an epoch (the last may be smaller)
    losses = [sum(costs[s] * len(batches[s]) for s in range(e * per_epoch, (e + 1) * per_epoch))
              / n for e in range(epochs)]  # the mean loss per image over each epoch
    predictions = net.predict(data.X_test)
    result = DigitsResult(
        test_accuracy=float(np.mean(predictions == data.y_test)),
        seconds=seconds,
        train_accuracy=float(np.mean(net.predict(data.X_train) == data.y_train)),
        predictions=predictions,
        losses=losses,
    )
    return net, result


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """M[i, j] = how many images of digit i were called j (the diagonal is right)."""
    M = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(M, (y_true, y_pred), 1)
    return M


def format_confusion(M: np.ndarray) -> str:
    """The confusion matrix as a text table: rows the true digit, columns the prediction."""
    width = max(3, len(str(M.max())) + 1)
    head = "true\\pred" + "".join(f"{j:>{width}}" for j in range(M.shape[1]))
    rows = [f"{i:>9}" + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(M)]
    return "\n".join([head, *rows])


def draw_misclassified(data: DigitsData, predictions: np.ndarray, path: str | Path,
                       limit: int = 40) -> Path | None:
    """A PNG of the misclassified test digits, each titled "true→predicted"; None if all right.

    Needs matplotlib (the ``plot`` extra); raises an ImportError saying so when it is missing.
    """
    from ..book.pictures import _figure, save_figure  # a Figure: the user's backend is untouched

    wrong = np.flatnonzero(predictions != data.y_test)[:limit]
    if len(wrong) == 0:
        return None
    cols = min(10, len(wrong))
    rows = (len(wrong) + cols - 1) // cols
    fig = _figure(1.2 * cols, 1.45 * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(data.X_test[i, 0], cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"{data.y_test[i]}\u2192{predictions[i]}", fontsize=9, color="C3")
    fig.suptitle(f"misclassified test digits ({int(np.sum(predictions != data.y_test))} of "
                 f"{len(predictions)}): true\u2192predicted", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path, dpi=110)
    return path
