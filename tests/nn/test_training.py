"""training.fit, the one training loop: what it returns, when it calls back, what it updates."""

import pytest

from tinygrad_edu import Value
from tinygrad_edu.optim import SGD
from tinygrad_edu.training import fit


def test_fit_is_gradient_descent_and_reports_every_cost():
    """C = x² from x = 1 with η = 0.25: x halves each step, so C after s updates is 4^-s."""
    x = Value(1.0)
    seen = []
    costs = fit(lambda s: x * x, SGD([x], lr=0.25), 3, final_cost=lambda: x * x,
                callback=lambda s, C: seen.append((s, C)))
    assert costs == [1.0, 0.25, 0.0625, 0.015625]
    assert seen == list(enumerate(costs))
    assert x.data == 0.125


def test_fit_without_final_cost_gives_the_cost_of_each_step():
    """One cost per step, each taken before its update (minibatches: step s sees batch s)."""
    w = Value(0.0)
    targets = [1.0, 2.0, 3.0]
    costs = fit(lambda s: (w - targets[s]) ** 2, SGD([w], lr=0.5), 3)
    # w: 0 -> 1 -> 2 -> 3, each step lands on its own target
    assert costs == pytest.approx([1.0, 1.0, 1.0]) and w.data == pytest.approx(3.0)
