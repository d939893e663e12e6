"""The book's data ship with the package and load with the book's numbering."""

import fnmatch
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.datasets import (
    book_cnn_params,
    book_digits_4x3,
    book_digits_6x6,
    book_nn_params,
    book_test_image,
)

ROOT = Path(__file__).resolve().parents[2]


def duplicate_pairs(X: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (m, n) of book image numbers, m < n, whose pixels are identical."""
    n = len(X)
    return [(i + 1, j + 1) for i in range(n) for j in range(i + 1, n) if np.array_equal(X[i], X[j])]


def test_digits_4x3_shapes_and_counts():
    X, y = book_digits_4x3()
    assert X.shape == (64, 12) and X.dtype == np.float64
    assert y.shape == (64,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(X)) == {0.0, 1.0}
    np.testing.assert_array_equal(y, [0] * 32 + [1] * 32)


def test_digits_4x3_known_pixels_and_duplicates():
    X, _ = book_digits_4x3()
    # No.1 is the clean "0": every pixel black but the middle column's pixels 5 and 8.
    np.testing.assert_array_equal(X[0], [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1])
    # No.33 is the clean "1": the middle column 2, 5, 8, 11.
    np.testing.assert_array_equal(np.flatnonzero(X[32]) + 1, [2, 5, 8, 11])
    assert duplicate_pairs(X) == [(33, 35), (34, 49)]


def test_digits_4x3_one_hot():
    X, T = book_digits_4x3(one_hot=True)
    _, y = book_digits_4x3()
    assert T.shape == (64, 2) and T.dtype == np.float64
    np.testing.assert_array_equal(T[:, 0], y == 0)
    np.testing.assert_array_equal(T[:, 1], y == 1)
    np.testing.assert_array_equal(X, book_digits_4x3()[0])


def test_digits_6x6_shapes_counts_one_hot():
    X, y = book_digits_6x6()
    assert X.shape == (96, 36) and X.dtype == np.float64
    np.testing.assert_array_equal(y, [1] * 32 + [2] * 32 + [3] * 32)
    _, T = book_digits_6x6(one_hot=True)
    assert T.shape == (96, 3)
    np.testing.assert_array_equal(T.sum(axis=0), [32, 32, 32])
    np.testing.assert_array_equal(T.argmax(axis=1) + 1, y)


def test_digits_6x6_known_pixels_and_duplicates():
    X, _ = book_digits_6x6()
    # No.1 is a vertical stroke in column 4: pixels 4, 10, 16, 22, 28, 34.
    np.testing.assert_array_equal(np.flatnonzero(X[0]) + 1, [4, 10, 16, 22, 28, 34])
    # No.96, a "3": its top row is pixels 3, 4, 5.
    np.testing.assert_array_equal(X[95].reshape(6, 6)[0], [0, 0, 1, 1, 1, 0])
    # The 6x6 set also repeats some images, each within one class.
    assert duplicate_pairs(X) == [
        (8, 11), (33, 41), (33, 47), (33, 55), (41, 47), (41, 55),
        (46, 52), (47, 55), (65, 78), (68, 72), (69, 73),
    ]  # fmt: skip


def test_test_images():
    x4, judged4 = book_test_image("4x3")
    assert x4.shape == (12,) and x4.dtype == np.float64 and judged4 == 0
    np.testing.assert_array_equal(x4, [0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0])
    x6, judged6 = book_test_image(shape="6x6")
    assert x6.shape == (36,) and judged6 == 1
    np.testing.assert_array_equal(np.flatnonzero(x6) + 1, [3, 4, 5, 10, 16, 22, 28, 33, 34, 35])
    with pytest.raises(ValueError, match="4x3"):
        book_test_image("5x5")


def test_nn_params():
    for name in ["3-5-initial", "3-5-solved", "4-4-initial"]:
        p = book_nn_params(name)
        shapes = {k: v.shape for k, v in p.items()}
        assert shapes == {"W2": (3, 12), "b2": (3,), "W3": (2, 3), "b3": (2,)}
        assert all(v.dtype == np.float64 and np.isfinite(v).all() for v in p.values())
    assert book_nn_params("3-5-initial")["W2"][0, 0] == 3.2138705720395713
    assert book_nn_params("3-5-solved")["W2"][0, 1] == 3.36218007211868
    p = book_nn_params("4-4-initial")
    np.testing.assert_array_equal(p["W2"][0, :4], [0.49, 0.348, 0.073, 0.837])
    np.testing.assert_array_equal(p["b2"], [-0.185, 0.526, -1.169])
    np.testing.assert_array_equal(p["W3"], [[0.388, 0.803, 0.029], [0.025, -0.79, 1.553]])
    np.testing.assert_array_equal(p["b3"], [-1.438, -1.379])


def test_cnn_params():
    for name in ["5-4-initial", "5-4-solved", "5-6-initial"]:
        p = book_cnn_params(name)
        shapes = {k: v.shape for k, v in p.items()}
        assert shapes == {"F": (3, 3, 3), "bF": (3,), "Wo": (3, 3, 2, 2), "bo": (3,)}
        assert all(v.dtype == np.float64 and np.isfinite(v).all() for v in p.values())
    start, solved = book_cnn_params("5-4-initial"), book_cnn_params("5-4-solved")
    assert start["F"][0, 0, 0] == -1.277300644225241 and solved["F"][0, 1, 0] == 5.824526018916589
    assert start["bF"][2] == -1.739194647573019
    assert start["Wo"][0, 1, 0, 0] == -3.6803787738912863  # Wo,1,2,1,1
    assert start["Wo"][2, 2, 1, 1] == -1.23461550134234  # Wo,3,3,2,2
    bo = [2.059747338757118, -2.7462519541468753, -1.8177913538800006]
    np.testing.assert_array_equal(start["bo"], bo)
    rounded = book_cnn_params("5-6-initial")
    for key in start:
        np.testing.assert_array_equal(rounded[key], np.round(start[key], 3))
    np.testing.assert_array_equal(rounded["bo"], [2.06, -2.746, -1.818])


def test_bad_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="3-5-solved"):
        book_nn_params("3-5")
    with pytest.raises(ValueError, match="5-6-initial"):
        book_cnn_params("5-6")


def test_loaders_return_fresh_arrays():
    p = book_nn_params("3-5-solved")
    p["W2"][:] = 0.0
    assert book_nn_params("3-5-solved")["W2"][0, 0] == -2.064359645369818


def test_data_files_are_package_data():
    """Every file in datasets/data is reachable through importlib.resources and named in
    pyproject.toml's package data."""
    folder = resources.files("tinygrad_edu.datasets").joinpath("data")
    names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    assert "SOURCE.md" in names and len([n for n in names if n.endswith(".csv")]) == 8
    toml = pytest.importorskip("tomllib")  # Python 3.11 and later
    with open(ROOT / "pyproject.toml", "rb") as f:
        config = toml.load(f)
    # the data folder is a (namespace) package of its own, its files declared as its data
    patterns = config["tool"]["setuptools"]["package-data"]["tinygrad_edu.datasets.data"]
    for name in names:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    assert "Wakui" in folder.joinpath("SOURCE.md").read_text(encoding="utf-8")
