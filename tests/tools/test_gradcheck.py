"""gradcheck (element by element and fast mode) and gradgradcheck: they pass on correct rules and
name the element when a rule is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import (Function, GradcheckError, Tensor, Value, grad, gradcheck,
                          gradgradcheck, numerical_gradient)


class BadCube(Function):
    """x³ with a wrong first derivative (2x² instead of 3x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_values
        return grad * 2.0 * x * x


class FrozenCube(Function):
    """x³ with the right first derivative, written on a *copy* of x: the copy is not the input,
    so when the gradient is differentiated again it is a constant and d²/dx² comes out as 3x²·0
    instead of 6x.  gradcheck cannot see this; gradgradcheck must."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x + 0.0)  # a new object: not recognised as the input
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_values
        return grad * 3.0 * x * x


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_passes_on_a_tensor_network(fast):
    X = Tensor(RNG.standard_normal((5, 4)))
    W = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(RNG.standard_normal(3), requires_grad=True)
    t = RNG.standard_normal((5, 3))

    def cost(W, b):
        a = (X @ W.T + b).sigmoid()
        return (0.5 * (a - t) ** 2).sum()

    assert gradcheck(cost, [W, b], fast_mode=fast)


@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_names_the_wrong_element(fast):
    x = Tensor([0.5, -1.5, 2.0], requires_grad=True, label="x")
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda x: BadCube.apply(x).sum(), x, fast_mode=fast)
    msg = str(e.value)
    if fast:
        assert "fast mode" in msg and "run without fast_mode" in msg
    else:
        # d/dx0 of the sum: backprop 2·0.25 = 0.5, true 3·0.25 = 0.75
        assert "input 0 ('x')[0]" in msg and "backprop gives 0.5," in msg and "give 0.7499999" in msg


def test_gradcheck_on_values_and_constant_operands():
    def f(a, b, k):
        return (a * b + k).tanh() * a.exp() / (b ** 2 + 1.0)

    assert gradcheck(f, [Value(0.3), Value(-0.7), 2.0])
    assert gradcheck(f, [Value(0.3), Value(-0.7), 2.0], fast_mode=True)
    with pytest.raises(GradcheckError, match=r"input 0: backprop gives 0.08, finite differences give 0.12"):
        gradcheck(lambda x: BadCube.apply(x), Value(0.2))


def test_fast_mode_is_one_backward_and_two_evaluations():
    calls = []

    def f(x):
        calls.append(1)
        return (x * x).sum()

    gradcheck(f, Tensor(RNG.standard_normal(50)), fast_mode=True)
    assert len(calls) == 3  # the graph, then f(x + εu) and f(x - εu)
    calls.clear()
    gradcheck(f, Tensor(RNG.standard_normal(50)))
    assert len(calls) == 1 + 2 * 50


def test_float32_is_upcast_with_a_warning():
    x = Tensor(np.array([0.1, 0.2], dtype=np.float32), requires_grad=True)
    seen = []

    def f(x):
        seen.append(x.dtype)
        return (x.sigmoid() * 3.0).sum()

    with pytest.warns(UserWarning, match="float32.*upcast to float64"):
        assert gradcheck(f, x)
    assert set(seen) == {np.dtype(np.float64)}
    with pytest.warns(UserWarning, match="float32"):
        assert gradgradcheck(f, x)


@pytest.mark.parametrize("fast", [False, True])
def test_gradgradcheck_passes(fast):
    assert gradgradcheck(lambda x: x.tanh(), Value(0.3), fast_mode=fast)
    assert gradgradcheck(lambda x, y: (x * y).sigmoid() * x ** 3, [Value(0.3), Value(-1.2)],
                         fast_mode=fast)
    A = Tensor(RNG.standard_normal((3, 4)))
    B = Tensor(RNG.standard_normal((4, 2)))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), [A, B], fast_mode=fast)
    assert gradgradcheck(lambda a: a.softmax(-1) * Tensor(np.arange(4.0)), A, fast_mode=fast)
    assert gradgradcheck(lambda a: a.log_softmax(0)[1:].sum() + a.max(axis=1).sum(), A,
                         fast_mode=fast)


def test_gradgradcheck_of_a_linear_function():
    # the gradient does not depend on x at all: the second derivative is 0 and must pass
    assert gradgradcheck(lambda x: x * 2.0 + 1.0, Value(0.3))
    assert gradgradcheck(lambda x: (x * 3.0).sum(), Tensor(RNG.standard_normal(4)))


def test_gradgradcheck_catches_what_gradcheck_cannot():
    x = Value(0.7, label="x")
    assert gradcheck(lambda x: FrozenCube.apply(x), x)
    with pytest.raises(GradcheckError) as e:
        gradgradcheck(lambda x: FrozenCube.apply(x), x, grad_outputs=1.0)
    # d²(x³)/dx² = 6x = 4.2; the frozen rule says 0
    assert "backprop gives 0," in str(e.value) and "finite differences give 4.2" in str(e.value)
    with pytest.raises(GradcheckError, match="fast mode"):
        gradgradcheck(lambda x: FrozenCube.apply(x), x, fast_mode=True)


def test_gradgradcheck_grad_outputs():
    x = Tensor(RNG.standard_normal(3))
    assert gradgradcheck(lambda x: x ** 3, x, grad_outputs=np.array([1.0, -2.0, 0.5]))
    with pytest.raises(ValueError, match="grad_outputs has 2 element"):
        gradgradcheck(lambda x: x ** 3, x, grad_outputs=np.ones(2))


def test_second_derivative_of_a_constant_multiple_is_zero():
    """Regression: `x * c` where c is the very float object inside x (Python shares equal float
    literals within one function) used to treat the constant as x when differentiating twice,
    giving d²(c·x)/dx² = 1."""
    c = 2.0
    x = Value(c)
    assert x.data is c
    g = grad(x * c, x, create_graph=True)[0]
    assert g.data == 2.0
    assert not g.requires_grad  # a constant: nothing to differentiate
    g2 = grad(x * c + x * x, x, create_graph=True)[0]  # 2 + 2x
    assert g2.data == 6.0
    assert grad(g2, x)[0] == 2.0


# -- inputs whose arrays are views: transposed, strided, permuted ------------------------------

_BASE = np.arange(1.0, 25.0).reshape(4, 6) / 10.0
LAYOUTS = {
    "transposed .T": lambda: _BASE.T,
    "strided slice": lambda: _BASE[::2, 1::2],
    "negative strides": lambda: _BASE[::-1, ::-2],
    "transposed slice": lambda: _BASE[1:, ::3].T,
    "permuted 3-d": lambda: _BASE.reshape(2, 3, 4).transpose(2, 0, 1),
    "Fortran order": lambda: np.asfortranarray(_BASE),
}


def _mixing(a):
    """An output in which every element of `a` has its own, position-dependent weight."""
    c = Tensor(np.arange(1.0, a.size + 1).reshape(a.shape))
    return ((a * c).tanh() * a).sum(axis=0)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_on_inputs_that_are_views(layout, fast):
    data = LAYOUTS[layout]()
    assert not data.flags.c_contiguous or layout == "strided slice"
    x = Tensor(data, requires_grad=True)
    assert gradcheck(_mixing, [x], fast_mode=fast)
    assert gradcheck(lambda a: _mixing(a.T), [x], fast_mode=fast)  # a view made inside f too
    np.testing.assert_array_equal(x.data, data)  # the input was left as it was
    with pytest.raises(GradcheckError):  # and a wrong rule is still found on such an input
        gradcheck(lambda a: BadCube.apply(a).sum(axis=0), [x], fast_mode=fast)


@pytest.mark.parametrize("layout", ["transposed .T", "strided slice", "permuted 3-d"])
def test_gradgradcheck_on_inputs_that_are_views(layout):
    x = Tensor(LAYOUTS[layout](), requires_grad=True)
    assert gradgradcheck(lambda a: (a * a * a).sum(), [x])


# -- numerical_gradient: the one central-difference routine the checks and tests use -------------


def test_numerical_gradient_of_a_cubic_is_the_derivative_to_eps_squared():
    # f(x) = x³ at x = 2: (f(2 + ε) - f(2 - ε)) / 2ε = 12 + ε² exactly, so the error is ε² = 1e-8
    assert float(numerical_gradient(lambda x: x ** 3, 2.0, eps=1e-4)) == pytest.approx(12 + 1e-8,
                                                                                     rel=1e-9)
    # the five-point stencil is exact for a cubic: only rounding is left
    assert float(numerical_gradient(lambda x: x ** 3, 2.0, eps=1e-3, order=4)) == pytest.approx(
        12.0, rel=1e-10)


def test_numerical_gradient_keeps_the_structure_and_leaves_the_inputs_alone():
    W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0])
    before = (W.copy(), b.copy())
    dW, db = numerical_gradient(lambda W, b: float(np.sum((W @ b) ** 2)), [W, b])
    Wb = W @ b
    np.testing.assert_allclose(dW, 2 * np.outer(Wb, b), rtol=1e-8)
    np.testing.assert_allclose(db, 2 * W.T @ Wb, rtol=1e-8)
    assert np.array_equal(W, before[0]) and np.array_equal(b, before[1])
    grads = numerical_gradient(lambda p: float(p["w"] @ p["w"]), {"w": np.array([1.0, -2.0])})
    assert list(grads) == ["w"]
    np.testing.assert_allclose(grads["w"], [2.0, -4.0], rtol=1e-8)


def test_numerical_gradient_of_an_array_valued_f_is_the_jacobian_by_columns():
    x = np.array([1.0, 2.0, 3.0])
    J = numerical_gradient(lambda x: np.array([x[0] * x[1], x[2] ** 2]), x)
    assert J.shape == (3, 2)  # J[i] = d f / d x[i]
    np.testing.assert_allclose(J, [[2.0, 0.0], [1.0, 0.0], [0.0, 6.0]], atol=1e-8)


def test_numerical_gradient_names_a_wrong_order():
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        numerical_gradient(lambda x: x, 1.0, order=3)
