"""The book's δ method by hand (§4-3, §5-5) against finite differences, plain loops and torch."""

import numpy as np
import pytest

from tinygrad_edu.book.delta import (
    cnn_cost,
    cnn_delta_gradients,
    cnn_forward,
    cnn_gradient_descent,
    nn_cost,
    nn_delta_gradients,
    nn_forward,
    nn_gradient_descent,
    sigmoid,
)
from tinygrad_edu.tools.checks import numerical_gradient
from tinygrad_edu.datasets import (
    book_cnn_params,
    book_digits_4x3,
    book_digits_6x6,
    book_nn_params,
    book_test_image,
)

Params = dict[str, np.ndarray]


def assert_same_gradients(got: Params, expected: Params, rtol: float = 1e-8) -> None:
    """Each entry equal to rtol, relative to the entry and to the largest entry of the gradient."""
    assert got.keys() == expected.keys()
    scale = max(np.abs(v).max() for v in expected.values())
    for key in expected:
        assert got[key].shape == expected[key].shape
        np.testing.assert_allclose(got[key], expected[key], rtol=rtol, atol=rtol * scale, err_msg=key)


# ------------------------------------------------------------------------------ 12-3-2 network


NETWORKS = {  # the δ method by hand, its cost, the book's images and parameter sets
    "nn": (nn_delta_gradients, nn_cost, book_digits_4x3, book_nn_params),
    "cnn": (cnn_delta_gradients, cnn_cost, book_digits_6x6, book_cnn_params),
}


@pytest.mark.parametrize("net, name", [("nn", "3-5-initial"), ("nn", "4-4-initial"),
                                       ("cnn", "5-4-initial"), ("cnn", "5-6-initial")])
def test_delta_method_equals_finite_differences(net, name):
    """For the CNN: pooling windows whose maximum is tied hold identical input patches, so C_T
    is differentiable there."""
    delta_gradients, cost, images, book_params = NETWORKS[net]
    X, T = images(one_hot=True)
    params = book_params(name)
    C_T, grads = delta_gradients(params, X, T)
    assert C_T == cost(params, X, T)
    assert_same_gradients(grads, numerical_gradient(lambda p: cost(p, X, T), params, eps=1e-4, order=4))


def test_nn_forward_matches_a_loop_over_units():
    """The vectorised forward pass equals the book's unit-by-unit sums for a few images."""
    X, T = book_digits_4x3(one_hot=True)
    p = book_nn_params("4-4-initial")
    out = nn_forward(p, X)
    assert out.z2.shape == out.a2.shape == (64, 3) and out.z3.shape == out.a3.shape == (64, 2)
    for n in [0, 31, 32, 63]:
        for i in range(3):
            z = sum(p["W2"][i, j] * X[n, j] for j in range(12)) + p["b2"][i]
            assert out.z2[n, i] == pytest.approx(z, rel=1e-14)
        for i in range(2):
            z = sum(p["W3"][i, j] * out.a2[n, j] for j in range(3)) + p["b3"][i]
            assert out.z3[n, i] == pytest.approx(z, rel=1e-14)
            assert out.a3[n, i] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-14)
    C_T = sum(0.5 * sum((T[n, k] - out.a3[n, k]) ** 2 for k in range(2)) for n in range(64))
    assert nn_cost(p, X, T) == pytest.approx(C_T, rel=1e-14)


def test_nn_costs_at_the_book_values():
    X, T = book_digits_4x3(one_hot=True)
    assert nn_cost(book_nn_params("3-5-initial"), X, T) == pytest.approx(18.34709352053345, rel=1e-12)
    assert nn_cost(book_nn_params("4-4-initial"), X, T) == pytest.approx(20.254494686138486, rel=1e-12)
    assert nn_cost(book_nn_params("3-5-solved"), X, T) == pytest.approx(1.0452109503695356e-07, rel=1e-8)


