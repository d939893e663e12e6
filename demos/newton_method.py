"""Newton's method on a 1-D function, with both derivatives from the engine (grad, create_graph).

Gradient descent (§2-11) steps by -η f'(x) and needs a learning rate; Newton's method divides by
the curvature instead, x <- x - f'(x) / f''(x), and near the minimum the number of correct
digits doubles at each step.  f''(x) is the derivative of the derivative:
`(dy,) = grad(f(x), x, create_graph=True)` gives f'(x) as a graph value (grad returns a tuple,
as in PyTorch), and `grad` of it gives f''(x).

The function minimised is f(x) = x² - ln x (x > 0): f'(x) = 2x - 1/x, f''(x) = 2 + 1/x², so the
minimum is at x* = 1/√2 = 0.70710678...

    python demos/newton_method.py [OUT_DIR] [--x0 2.0] [--steps 8]

Writes nothing: the optional OUT_DIR is accepted for the common demo interface.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import math
from collections.abc import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu import Value, grad


def f(x: Value) -> Value:
    """The function to minimise: x² - ln x."""
    return x * x - x.log()


def derivatives(fn: Callable[[Value], Value], x0: float) -> tuple[float, float, float]:
    """f(x0), f'(x0), f''(x0): the second one by differentiating the graph of the first."""
    x = Value(x0, label="x")
    y = fn(x)
    dy = grad(y, x, create_graph=True)[0]  # f'(x) as a Value with its own graph
    d2y = grad(dy, x)[0]  # f''(x) as a number
    return y.data, dy.data, d2y


def newton(fn: Callable[[Value], Value], x0: float, steps: int = 8,
           tol: float = 1e-14) -> list[tuple[float, float, float, float]]:
    """The Newton iterates (x, f(x), f'(x), f''(x)) from x0 until |f'(x)| < tol."""
    history = []
    x = x0
    for _ in range(steps):
        y, dy, d2y = derivatives(fn, x)
        history.append((x, y, dy, d2y))
        if abs(dy) < tol:
            break
        x = x - dy / d2y
    return history


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x0", type=float, default=2.0, help="the starting point (> 0)")
    parser.add_argument("--steps", type=int, default=8, help="at most this many steps")
    parser.add_argument("out", nargs="?", default=None, help="(ignored: this demo writes nothing)")
    parser.add_argument("--quick", action="store_true", help="(nothing to shorten here)")
    args = parser.parse_args(argv)
    target = 1 / math.sqrt(2)
    print("Newton's method on f(x) = x^2 - ln x; the minimum is at 1/sqrt(2)")
    print(f"{'step':>4} {'x':>20} {'f(x)':>14} {'f1(x)':>12} {'f2(x)':>10} {'|x - x*|':>10}")
    for k, (x, y, dy, d2y) in enumerate(newton(f, args.x0, args.steps)):
        print(f"{k:>4} {x:>20.16f} {y:>14.10f} {dy:>12.3e} {d2y:>10.5f} {abs(x - target):>10.2e}")


if __name__ == "__main__":
    main()
