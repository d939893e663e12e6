"""Real handwritten digits: scikit-learn's bundled 8x8 digits (1,797 images of 0-9), split.

scikit-learn is an optional extra (`pip install scikit-learn`, or `pip install -e ".[digits]"`
in the checkout); it is imported only when the data is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DigitsData", "load_digits"]


@dataclass(frozen=True)
class DigitsData:
    """Images (N, 1, 8, 8) scaled to [0, 1] and labels 0..9, already split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_size: float = 0.25, random_state: int = 0) -> DigitsData:
    """scikit-learn's 8x8 digits, pixels 0..16 scaled to [0, 1], on a fixed stratified split
    (75% training, 25% test by default)."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ImportError("the handwritten digits come with scikit-learn, which is not "
                          "installed: pip install scikit-learn (or, in the checkout, "
                          'pip install -e ".[digits]")') from None
    bunch = _sk_load_digits()
    X = (bunch.images / 16.0).astype(np.float64)[:, None]  # (1797, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=random_state,
                                              stratify=y)
    return DigitsData(X_tr, y_tr, X_te, y_te)
