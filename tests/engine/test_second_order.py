"""Second derivatives are right for every op on every shape (the rules read their operands by
role, never by object identity): 0-d tensors, .T and transpose, reshape, indexing, concatenate,
stack, reductions, softmax.  Each case compares a Hessian-vector product with central finite
differences of the gradient in float64, and with torch where it is installed."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, concatenate, grad, stack
from tinygrad_edu.conv import conv2d
from tinygrad_edu.tools.checks import numerical_gradient

RNG = np.random.default_rng(7)
X54 = Tensor(np.random.default_rng(11).standard_normal((5, 4)))


def hvp(f, x0, v):
    """(∇²f)(x0)·v by the engine: the gradient of (∇f · v)."""
    x = Tensor(x0, requires_grad=True)
    (g,) = grad(f(x), [x], create_graph=True)
    (h,) = grad((g * Tensor(v)).sum(), [x])
    return h


def fd_hvp(f, x0, v, eps=1e-5):
    """The same by central differences of the first-order gradient along v."""
    def g_at(x):
        t = Tensor(x, requires_grad=True)
        return grad(f(t), t)[0]
    return numerical_gradient(lambda s: g_at(x0 + s * v), 0.0, eps=eps)


CASES = {
    "0-d x·e^x": (lambda x: x * x.exp(), ()),
    "0-d sigmoid(w·x)": (lambda x: (x * 0.7).sigmoid() * x, ()),
    "1-d neuron (w @ x).sigmoid()": (lambda w: (w @ Tensor([0.3, -1.2, 2.0])).sigmoid() ** 2,
                                     (3,)),
    ".T in a cost": (lambda W: (0.5 * (1.0 - (X54 @ W.T).sigmoid()) ** 2).sum(), (3, 4)),
    "transpose(0, 1)": (lambda W: (W.transpose(0, 1) @ W).tanh().sum(), (3, 4)),
    "permute": (lambda x: (x.permute(2, 0, 1) ** 3).sum(), (2, 3, 4)),
    "reshape": (lambda x: (x.reshape(4, 3).exp() @ Tensor(np.ones(3))).log().sum(), (2, 6)),
    "indexing": (lambda x: (x[[0, 2, 2], 1:] ** 2).sum() * x[1, 0], (3, 4)),
    "boolean mask": (lambda x: (x[x.data > 0] ** 3).sum(), (4, 3)),
    "concatenate": (lambda x: (concatenate([x, x * x], axis=1) ** 2).sum(), (2, 3)),
    "stack": (lambda x: (stack([x, x.tanh()], axis=0) ** 2).sum(), (3,)),
    "sum axis": (lambda x: (x.sum(axis=0) ** 2).sum(), (3, 4)),
    "mean keepdims": (lambda x: (x.mean(axis=1, keepdims=True) * x).sum(), (3, 4)),
    "max": (lambda x: x.max(axis=1).sum() * x.sum(), (3, 4)),
    "softmax": (lambda x: (x.softmax(axis=1) * Tensor(np.arange(4.0))).sum(), (3, 4)),
    "log_softmax": (lambda x: x.log_softmax(axis=0)[1].sum() ** 2, (3, 4)),
    "broadcast add": (lambda x: ((x + Tensor(np.ones((2, 1, 4)))) ** 3).sum(), (3, 4)),
    "division": (lambda x: (1.0 / (x * x + 1.0)).sum(), (5,)),
    "pow by a tensor": (lambda x: (Tensor([1.5, 2.0, 2.5]) ** x).sum(), (3,)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hessian_vector_products_match_finite_differences(name):
    f, shape = CASES[name]
    x0 = RNG.standard_normal(shape)
    if name == "max":  # no ties
        x0 = x0 + np.arange(x0.size).reshape(shape) * 1e-3
    v = RNG.standard_normal(shape)
    h = hvp(f, x0, v)
    assert h.shape == x0.shape
    np.testing.assert_allclose(h, fd_hvp(f, x0, v), rtol=1e-6, atol=1e-7)


def test_x_times_exp_x_at_0d_gives_x_plus_2_times_e_to_the_x():
    x = Tensor(0.5, requires_grad=True)
    y = x * x.exp()
    d2 = grad(grad(y, x, create_graph=True)[0], x)[0]
    assert float(d2) == pytest.approx((0.5 + 2) * np.exp(0.5), rel=1e-14)


def test_scalar_engine_to_third_order():
    x = Value(0.3)
    y = (x * x.exp()).sigmoid()
    g1 = grad(y, x, create_graph=True)[0]
    g2 = grad(g1, x, create_graph=True)[0]
    g3 = grad(g2, x)[0]
    eps = 1e-4

    def second(x0):
        v = Value(x0)
        return grad(grad((v * v.exp()).sigmoid(), v, create_graph=True)[0], v)[0].__float__()
    assert g3 == pytest.approx(float(numerical_gradient(second, 0.3, eps=eps)), rel=1e-6)


def test_second_derivative_through_conv_says_it_is_first_order_only():
    x = Tensor(RNG.standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = Tensor(RNG.standard_normal((1, 1, 2, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="conv2d: second derivatives"):
        grad(conv2d(x, w).sum(), w, create_graph=True)[0]


@pytest.mark.parametrize("name", ["0-d x·e^x", ".T in a cost", "transpose(0, 1)", "softmax",
                                  "indexing", "max"])
def test_hessian_vector_products_match_torch(name):
    torch = pytest.importorskip("torch")
    f, shape = CASES[name]
    x0 = RNG.standard_normal(shape)
    if name == "max":
        x0 = x0 + np.arange(x0.size).reshape(shape) * 1e-3
    v = RNG.standard_normal(shape)
    const = X54.data
    torch_f = {
        "0-d x·e^x": lambda x: x * x.exp(),
        ".T in a cost": lambda W: (0.5 * (1.0 - (torch.tensor(const) @ W.T).sigmoid()) ** 2).sum(),
        "transpose(0, 1)": lambda W: (W.transpose(0, 1) @ W).tanh().sum(),
        "softmax": lambda x: (x.softmax(dim=1) * torch.arange(4.0, dtype=torch.float64)).sum(),
        "indexing": lambda x: (x[[0, 2, 2], 1:] ** 2).sum() * x[1, 0],
        "max": lambda x: x.max(dim=1).values.sum() * x.sum(),
    }[name]
    ours = CASES[name][0]
    xt = torch.tensor(x0, requires_grad=True)
    (gt,) = torch.autograd.grad(torch_f(xt), xt, create_graph=True)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(hvp(ours, x0, v), ht.numpy(), rtol=1e-10, atol=1e-12)
