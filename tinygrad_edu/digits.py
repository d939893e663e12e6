"""Real handwritten digits: scikit-learn's bundled 8x8 digits (1,797 images of 0-9).

The book's CNN idea (§5) on real data: a convolution layer (16 filters of 3x3, padding 1, ReLU),
2x2 max pooling, then a fully connected layer to 10 outputs with softmax cross-entropy.
Trained with Adam on minibatches of 32, seeded, on a fixed stratified split (75% train, 25% test).

scikit-learn is an optional extra (``pip install tinygrad_edu[digits]``); it is imported only
when the data is loaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .autograd import no_grad
from .losses import softmax_cross_entropy
from .optim import Adam
from .tensor import Tensor

__all__ = ["DigitsData", "load_digits", "DigitsNet", "train_digits",
           "DigitsResult", "confusion_matrix", "format_confusion", "draw_misclassified"]


@dataclass(frozen=True)
class DigitsData:
    """Images (N, 1, 8, 8) scaled to [0, 1] and labels 0..9, already split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_size: float = 0.25, random_state: int = 0) -> DigitsData:
    """scikit-learn's 8x8 digits, pixels 0..16 scaled to [0, 1], stratified fixed split."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ImportError("the handwritten digits come with scikit-learn, which is not "
                          "installed: pip install tinygrad_edu[digits] (or pip install "
                          "scikit-learn)") from None
    bunch = _sk_load_digits()
    X = (bunch.images / 16.0).astype(np.float64)[:, None]  # (1797, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=random_state,
                                              stratify=y)
    return DigitsData(X_tr, y_tr, X_te, y_te)


class DigitsNet:
    """conv 3x3 (16 filters, padding 1) → ReLU → 2x2 max pool → 128 → 10 (logits).

    Weights are drawn He-normal (std √(2 / fan-in)) from ``seed``; biases start at 0.
    """

    def __init__(self, filters: int = 16, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)

        def param(shape: tuple[int, ...], fan_in: int, label: str) -> Tensor:
            scale = np.sqrt(2.0 / fan_in) if fan_in else 0.0
            return Tensor(rng.standard_normal(shape) * scale, requires_grad=True, label=label)

        n_flat = filters * 4 * 4
        self.params: dict[str, Tensor] = {
            "conv.weight": param((filters, 1, 3, 3), 9, "conv.weight"),
            "conv.bias": param((filters,), 0, "conv.bias"),
            "fc.weight": param((10, n_flat), n_flat, "fc.weight"),
            "fc.bias": param((10,), 0, "fc.bias"),
        }

    def __call__(self, x: Tensor) -> Tensor:
        p = self.params
        a = x.conv2d(p["conv.weight"], p["conv.bias"], padding=1).relu().max_pool2d(2)
        return a.reshape(a.shape[0], -1) @ p["fc.weight"].T + p["fc.bias"]

    def predict(self, X: np.ndarray, batch: int = 512) -> np.ndarray:
        with no_grad():
            return np.concatenate([self(Tensor(X[i:i + batch])).data.argmax(axis=1)
                                   for i in range(0, len(X), batch)])


@dataclass
class DigitsResult:
    test_accuracy: float
    seconds: float
    train_accuracy: float
    predictions: np.ndarray
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch


def train_digits(data: DigitsData, epochs: int = 15, seed: int = 0, lr: float = 1e-2,
                 batch_size: int = 32, progress: bool = True) -> tuple[DigitsNet, DigitsResult]:
    """Train ``DigitsNet`` on the training split; ``seconds`` is the training wall time."""
    from tqdm.auto import tqdm

    net = DigitsNet(seed=seed)
    optimizer = Adam(net.params.values(), lr=lr)
    rng = np.random.default_rng(seed)
    n = len(data.X_train)
    losses: list[float] = []
    start = time.perf_counter()
    bar = tqdm(total=epochs * ((n + batch_size - 1) // batch_size), desc="digits", unit="batch",
               disable=not progress, leave=False)
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = softmax_cross_entropy(net(Tensor(data.X_train[idx])), data.y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            bar.update(1)
        losses.append(total / n)
        bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.4f}")
    bar.close()
    seconds = time.perf_counter() - start
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
    from .book.pictures import _figure, save_figure  # a Figure: the user's backend is untouched

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
