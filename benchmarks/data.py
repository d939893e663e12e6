"""Data for the workloads: the book's 64 images (W1) and scikit-learn's 8x8 digits (W3).

The book's files are read with numpy straight from their CSV, looked up in this order:
1. the directory in the environment variable TINYGRAD_EDU_BOOK_DATA;
2. the package's data directory `tinygrad_edu/datasets/data/` (once the data files ship there);
3. `shared/data/book/` beside the repository (as CI lays it out), then /work/shared/data/book.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def book_data_dir() -> Path:
    """The first directory that holds the book's `digits_4x3.csv` (FileNotFoundError if none)."""
    candidates = []
    if os.environ.get("TINYGRAD_EDU_BOOK_DATA"):
        candidates.append(Path(os.environ["TINYGRAD_EDU_BOOK_DATA"]))
    candidates += [
        REPO / "tinygrad_edu" / "datasets" / "data",
        REPO.parent / "shared" / "data" / "book",
        Path("/work/shared/data/book"),
    ]
    for folder in candidates:
        if (folder / "digits_4x3.csv").is_file():
            return folder
    raise FileNotFoundError(
        "the book's digits_4x3.csv was found in none of: " + ", ".join(map(str, candidates))
    )


def book_digits_4x3() -> tuple[np.ndarray, np.ndarray]:
    """Appendix A: the 64 images as X (64, 12) float64 pixels and T (64, 2) one-hot targets,
    t1 = 1 for a "0" and t2 = 1 for a "1" (§1-7)."""
    raw = np.loadtxt(book_data_dir() / "digits_4x3.csv", delimiter=",", skiprows=1)
    X = raw[:, :12].astype(np.float64)
    labels = raw[:, 12].astype(np.int64)
    T = np.eye(2)[labels]
    return X, T


def book_initial_params() -> dict[str, np.ndarray]:
    """§4-4: the initial weights and biases of the backpropagation worked example, in the book's
    layout: W2 (3, 12) from pixel j to hidden unit i, b2 (3,), W3 (2, 3), b3 (2,)."""
    params = {"W2": np.zeros((3, 12)), "b2": np.zeros(3), "W3": np.zeros((2, 3)), "b3": np.zeros(2)}
    with open(book_data_dir() / "nn_4-4_backprop_initial.csv", encoding="utf-8") as f:
        next(f)  # header: param,i,j,value
        for line in f:
            name, i, j, value = line.strip().split(",")
            if name.startswith("W"):
                params[name][int(i) - 1, int(j) - 1] = float(value)
            else:
                params[name][int(i) - 1] = float(value)
    return params


def sklearn_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1,797 images), pixels scaled to [0, 1], split
    train_test_split(test_size=0.25, random_state=0, stratify=labels): 1,347 train, 450 test.
    Returns X_train, y_train, X_test, y_test. Needs scikit-learn (raises Unavailable)."""
    from benchmarks.compat import require

    datasets = require("sklearn.datasets")
    model_selection = require("sklearn.model_selection")
    digits = datasets.load_digits()
    X = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    return X_train, y_train, X_test, y_test
