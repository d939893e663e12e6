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


# -- shapes and targets are checked, never broadcast ------------------------------------------

SHAPE_MISMATCHES = [((4, 1), (4,)), ((4,), (4, 1)), ((2, 3), (3,)), ((1, 3), (3,)),
                    ((3,), (2,)), ((2, 2), (4,))]


def _outputs(engine, shape, rng):
    a = rng.random(shape)
    if engine == "tensor":
        return Tensor(a, requires_grad=True)
    return values(a) if a.ndim == 2 else [Value(x) for x in a]


@pytest.mark.parametrize("loss", [mse, squared_error])
@pytest.mark.parametrize("engine", ["tensor", "scalar"])
@pytest.mark.parametrize("a_shape, t_shape", SHAPE_MISMATCHES)
def test_costs_refuse_targets_of_another_shape(loss, engine, a_shape, t_shape, rng):
    a = _outputs(engine, a_shape, rng)
    with pytest.raises(ValueError) as e:
        loss(a, np.zeros(t_shape))
    message = str(e.value)
    assert message.startswith(f"{loss.__name__}: outputs of shape {a_shape} and targets of "
                              f"shape {t_shape} differ")
    assert ("reshape the targets" in message) == (np.prod(a_shape) == np.prod(t_shape))
    if engine == "tensor":
        with pytest.raises(ValueError, match="differ"):
            loss(a, Tensor(np.zeros(t_shape)))


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_mse_and_squared_error_agree_and_take_gradients_through_plain_ops(engine, rng):
    from tinygrad_edu.tools.checks import gradcheck, gradgradcheck

    T3 = rng.random((3, 4))
    C = squared_error(_outputs(engine, (3, 4), np.random.default_rng(1)), T3)
    m = mse(_outputs(engine, (3, 4), np.random.default_rng(1)), T3)
    A3 = np.random.default_rng(1).random((3, 4))  # what _outputs drew
    assert float(C.data) == pytest.approx(0.5 * np.sum((A3 - T3) ** 2), rel=1e-14)
    assert float(m.data) == pytest.approx(2 * float(C.data) / 12, rel=1e-14)
    if engine == "tensor":
        x = Tensor(A3, requires_grad=True)
        assert gradcheck(lambda a: squared_error(a, T3), [x])
        assert gradgradcheck(lambda a: mse(a, T3), [x])
    else:
        xs = [Value(v) for v in A3[0]]
        assert gradcheck(lambda *a: squared_error(list(a), T3[0]), xs)
        assert gradgradcheck(lambda *a: mse(list(a), T3[0]), xs)


def test_soft_labels_are_probability_rows_as_in_torch():
    torch = pytest.importorskip("torch")
    z = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0], [800.0, 0.0, 1.0]])
    P = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
    zt = torch.tensor(z, requires_grad=True)
    for reduction in ("mean", "sum"):
        want = torch.nn.functional.cross_entropy(zt, torch.tensor(P), reduction=reduction)
        (g_want,) = torch.autograd.grad(want, zt)
        ours = Tensor(z, requires_grad=True)
        got = softmax_cross_entropy(ours, P, reduction)
        got.backward()
        assert got.item() == pytest.approx(want.item(), rel=1e-13)
        np.testing.assert_allclose(ours.grad, g_want.numpy(), rtol=1e-12, atol=1e-15)
        zv = values(z)
        got_v = softmax_cross_entropy(zv, P, reduction)
        got_v.backward()
        assert got_v.data == pytest.approx(want.item(), rel=1e-13)
        np.testing.assert_allclose([[v.grad for v in row] for row in zv], g_want.numpy(),
                                   rtol=1e-12, atol=1e-15)
    one = softmax_cross_entropy([Value(v) for v in z[0]], P[0])  # one image, one row
    assert one.data == pytest.approx(
        torch.nn.functional.cross_entropy(zt[:1], torch.tensor(P[:1])).item(), rel=1e-13)


def test_class_indices_as_whole_numbers_and_one_hot_rows_give_the_same_cost():
    z = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    by_index = softmax_cross_entropy(Tensor(z), [2, 0]).item()
    assert softmax_cross_entropy(Tensor(z), np.array([2.0, 0.0])).item() == by_index
    assert softmax_cross_entropy(Tensor(z), np.eye(3)[[2, 0]]).item() == by_index
    assert softmax_cross_entropy(Tensor(z[0]), 2).item() == pytest.approx(
        softmax_cross_entropy(Tensor(z[:1]), [2]).item(), rel=1e-15)
    assert softmax_cross_entropy(Tensor(z[0]), [2]).item() == pytest.approx(
        softmax_cross_entropy(Tensor(z[:1]), [2]).item(), rel=1e-15)


BAD_TARGETS = [
    ([0.5, 1], "not a whole class index"),
    ([1, 2.25], "not a whole class index"),
    ([0, 3], "out of range"),
    ([-1, 0], "out of range"),
    ([0, 1, 2], r"targets of shape \(3,\) do not fit logits of shape \(2, 3\)"),
    ([[0], [1]], r"targets of shape \(2, 1\) do not fit"),
    ([[0.5, 0.6, 0.0], [0.0, 1.0, 0.0]], "not a probability row"),
    ([[1.5, -0.5, 0.0], [0.0, 1.0, 0.0]], "not a probability row"),
    ([[np.nan, 1.0, 0.0], [0.0, 1.0, 0.0]], "not a probability row"),
    ([True, False], "class indices or probability rows"),
    (["a", "b"], "class indices or probability rows"),
]


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
@pytest.mark.parametrize("t, message", BAD_TARGETS)
def test_cross_entropy_refuses_targets_it_cannot_read(engine, t, message):
    z = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    logits = Tensor(z) if engine == "tensor" else values(z)
    with pytest.raises(ValueError, match=message) as e:
        softmax_cross_entropy(logits, t)
    assert str(e.value).startswith("softmax_cross_entropy: ")


def test_cross_entropy_refuses_empty_batches_and_odd_logits():
    with pytest.raises(ValueError, match=r"logits of shape \(0, 3\) are empty"):
        softmax_cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"logits of shape \(2, 0\) are empty"):
        softmax_cross_entropy(Tensor(np.zeros((2, 0))), [0, 0])
    with pytest.raises(ValueError, match="empty list"):
        softmax_cross_entropy([], [])
    with pytest.raises(ValueError, match=r"\(K,\) or \(N, K\), got shape \(2, 2, 2\)"):
        softmax_cross_entropy(Tensor(np.zeros((2, 2, 2))), [0, 1])
    with pytest.raises(ValueError, match="reduction"):
        softmax_cross_entropy(Tensor(np.zeros((2, 2))), [0, 1], "none")
