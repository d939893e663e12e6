"""Loaders for the book's data: images and worked-example parameters.

The files in ``data/`` come from the companion Excel workbooks of the book by Wakui Yoshiyuki and
Wakui Sadami (see ``data/SOURCE.md``). Pixels are 0 (white) or 1 (black), numbered row by row:
``1 2 3 / 4 5 6 / 7 8 9 / 10 11 12`` for a 4x3 image, 1..36 likewise for a 6x6 image.
Row n of an image array is image No. n+1 of the book.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

_NN_FILES = {
    "3-5-initial": "nn_3-5_solver_initial.csv",
    "3-5-solved": "nn_3-5_solver_result.csv",
    "4-4-initial": "nn_4-4_backprop_initial.csv",
}
_CNN_FILES = {
    "5-4-initial": "cnn_5-4_initial.csv",
    "5-4-solved": "cnn_5-4_solver_result.csv",
    "5-6-initial": "cnn_5-4_initial.csv",  # rounded to 3 decimals below
}
_NN_SHAPES = {"W2": (3, 12), "b2": (3,), "W3": (2, 3), "b3": (2,)}
_CNN_SHAPES = {"F": (3, 3, 3), "bF": (3,), "Wo": (3, 3, 2, 2), "bo": (3,)}


def _rows(filename: str) -> list[dict[str, str]]:
    """Read one CSV file of the package's ``data/`` folder (works from an installed wheel)."""
    path = resources.files("tinygrad_edu.datasets").joinpath("data").joinpath(filename)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _images(filename: str, n_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    rows = _rows(filename)
    X = np.array([[float(r[f"p{j}"]) for j in range(1, n_pixels + 1)] for r in rows])
    y = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    return X, y


def _one_hot(y: np.ndarray, classes: list[int]) -> np.ndarray:
    T = np.zeros((len(y), len(classes)))
    for column, label in enumerate(classes):
        T[y == label, column] = 1.0
    return T


def book_digits_4x3(one_hot: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 64 training images of the 12-3-2 network (Appendix A; §1-5, §3-5, §4-4).

    Returns ``(X, y)``: X float64 (64, 12), pixel j of image No. n in ``X[n-1, j-1]``;
    y int (64,) with y = 0 for images No.1-32 and y = 1 for No.33-64.
    With ``one_hot=True`` returns ``(X, T)`` with the book's targets T (64, 2):
    t1 = 1 for a "0" (column 0), t2 = 1 for a "1" (column 1).
    The data holds identical images (No.33 = No.35, No.34 = No.49); they are kept.
    """
    X, y = _images("digits_4x3.csv", 12)
    return (X, _one_hot(y, [0, 1])) if one_hot else (X, y)


def book_digits_6x6(one_hot: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 96 training images of the small CNN (Appendix B; §5-4, §5-6).

    Returns ``(X, y)``: X float64 (96, 36), row-major 6x6 pixels; y int (96,) in {1, 2, 3}
    (No.1-32 are "1", No.33-64 "2", No.65-96 "3"). With ``one_hot=True`` returns ``(X, T)``,
    T (96, 3) with column 0 for "1", column 1 for "2", column 2 for "3".
    """
    X, y = _images("digits_6x6.csv", 36)
    return (X, _one_hot(y, [1, 2, 3])) if one_hot else (X, y)


def book_test_image(shape: str = "4x3") -> tuple[np.ndarray, int]:
    """The test image of a Solver workbook and the digit the workbook judged it to be.

    ``shape="4x3"``: the test sheet of the §3-5 workbook (a "0"), pixels float64 (12,).
    ``shape="6x6"``: the test sheet of the §5-4 workbook (a "1"), pixels float64 (36,).
    Returns ``(pixels, excel_judgement)``; the judgement is the digit (0/1, or 1/2/3).
    """
    rows = {r["shape"]: r for r in _rows("test_images.csv")}
    if shape not in rows:
        raise ValueError(f"unknown shape {shape!r}; valid: {sorted(rows)}")
    row = rows[shape]
    pixels = np.array([float(p) for p in row["pixels_row_major"].split()])
    return pixels, int(row["excel_judgement"])


def _params(filename: str, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    params = {name: np.full(shape, np.nan) for name, shape in shapes.items()}
    for r in _rows(filename):
        name = r["param"]
        index = tuple(int(r[c]) - 1 for c in "ijkl" if r.get(c))
        params[name][index] = float(r["value"])
    for name, value in params.items():
        if np.isnan(value).any():
            raise ValueError(f"{filename}: some entries of {name} are missing")
    return params


def book_nn_params(name: str) -> dict[str, np.ndarray]:
    """Weights and biases of the 12-3-2 network from a worked example.

    ``name`` is one of
    ``"3-5-initial"`` (§3-5, the Excel Solver's start values),
    ``"3-5-solved"`` (§3-5, the optimum the Solver found) and
    ``"4-4-initial"`` (§4-4, the start of the backpropagation example, 3 decimals).
    Returns float64 arrays ``W2`` (3, 12), ``b2`` (3,), ``W3`` (2, 3), ``b3`` (2,), with
    ``W2[i-1, j-1]`` the book's weight from pixel j to hidden unit i, ``W3[i-1, j-1]`` the weight
    from hidden unit j to output unit i.
    """
    if name not in _NN_FILES:
        raise ValueError(f"unknown 12-3-2 parameter set {name!r}; valid: {sorted(_NN_FILES)}")
    return _params(_NN_FILES[name], _NN_SHAPES)


def book_cnn_params(name: str) -> dict[str, np.ndarray]:
    """Parameters of the book's small CNN from a worked example.

    ``name`` is one of
    ``"5-4-initial"`` (§5-4, the Excel Solver's start values),
    ``"5-4-solved"`` (§5-4, the optimum the Solver found) and
    ``"5-6-initial"`` (§5-6, the start of the backpropagation example: the §5-4 start values
    rounded to 3 decimals).
    Returns float64 arrays ``F`` (3, 3, 3) (filter, row, column), ``bF`` (3,) (one bias per
    feature map), ``Wo`` (3, 3, 2, 2) (output unit, pooled map, row, column) and ``bo`` (3,).
    """
    if name not in _CNN_FILES:
        raise ValueError(f"unknown CNN parameter set {name!r}; valid: {sorted(_CNN_FILES)}")
    params = _params(_CNN_FILES[name], _CNN_SHAPES)
    if name == "5-6-initial":
        params = {key: np.round(value, 3) for key, value in params.items()}
    return params
