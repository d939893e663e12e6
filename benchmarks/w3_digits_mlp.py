"""W3: an MLP 64-128-10 on scikit-learn's 8x8 digits: time per epoch and test accuracy.

Data: load_digits (1,797 images, pixels / 16), train_test_split(test_size=0.25, random_state=0,
stratify=labels): 1,347 images to train on, 450 to test. Network: z1 = W1 x + b1, a1 = ReLU(z1),
z2 = W2 a1 + b2, softmax cross-entropy averaged over the minibatch of 32. Adam (lr 3e-3,
betas 0.9/0.999, eps 1e-8, PyTorch's formula). float64 everywhere. The weights start from the
same uniform(−1/√fan_in, 1/√fan_in) draw (seed 0) and every epoch visits the minibatches in
the same shuffled order for every implementation, so all of them learn the same numbers.

Epoch 1 is the warm-up (and the check: parameters after it must equal the numpy reference's to
1e-6); epochs 2..20 are the timed repeats (the figure is their median); then test accuracy.
gc stays enabled. Target: an epoch within 1.8x of numpy's, test accuracy at least 97%.

Plug-in signature: a factory `(problem: DigitsProblem) -> Trainer`, registered with
`@register("W3", "mlp", name)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import numpy as np

from benchmarks.compat import Unavailable, require
from benchmarks.harness import (Budget, Result, Started, Table, Timing, fmt_bytes, paired_ratio,
                                peak_memory, ratio_column, time_once, timing_cells)
from benchmarks.registry import entries, register
from benchmarks.runner import failure_row, run_entries

NUMPY = "numpy (by hand)"
TENSOR = "tinygrad_edu Tensor"
EPOCHS = 20
TARGET = 1.8  # an epoch over numpy's
ACCURACY_TARGET = 0.97
TITLE = "MLP 64-128-10 on the 8x8 digits, batch 32, Adam: one epoch (median of epochs 2-20)"
COLUMNS = ["median", "mean", "max/med", "peak mem", "x numpy", "test acc"]


def sklearn_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1,797 images), pixels scaled to [0, 1], split
    train_test_split(test_size=0.25, random_state=0, stratify=labels): 1,347 train, 450 test.
    Returns X_train, y_train, X_test, y_test: the split of `tinygrad_edu.datasets.load_digits`,
    each image as a row of 64 pixels. Needs scikit-learn (raises Unavailable)."""
    require("sklearn.model_selection")
    from tinygrad_edu.datasets import load_digits

    data = load_digits()
    return (data.X_train.reshape(-1, 64), data.y_train, data.X_test.reshape(-1, 64),
            data.y_test)


@dataclass
class DigitsProblem:
    """What every W3 implementation receives."""

    X_train: np.ndarray  # (1347, 64) float64 in [0, 1]
    y_train: np.ndarray  # (1347,) int64 labels 0..9
    X_test: np.ndarray  # (450, 64)
    y_test: np.ndarray  # (450,)
    init: dict[str, np.ndarray]  # W1 (128, 64), b1 (128,), W2 (10, 128), b2 (10,)
    lr: float = 3e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    batch_size: int = 32

    def batches(self, epoch: int) -> list[np.ndarray]:
        """The minibatches of one epoch: indices into X_train, shuffled by seed `epoch`."""
        order = np.random.default_rng(epoch).permutation(len(self.X_train))
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]


@dataclass
class Trainer:
    """What a W3 factory returns.

    train_epoch(batches) runs forward, backward and one Adam update per minibatch, in order;
    predict(X) returns the predicted labels (int array); params() the current W1, b1, W2, b2
    as numpy arrays (called outside timing).
    """

    train_epoch: Callable[[list[np.ndarray]], Any]
    predict: Callable[[np.ndarray], np.ndarray]
    params: Callable[[], dict[str, np.ndarray]]
    notes: list[str] = field(default_factory=list)


def digits_problem() -> DigitsProblem:
    X_train, y_train, X_test, y_test = sklearn_digits_split()
    rng = np.random.default_rng(0)

    def uniform(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        k = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-k, k, shape)

    init = {"W1": uniform((128, 64), 64), "b1": uniform((128,), 64),
            "W2": uniform((10, 128), 128), "b2": uniform((10,), 128)}
    return DigitsProblem(X_train, y_train, X_test, y_test, init)


# ------------------------------------------------------------ numpy by hand


