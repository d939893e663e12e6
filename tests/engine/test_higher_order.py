"""grad(..., create_graph=True): second derivatives against closed forms and torch, a
Hessian-vector product, Newton's method."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, grad, gradgradcheck
from tinygrad_edu.tools.checks import numerical_gradient

ZS = [-2.5, -0.4, 0.0, 0.3, 1.7]


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


CLOSED = {  # f, f', f''
    "tanh": (lambda x: x.tanh(), lambda z: 1 - math.tanh(z) ** 2,
             lambda z: -2 * math.tanh(z) * (1 - math.tanh(z) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda z: _sig(z) * (1 - _sig(z)),
                lambda z: _sig(z) * (1 - _sig(z)) * (1 - 2 * _sig(z))),
    "cube": (lambda x: x ** 3, lambda z: 3 * z ** 2, lambda z: 6 * z),
    "exp": (lambda x: x.exp(), math.exp, math.exp),
    "log": (lambda x: (x + 3.0).log(), lambda z: 1 / (z + 3), lambda z: -1 / (z + 3) ** 2),
}


@pytest.mark.parametrize("name", sorted(CLOSED))
@pytest.mark.parametrize("z", ZS)
def test_second_derivative_on_values(name, z):
    f, d1, d2 = CLOSED[name]
    x = Value(z)
    g = grad(f(x), x, create_graph=True)[0]
    assert isinstance(g, Value) and g.data == pytest.approx(d1(z), rel=1e-12, abs=1e-15)
    assert grad(g, x)[0] == pytest.approx(d2(z), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_second_derivative_on_tensors(name):
    f, d1, d2 = CLOSED[name]
    x = Tensor(ZS, requires_grad=True)
    g = grad(f(x).sum(), x, create_graph=True)[0]  # elementwise: the diagonal of the Hessian
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, [d1(z) for z in ZS], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad(g.sum(), x)[0], [d2(z) for z in ZS], rtol=1e-12, atol=1e-15)
    assert gradgradcheck(lambda x: f(x), x)


def test_third_derivative_of_the_cube():
    x = Value(1.3)
    g1 = grad(x ** 3, x, create_graph=True)[0]
    g2 = grad(g1, x, create_graph=True)[0]
    assert g2.data == pytest.approx(7.8)
    assert grad(g2, x)[0] == pytest.approx(6.0)


def _net(W1, W2, X):
    return ((X @ W1).tanh() @ W2).sigmoid().sum()


def test_hessian_vector_product_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = Tensor(rng.standard_normal((4, 3)))
    W1 = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    W2 = Tensor(rng.standard_normal((5, 2)), requires_grad=True)
    V1, V2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
    g1, g2 = grad(_net(W1, W2, X), [W1, W2], create_graph=True)
    # H v = d/dW (g · v): one more backward through the graph of the gradient
    h1, h2 = grad((g1 * V1).sum() + (g2 * V2).sum(), [W1, W2])

    def flat_grad(t: float) -> np.ndarray:
        """The gradient with (W1, W2) moved by t·(V1, V2)."""
        a = Tensor(W1.data + t * V1, requires_grad=True)
        b = Tensor(W2.data + t * V2, requires_grad=True)
        return np.concatenate([g.ravel() for g in grad(_net(a, b, X), [a, b])])

    fd = numerical_gradient(flat_grad, 0.0, eps=1e-6)
    np.testing.assert_allclose(np.concatenate([h1.ravel(), h2.ravel()]), fd, rtol=1e-6,
                               atol=1e-8)
    assert gradgradcheck(lambda a, b: _net(a, b, X), [W1, W2], fast_mode=True)


def test_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 3))
    W1, W2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
    V1, V2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
    a, b = Tensor(W1, requires_grad=True), Tensor(W2, requires_grad=True)
    g1, g2 = grad(_net(a, b, Tensor(X)), [a, b], create_graph=True)
    h1, h2 = grad((g1 * V1).sum() + (g2 * V2).sum(), [a, b])

    ta = torch.tensor(W1, requires_grad=True)
    tb = torch.tensor(W2, requires_grad=True)
    out = torch.sigmoid(torch.tanh(torch.tensor(X) @ ta) @ tb).sum()
    t1, t2 = torch.autograd.grad(out, [ta, tb], create_graph=True)
    th1, th2 = torch.autograd.grad((t1 * torch.tensor(V1)).sum() + (t2 * torch.tensor(V2)).sum(),
                                   [ta, tb])
    np.testing.assert_allclose(g1.data, t1.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h1, th1.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h2, th2.numpy(), rtol=1e-10, atol=1e-12)


def test_full_hessian_of_a_scalar_function_matches_torch():
    torch = pytest.importorskip("torch")
    xs = [0.3, -1.1, 0.8]

    def f(a, b, c):
        return (a * b).sigmoid() * c.exp() + (a - c).tanh() ** 2 / (b * b + 1.0)

    vals = [Value(v) for v in xs]
    first = grad(f(*vals), vals, create_graph=True)
    hess = np.array([[grad(g, v, allow_unused=True)[0] or 0.0 for v in vals] for g in first])

    def tf(t):
        a, b, c = t[0], t[1], t[2]
        return torch.sigmoid(a * b) * torch.exp(c) + torch.tanh(a - c) ** 2 / (b * b + 1.0)

    th = torch.autograd.functional.hessian(tf, torch.tensor(xs, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(hess, th, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12)  # mixed partials commute
    assert gradgradcheck(f, vals)


def test_activation_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    z = np.linspace(-3, 3, 13)
    pairs = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "exp": torch.exp}
    for name, tfn in pairs.items():
        x = Tensor(z, requires_grad=True)
        g = grad(getattr(x, name)().sum(), x, create_graph=True)[0]
        gg = grad(g.sum(), x)[0]
        tx = torch.tensor(z, requires_grad=True)
        (tg,) = torch.autograd.grad(tfn(tx).sum(), tx, create_graph=True)
        (tgg,) = torch.autograd.grad(tg.sum(), tx)
        np.testing.assert_allclose(gg, tgg.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


def test_create_graph_false_gives_plain_numbers_and_stores_nothing():
    x = Value(0.5)
    y = x.tanh() * x
    g = grad(y, x)[0]
    assert isinstance(g, float)
    assert x.grad == 0.0  # grad() stores nothing in .grad
    t = Tensor([0.5, 1.0], requires_grad=True)
    gt = grad((t * t).sum(), t)[0]
    assert isinstance(gt, np.ndarray) and t.grad is None
    np.testing.assert_array_equal(gt, [1.0, 2.0])


def _load_demo(name: str):
    path = Path(__file__).resolve().parents[2] / "demos" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"demo_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_newton_demo_converges_quadratically(capsys):
    demo = _load_demo("newton_method")
    x, y, dy, d2y = demo.newton(demo.f, 2.0, steps=20)[0]
    assert (dy, d2y) == pytest.approx((2 * 2.0 - 1 / 2.0, 2 + 1 / 4.0))
    history = demo.newton(demo.f, 2.0, steps=20)
    target = 1 / math.sqrt(2)
    errors = [abs(h[0] - target) for h in history]
    assert errors[-1] < 1e-15
    assert len(history) <= 8
    # quadratic convergence: e_{k+1} ≈ C e_k² once close (C = f'''/(2 f'') at x*)
    close = [(a, b) for a, b in zip(errors, errors[1:]) if 1e-7 < a < 1e-2]
    assert close and all(b < 5 * a * a for a, b in close)
    demo.main(["--x0", "0.5", "--steps", "10"])
    out = capsys.readouterr().out
    assert "0.7071067811865" in out


def test_second_derivative_of_kinked_activations_is_zero():
    """Masks and surrogate slopes are constants when differentiated again (docs/guarantees.md)."""
    for z in (-0.7, 0.4):
        for method, kw in [("relu", {}), ("leaky_relu", {"slope": 0.1}), ("hard_tanh", {}),
                           ("hard_sigmoid", {}), ("step", {"surrogate": "sigmoid"})]:
            x = Value(z)
            g = grad(getattr(x, method)(**kw), x, create_graph=True)[0]
            second = grad(g, x, allow_unused=True)[0] if g.requires_grad else 0.0
            assert second in (0.0, None), (method, z, second)
