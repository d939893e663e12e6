"""The book's data: training images, test images and worked-example parameters (`book`); and,
beyond the book, scikit-learn's real 8x8 handwritten digits (`digits`, `load_digits`).

The book's files come from the companion workbooks of the book by Wakui Yoshiyuki and Wakui
Sadami; see ``data/SOURCE.md``.
"""

from .book import book_cnn_params, book_digits_4x3, book_digits_6x6, book_nn_params, book_test_image
from .digits import DigitsData, load_digits

__all__ = ["book_digits_4x3", "book_digits_6x6", "book_test_image", "book_nn_params",
           "book_cnn_params", "DigitsData", "load_digits"]
