"""The two fused ops the engine keeps, each proven equal to its composition of plain ops in value,
gradient and second derivative: the book's weighted input z of a unit (one node, as the book draws
a unit, §1-3) and softmax cross-entropy (one node, for numerical stability)."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, grad, weighted_input
from tinygrad_edu.engine import fused as F


def _second_order(f, xs):
    """f(xs), its gradient, and the gradient of Σ(gradient²) (a Hessian-vector product)."""
    y = f(*xs)
    g = grad(y, xs, create_graph=True)
    s = sum((gi * gi).sum() if isinstance(gi, Tensor) else gi * gi for gi in g)
    h = grad(s, xs)
    raw = lambda v: np.asarray(v.data if hasattr(v, "data") and not isinstance(v, np.ndarray)
                               else v, dtype=float)
    return raw(y), [raw(gi) for gi in g], [raw(hi) for hi in h]


def _agree(a, b):
    (ya, ga, ha), (yb, gb, hb) = a, b
    assert np.allclose(ya, yb, rtol=1e-12, atol=1e-12)
    for u, v in zip(ga + ha, gb + hb):
        assert np.allclose(u, v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("data_inputs", [False, True])
def test_weighted_input_equals_the_sum_of_products(data_inputs):
    rng = np.random.default_rng(3)
    w = [Value(v) for v in rng.standard_normal(4)]
    b = Value(0.3)
    if data_inputs:  # pixels: plain numbers, outside the graph
        x = [float(v) for v in rng.integers(0, 2, 4)]
        xs = w + [b]
        fused = lambda *p: (weighted_input(p[:4], x, p[4]).sigmoid()) ** 2
        plain = lambda *p: (sum(wi * xi for wi, xi in zip(p[:4], x)) + p[4]).sigmoid() ** 2
    else:
        x = [Value(v) for v in rng.standard_normal(4)]
        xs = w + x + [b]
        fused = lambda *p: weighted_input(p[:4], p[4:8], p[8]).tanh() ** 2
        plain = lambda *p: (sum(wi * xi for wi, xi in zip(p[:4], p[4:8])) + p[8]).tanh() ** 2
    _agree(_second_order(fused, xs), _second_order(plain, xs))


@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_softmax_cross_entropy_equals_minus_mean_log_softmax(targets):
    rng = np.random.default_rng(4)
    z = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    if targets == "labels":
        labels = np.array([0, 2, 1, 1, 0])
        p = np.eye(3)[labels]
    else:
        p = rng.dirichlet(np.ones(3), size=5)
        labels = p
    fused = lambda z: F.SoftmaxCrossEntropy.apply(z, labels=labels)
    plain = lambda z: -(Tensor(p) * z.log_softmax(axis=1)).sum() * (1.0 / 5)
    _agree(_second_order(fused, [z]), _second_order(plain, [z]))
