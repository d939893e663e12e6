"""The book's data: training images, test images and worked-example parameters.

The files come from the companion workbooks of the book by Wakui Yoshiyuki and Wakui Sadami;
see ``data/SOURCE.md``.
"""

from .book import (
    book_cnn_params,
    book_digits_4x3,
    book_digits_6x6,
    book_nn_params,
    book_test_image,
)

__all__ = [
    "book_digits_4x3",
    "book_digits_6x6",
    "book_test_image",
    "book_nn_params",
    "book_cnn_params",
]
