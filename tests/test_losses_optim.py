"""losses and optim on both engines, against hand formulas and torch."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value
from tinygrad_edu.losses import mse, softmax_cross_entropy, squared_error
from tinygrad_edu.optim import SGD, Adam

A = np.array([[0.2, 0.9], [0.7, 0.4], [0.5, 0.5]])
T = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])


def values(a):
    return [[Value(x) for x in row] for row in a.tolist()]


def test_squared_error_is_the_books_C_and_C_T():
    one = squared_error([Value(0.2), Value(0.9)], [0.0, 1.0])
    assert one.data == pytest.approx(0.5 * (0.2 ** 2 + 0.1 ** 2), rel=1e-15)
    C_T = 0.5 * np.sum((T - A) ** 2)
    assert squared_error(values(A), T).data == pytest.approx(C_T, rel=1e-15)
    assert squared_error(Tensor(A), T).item() == pytest.approx(C_T, rel=1e-15)
    a = Tensor(A, requires_grad=True)
    squared_error(a, T).backward()
    np.testing.assert_allclose(a.grad, A - T)  # ∂C/∂a_k = a_k - t_k (§4-3)
    with pytest.raises(ValueError):
        squared_error(Tensor(A), T[:2])


def test_mse_on_both_engines():
    expected = np.mean((T - A) ** 2)
    assert mse(Tensor(A), T).item() == pytest.approx(expected, rel=1e-15)
    assert mse(values(A), T).data == pytest.approx(expected, rel=1e-15)
    assert mse([Value(0.2), Value(0.9)], [0.0, 1.0]).data == pytest.approx(0.025, rel=1e-14)


def test_softmax_cross_entropy_against_formula_and_torch():
    z = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0], [800.0, 0.0, 1.0]])  # 800: no overflow
    labels = [2, 0, 0]
    lse = np.log(np.sum(np.exp(z - z.max(1, keepdims=True)), axis=1)) + z.max(1)
    per_image = lse - z[np.arange(3), labels]
    assert softmax_cross_entropy(Tensor(z), labels).item() == pytest.approx(per_image.mean())
    assert softmax_cross_entropy(Tensor(z), np.eye(3)[labels], "sum").item() == pytest.approx(
        per_image.sum())
    assert softmax_cross_entropy(values(z), labels).data == pytest.approx(per_image.mean())
    assert softmax_cross_entropy([Value(v) for v in z[0]], 2).data == pytest.approx(per_image[0])
    torch = pytest.importorskip("torch")
    zt = torch.tensor(z[:2], requires_grad=True)
    torch.nn.functional.cross_entropy(zt, torch.tensor(labels[:2])).backward()
    ours = Tensor(z[:2], requires_grad=True)
    softmax_cross_entropy(ours, labels[:2]).backward()
    np.testing.assert_allclose(ours.grad, zt.grad.numpy(), rtol=1e-12)
    zv = values(z[:2])
    softmax_cross_entropy(zv, labels[:2]).backward()
    np.testing.assert_allclose([[v.grad for v in row] for row in zv], zt.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="do not fit"):
        softmax_cross_entropy(Tensor(z), [0, 1, 3])


def test_sgd_is_gradient_descent_and_momentum_matches_torch():
    x = Value(3.0)
    opt = SGD([x], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (x ** 2).backward()
        opt.step()
    assert x.data == pytest.approx(3.0 * 0.8 ** 3, rel=1e-15)
    torch = pytest.importorskip("torch")
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    ours, theirs = Tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, topt = SGD([ours], lr=0.05, momentum=0.9), torch.optim.SGD([theirs], lr=0.05, momentum=0.9)
    for _ in range(5):
        opt.zero_grad(), topt.zero_grad()
        ((ours * ours * ours).sum()).backward()
        ((theirs ** 3).sum()).backward()
        opt.step(), topt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_adam_matches_torch(engine):
    torch = pytest.importorskip("torch")
    w0 = [1.0, -2.0, 0.5]
    theirs = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam([theirs], lr=0.1)
    if engine == "tensor":
        params = [Tensor(w0, requires_grad=True)]
    else:
        params = [Value(w) for w in w0]
    opt = Adam(params, lr=0.1)
    for _ in range(6):
        opt.zero_grad(), topt.zero_grad()
        if engine == "tensor":
            (params[0] ** 4).sum().backward()
            got = params[0].data
        else:
            sum(p ** 4 for p in params).backward()
        (theirs ** 4).sum().backward()
        opt.step(), topt.step()
    got = params[0].data if engine == "tensor" else [p.data for p in params]
    np.testing.assert_allclose(got, theirs.detach().numpy(), rtol=1e-12)


def test_optimizers_refuse_bad_settings():
    with pytest.raises(ValueError, match="learning rate"):
        SGD([Value(1.0)], lr=0.0)
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        SGD([Value(1.0)], lr=0.1, momentum=1.5)
    with pytest.raises(TypeError):
        SGD([1.0], lr=0.1)