def mlp_forward(p: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z1, a1, z2 (the logits) for a batch of images."""
    z1 = X @ p["W1"].T + p["b1"]
    a1 = np.maximum(z1, 0.0)
    return z1, a1, a1 @ p["W2"].T + p["b2"]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mlp_loss(p: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
    """Mean softmax cross-entropy over the batch; Y one-hot."""
    z2 = mlp_forward(p, X)[2]
    z = z2 - z2.max(axis=1, keepdims=True)
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(Y * log_softmax).sum() / len(X))


def mlp_gradients(p: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagation by hand: δ2 = (softmax(z2) − y) / m at the output, δ1 = (δ2 W2) ⊙ [z1 > 0]."""
    z1, a1, z2 = mlp_forward(p, X)
    delta2 = (softmax(z2) - Y) / len(X)
    delta1 = (delta2 @ p["W2"]) * (z1 > 0.0)
    return {"W1": delta1.T @ X, "b1": delta1.sum(axis=0), "W2": delta2.T @ a1, "b2": delta2.sum(axis=0)}


class NumpyAdam:
    """Adam with PyTorch's formula: p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, betas: tuple[float, float], eps: float) -> None:
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1**self.t)
        root_bc2 = np.sqrt(1.0 - b2**self.t)
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            self.params[k] -= step_size * m / (np.sqrt(v) / root_bc2 + self.eps)


@register("W3", "mlp", NUMPY)
def numpy_trainer(problem: DigitsProblem) -> Trainer:
    p = {k: v.copy() for k, v in problem.init.items()}
    adam = NumpyAdam(p, problem.lr, problem.betas, problem.eps)
    X, Y = problem.X_train, np.eye(10)[problem.y_train]

    def train_epoch(batches: list[np.ndarray]) -> None:
        for idx in batches:
            adam.step(mlp_gradients(p, X[idx], Y[idx]))

    return Trainer(train_epoch, lambda X: mlp_forward(p, X)[2].argmax(axis=1),
                   lambda: {k: v.copy() for k, v in p.items()})


# ------------------------------------------------------------ PyTorch


@register("W3", "mlp", "torch")
def torch_trainer(problem: DigitsProblem) -> Trainer:
    """PyTorch as a user writes it: nn.Sequential, F.cross_entropy, torch.optim.Adam (float64)."""
    torch = require("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).double()
    with torch.no_grad():
        for layer, (w, b) in zip((model[0], model[2]), (("W1", "b1"), ("W2", "b2"))):
            layer.weight.copy_(torch.from_numpy(problem.init[w]))
            layer.bias.copy_(torch.from_numpy(problem.init[b]))
    opt = torch.optim.Adam(model.parameters(), lr=problem.lr, betas=problem.betas, eps=problem.eps)
    X, y = torch.from_numpy(problem.X_train), torch.from_numpy(problem.y_train)

    def train_epoch(batches: list[np.ndarray]) -> None:
        for idx in batches:
            i = torch.from_numpy(idx)
            loss = torch.nn.functional.cross_entropy(model(X[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def predict(Xn: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(Xn)).argmax(dim=1).numpy()

    def params() -> dict[str, np.ndarray]:
        return {"W1": model[0].weight.detach().numpy().copy(), "b1": model[0].bias.detach().numpy().copy(),
                "W2": model[2].weight.detach().numpy().copy(), "b2": model[2].bias.detach().numpy().copy()}

    return Trainer(train_epoch, predict, params)


# ------------------------------------------------------------ running


def run(budget: Budget) -> list[Table]:
    started = Started()
    try:
        problem = digits_problem()
    except Unavailable as exc:  # no scikit-learn: every row skipped
        rows = [failure_row("", entry.impl, exc) for entry in entries("W3", "mlp")]
        return [Table.done(started, "W3", TITLE, COLUMNS, rows)]
    epochs = [problem.batches(e) for e in range(EPOCHS)]
    reference = numpy_trainer(problem)
    reference.train_epoch(epochs[0])
    after_first = reference.params()

    def check(trainer: Trainer) -> list[str]:
        trainer.train_epoch(epochs[0])  # warm-up and check
        got = trainer.params()
        for name, want in after_first.items():
            diff = float(np.max(np.abs(np.asarray(got[name], dtype=np.float64) - want)))
            assert diff <= 1e-6, f"{name} after one epoch differs from numpy's by {diff:.3g}"
        return list(trainer.notes)

    def measure(entry: Any, trainer: Trainer, row: Result) -> None:
        times = [time_once(lambda: trainer.train_epoch(batches)) for batches in epochs[1:]]
        timing_cells(row, Timing(times, 1))
        accuracy = float(np.mean(np.asarray(trainer.predict(problem.X_test)) == problem.y_test))
        row.figures["test_accuracy"] = accuracy
        row.cells["test acc"] = f"{accuracy:.1%}"
        if entry.impl.startswith("torch"):
            row.notes.append("torch memory not seen by tracemalloc")
        else:
            row.figures["peak_bytes"] = peak_memory(lambda: trainer.train_epoch(epochs[0]))
            row.cells["peak mem"] = fmt_bytes(row.figures["peak_bytes"])

    built: dict[str, Trainer] = {}
    rows = run_entries("W3", "mlp", "", build=lambda entry: entry.factory(problem), check=check,
                       measure=measure, keep=built)
    ratio_column(rows, "median_s", NUMPY, "x numpy")
    ours = next((row for row in rows if row.impl == TENSOR and row.status == "ok"), None)
    if ours is not None and NUMPY in built:
        paired_ratio(lambda: built[TENSOR].train_epoch(epochs[1]),
                     lambda: built[NUMPY].train_epoch(epochs[1]), budget.paired_rounds,
                     budget.paired_block_s).fill(ours, "x numpy", "x numpy")
    for row in rows:
        if row.impl == TENSOR and row.status == "ok":
            x, accuracy = row.figures["x numpy"], row.figures["test_accuracy"]
            row.judge(f"<= {TARGET}x numpy", x <= TARGET, f"{x:.3f}x")
            row.judge(f"test acc >= {ACCURACY_TARGET:.0%}", accuracy >= ACCURACY_TARGET, f"{accuracy:.1%}")
    return [Table.done(started, "W3", TITLE, COLUMNS, rows,
                       ["No floor row: the minimal engine has no ReLU, softmax cross-entropy or Adam."])]