def test_nn_gradient_descent_4_4():
    """§4-4: η = 0.2, full batch; C_T falls at every one of the 50 steps."""
    X, T = book_digits_4x3(one_hot=True)
    start = book_nn_params("4-4-initial")
    costs, params = nn_gradient_descent(start, X, T, lr=0.2, steps=50)
    assert len(costs) == 51
    assert np.all(np.diff(costs) < 0)
    assert costs[0] == pytest.approx(20.254494686138486, rel=1e-12)
    assert costs[1] == pytest.approx(14.427276998361448, rel=1e-10)
    assert costs[50] == pytest.approx(0.23673529144259237, rel=1e-8)
    assert costs[50] == nn_cost(params, X, T)
    assert start["W3"][0, 0] == 0.388  # the start values are not changed
    _, y = book_digits_4x3()
    assert np.sum(nn_forward(params, X).a3.argmax(axis=1) == y) == 64


def test_nn_gradient_descent_one_step_by_hand():
    X, T = book_digits_4x3(one_hot=True)
    start = book_nn_params("4-4-initial")
    _, grads = nn_delta_gradients(start, X, T)
    _, after = nn_gradient_descent(start, X, T, lr=0.2, steps=1)
    for key in start:
        np.testing.assert_allclose(after[key], start[key] - 0.2 * grads[key], rtol=0, atol=1e-15)


def test_nn_solver_optimum_classifies_all_images_and_the_test_image():
    X, _ = book_digits_4x3()
    _, y = book_digits_4x3()
    p = book_nn_params("3-5-solved")
    assert np.sum(nn_forward(p, X).a3.argmax(axis=1) == y) == 64
    assert np.sum(nn_forward(book_nn_params("3-5-initial"), X).a3.argmax(axis=1) == y) == 42
    x, judged = book_test_image("4x3")
    a3 = nn_forward(p, x[None, :]).a3[0]
    assert a3.argmax() == judged == 0
    assert a3[0] > 0.9999 and a3[1] < 1e-4


def test_nn_delta_matches_torch():
    torch = pytest.importorskip("torch")
    X, T = book_digits_4x3(one_hot=True)
    params = book_nn_params("4-4-initial")
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    tX, tT = torch.tensor(X), torch.tensor(T)
    a2 = torch.sigmoid(tX @ tp["W2"].T + tp["b2"])
    a3 = torch.sigmoid(a2 @ tp["W3"].T + tp["b3"])
    cost = 0.5 * ((tT - a3) ** 2).sum()
    cost.backward()
    C_T, grads = nn_delta_gradients(params, X, T)
    assert C_T == pytest.approx(cost.item(), rel=1e-14)
    assert_same_gradients(grads, {k: v.grad.numpy() for k, v in tp.items()}, rtol=1e-12)


# ------------------------------------------------------------------------------ the small CNN


def cnn_forward_by_loops(p: Params, image: np.ndarray) -> np.ndarray:
    """The CNN for one image with explicit loops, as the book's workbook computes it."""
    x = image.reshape(6, 6)
    aF = np.zeros((3, 4, 4))
    for k in range(3):
        for i in range(4):
            for j in range(4):
                z = p["bF"][k]
                for s in range(3):
                    for t in range(3):
                        z += p["F"][k, s, t] * x[i + s, j + t]
                aF[k, i, j] = 1 / (1 + np.exp(-z))
    aP = np.zeros((3, 2, 2))
    for k in range(3):
        for i in range(2):
            for j in range(2):
                aP[k, i, j] = max(aF[k, 2 * i + s, 2 * j + t] for s in range(2) for t in range(2))
    zO = p["bo"].copy()
    for n in range(3):
        for k in range(3):
            for i in range(2):
                for j in range(2):
                    zO[n] += p["Wo"][n, k, i, j] * aP[k, i, j]
    return 1 / (1 + np.exp(-zO))


def test_cnn_forward_matches_loops():
    X, T = book_digits_6x6(one_hot=True)
    p = book_cnn_params("5-4-initial")
    out = cnn_forward(p, X)
    assert out.zF.shape == out.aF.shape == out.winner.shape == (96, 3, 4, 4)
    assert out.aP.shape == (96, 3, 2, 2) and out.aO.shape == (96, 3)
    assert np.all(out.winner.reshape(96, 3, 2, 2, 2, 2).sum(axis=(3, 5)) == 1)  # one winner per window
    for n in [0, 40, 95]:
        np.testing.assert_allclose(out.aO[n], cnn_forward_by_loops(p, X[n]), rtol=1e-13)
    C_T = sum(0.5 * np.sum((T[n] - cnn_forward_by_loops(p, X[n])) ** 2) for n in range(96))
    assert cnn_cost(p, X, T) == pytest.approx(C_T, rel=1e-12)


