"""Argument types shared by the commands: a bad value becomes argparse's one-line error."""

from __future__ import annotations

import argparse
import math


def positive_float(text: str) -> float:
    """A learning rate η: a finite number > 0."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not x > 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return x


def count(text: str) -> int:
    """A number of steps or a seed: a whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def positive_count(text: str) -> int:
    """A number of epochs: a whole number >= 1."""
    n = count(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {n}")
    return n