def test_cnn_delta_needs_the_arg_max_routing():
    """Sending the pooled δ to all four window positions (as average pooling would) is wrong."""
    X, T = book_digits_6x6(one_hot=True)
    p = book_cnn_params("5-4-initial")
    out = cnn_forward(p, X)
    deltaO = (out.aO - T) * out.aO * (1 - out.aO)
    back = np.einsum("no,okij->nkij", deltaO, p["Wo"]).repeat(2, axis=2).repeat(2, axis=3)
    everywhere = back * out.aF * (1 - out.aF)
    wrong_F = np.einsum("nkij,nijpq->kpq", everywhere, out.patches)
    _, grads = cnn_delta_gradients(p, X, T)
    assert np.abs(wrong_F - grads["F"]).max() > 0.1
    right_F = np.einsum("nkij,nijpq->kpq", everywhere * out.winner, out.patches)
    np.testing.assert_allclose(right_F, grads["F"], rtol=1e-12, atol=1e-14)


def test_cnn_costs_and_the_solver_optimum():
    X, T = book_digits_6x6(one_hot=True)
    _, y = book_digits_6x6()
    assert cnn_cost(book_cnn_params("5-4-initial"), X, T) == pytest.approx(12.544462370300653, rel=1e-12)
    assert cnn_cost(book_cnn_params("5-6-initial"), X, T) == pytest.approx(12.54533609973044, rel=1e-12)
    solved = book_cnn_params("5-4-solved")
    assert cnn_cost(solved, X, T) == pytest.approx(0.00022501843836461615, rel=1e-9)
    assert np.sum(cnn_forward(solved, X).aO.argmax(axis=1) + 1 == y) == 96
    assert np.sum(cnn_forward(book_cnn_params("5-4-initial"), X).aO.argmax(axis=1) + 1 == y) == 91
    x, judged = book_test_image("6x6")
    aO = cnn_forward(solved, x[None, :]).aO[0]
    assert aO.argmax() + 1 == judged == 1
    assert aO[0] > 0.9999


def test_cnn_gradient_descent_5_6():
    """§5-6: η = 0.2 from the 3-decimal start; C_T rises on steps 2-4, then falls to 0.495."""
    X, T = book_digits_6x6(one_hot=True)
    costs, params = cnn_gradient_descent(book_cnn_params("5-6-initial"), X, T, lr=0.2, steps=50)
    assert len(costs) == 51
    assert costs[1] == pytest.approx(10.846287263653807, rel=1e-9)
    assert np.all(np.diff(costs[4:]) < 0)
    assert costs[50] == pytest.approx(0.4948883675782767, rel=1e-7)
    _, y = book_digits_6x6()
    assert np.sum(cnn_forward(params, X).aO.argmax(axis=1) + 1 == y) == 96


def test_cnn_delta_matches_torch():
    torch = pytest.importorskip("torch")
    X, T = book_digits_6x6(one_hot=True)
    params = book_cnn_params("5-4-initial")
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    images = torch.tensor(X).reshape(96, 1, 6, 6)
    zF = torch.nn.functional.conv2d(images, tp["F"][:, None], tp["bF"])  # cross-correlation
    aP = torch.nn.functional.max_pool2d(torch.sigmoid(zF), 2)
    aO = torch.sigmoid(torch.einsum("nkij,okij->no", aP, tp["Wo"]) + tp["bo"])
    cost = 0.5 * ((torch.tensor(T) - aO) ** 2).sum()
    cost.backward()
    C_T, grads = cnn_delta_gradients(params, X, T)
    assert C_T == pytest.approx(cost.item(), rel=1e-14)
    assert_same_gradients(grads, {k: v.grad.numpy() for k, v in tp.items()}, rtol=1e-12)


def test_sigmoid_is_stable():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    a = sigmoid(z)
    assert np.all(np.isfinite(a)) and a[2] == 0.5 and a[0] == 0.0 and a[4] == 1.0
    np.testing.assert_allclose(a[1] + a[3], 1.0, rtol=1e-15)
