"""Property tests (hypothesis): every elementwise and reduction op on random shapes and
broadcasts, random expression trees over Value ops, and the scalar and tensor engines agreeing on
random small networks; all against finite differences in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from tinygrad_edu import Tensor, Value, grad, gradcheck, weighted_input  # noqa: E402

FAST = settings(max_examples=25, deadline=None)
floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, width=64)


def _array(draw, shape, lo=-3.0, hi=3.0):
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, width=64)))


def _far_from(x: np.ndarray, corners: list[float], gap: float = 1e-3) -> bool:
    return all(np.all(np.abs(x - c) > gap) for c in corners)


BINARY = {
    "add": (lambda a, b: a + b, None),
    "sub": (lambda a, b: a - b, None),
    "mul": (lambda a, b: a * b, None),
    "div": (lambda a, b: a / b, "b_away_from_0"),
    "pow": (lambda a, b: a ** b, "a_positive"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(data=st.data())
def test_binary_ops_broadcast(name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    fn, domain = BINARY[name]
    sa, sb = shapes.input_shapes
    a = _array(data.draw, sa, 0.2 if domain == "a_positive" else -3.0, 3.0)
    b = _array(data.draw, sb)
    if domain == "b_away_from_0":
        b = np.where(np.abs(b) < 0.2, 0.5, b)
    A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = fn(A, B)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert A.grad.shape == sa and B.grad.shape == sb  # broadcasting undone
    assert gradcheck(fn, [Tensor(a), Tensor(b)])


UNARY = {
    "neg": (lambda x: -x, []),
    "exp": (lambda x: x.exp(), []),
    "log": (lambda x: (x * x + 0.1).log(), []),
    "sigmoid": (lambda x: x.sigmoid(), []),
    "tanh": (lambda x: x.tanh(), []),
    "relu": (lambda x: x.relu(), [0.0]),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), [0.0]),
    "hard_sigmoid": (lambda x: x.hard_sigmoid(), [-2.0, 2.0]),
    "hard_tanh": (lambda x: x.hard_tanh(), [-1.0, 1.0]),
    "step": (lambda x: x.step(), [0.0]),
    "softmax": (lambda x: x.softmax(-1), []),
    "log_softmax": (lambda x: x.log_softmax(0) if x.ndim else x, []),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_ops_on_random_shapes(name, data):
    fn, corners = UNARY[name]
    shape = data.draw(hnp.array_shapes(min_dims=1 if "softmax" in name else 0, max_dims=3,
                                       max_side=3))
    x = _array(data.draw, shape)
    assume(_far_from(x, corners))
    out = fn(Tensor(x))
    assert out.shape == shape
    assert gradcheck(fn, Tensor(x))
    if x.ndim == 0 and "softmax" not in name:  # the scalar engine agrees on one number
        v = Value(float(x))
        fn(v).backward()
        t = Tensor(x, requires_grad=True)
        fn(t).backward()
        assert v.grad == pytest.approx(float(t.grad), rel=1e-12, abs=1e-300)


@st.composite
def reductions(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                   unique=True).map(tuple)))
    keepdims = draw(st.booleans())
    x = _array(draw, shape)
    return x, axis, keepdims


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@FAST
@given(case=reductions())
def test_reductions(op, case):
    x, axis, keepdims = case
    if op in ("max", "min"):
        flat = np.sort(x.ravel())
        assume(flat.size < 2 or np.min(np.diff(flat)) > 1e-4)  # no ties within eps
    out = getattr(Tensor(x), op)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, getattr(np, op)(x, axis=axis, keepdims=keepdims))
    assert gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), Tensor(x))


# -- random expression trees over Value ops ------------------------------------------------------

LEAVES = st.one_of(st.sampled_from(["x", "y", "z"]), floats.map(lambda c: ("const", c)))


def _extend(children):
    unary = st.tuples(st.sampled_from(["tanh", "sigmoid", "neg", "softexp", "softlog",
                                       "square"]), children)
    binary = st.tuples(st.sampled_from(["add", "sub", "mul", "safediv"]), children, children)
    return st.one_of(unary, binary)


TREES = st.recursive(LEAVES, _extend, max_leaves=12)


def _evaluate(tree, env):
    if isinstance(tree, str):
        return env[tree]
    op = tree[0]
    if op == "const":
        return tree[1]
    args = [_evaluate(t, env) for t in tree[1:]]
    a = args[0]
    if op == "tanh":
        return a.tanh() if isinstance(a, Value) else math.tanh(a)
    if op == "sigmoid":
        return a.sigmoid() if isinstance(a, Value) else 1 / (1 + math.exp(-a))
    if op == "neg":
        return -a
    if op == "softexp":  # e^{tanh a}: bounded
        t = a.tanh() if isinstance(a, Value) else math.tanh(a)
        return t.exp() if isinstance(t, Value) else math.exp(t)
    if op == "softlog":  # ln(1 + a²): defined everywhere
        s = 1.0 + a * a
        return s.log() if isinstance(s, Value) else math.log(s)
    if op == "square":
        return a ** 2
    b = args[1]
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    return a / (1.0 + b * b)  # safediv


@settings(max_examples=40, deadline=None)
@given(tree=TREES, x=floats, y=floats, z=floats)
def test_random_expression_trees_match_finite_differences(tree, x, y, z):
    def f(X, Y, Z):
        out = _evaluate(tree, {"x": X, "y": Y, "z": Z})
        return out if isinstance(out, Value) else X * 0.0 + out  # a constant tree

    values = [Value(x), Value(y), Value(z)]
    out = f(*values)
    assert math.isfinite(out.data)
    assert gradcheck(f, values, atol=1e-4, rtol=1e-3)


# -- the two engines agree on random small networks ----------------------------------------------

@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_scalar_and_tensor_engines_agree_on_random_networks(data):
    n_in = data.draw(st.integers(1, 4))
    n_hidden = data.draw(st.integers(1, 4))
    n_out = data.draw(st.integers(1, 3))
    n_images = data.draw(st.integers(1, 3))
    act = data.draw(st.sampled_from(["sigmoid", "tanh"]))
    W1, b1 = _array(data.draw, (n_hidden, n_in)), _array(data.draw, (n_hidden,))
    W2, b2 = _array(data.draw, (n_out, n_hidden)), _array(data.draw, (n_out,))
    X = _array(data.draw, (n_images, n_in), 0.0, 1.0)
    T = _array(data.draw, (n_images, n_out), 0.0, 1.0)

    # tensor engine: a layer at a time (§1-4)
    tW1, tb1, tW2, tb2 = (Tensor(p, requires_grad=True) for p in (W1, b1, W2, b2))
    a1 = getattr(Tensor(X) @ tW1.T + tb1, act)()
    a2 = getattr(a1 @ tW2.T + tb2, act)()
    C_tensor = (0.5 * (Tensor(T) - a2) ** 2).sum()
    tensor_grads = grad(C_tensor, [tW1, tb1, tW2, tb2])

    # scalar engine: a unit at a time (§1-3)
    vW1 = [[Value(w) for w in row] for row in W1]
    vb1 = [Value(b) for b in b1]
    vW2 = [[Value(w) for w in row] for row in W2]
    vb2 = [Value(b) for b in b2]
    C = Value(0.0, requires_grad=False)
    for x, t in zip(X, T):
        h = [getattr(weighted_input(w, list(x), b), act)() for w, b in zip(vW1, vb1)]
        o = [getattr(sum((wi * hi for wi, hi in zip(w, h)), b), act)() for w, b in zip(vW2, vb2)]
        C = C + sum(0.5 * (tk - ok) ** 2 for tk, ok in zip(t, o))
    C.backward()

    assert C.data == pytest.approx(C_tensor.item(), rel=1e-12, abs=1e-14)
    scalar_grads = [np.array([[v.grad for v in row] for row in vW1]),
                    np.array([v.grad for v in vb1]),
                    np.array([[v.grad for v in row] for row in vW2]),
                    np.array([v.grad for v in vb2])]
    for s, t in zip(scalar_grads, tensor_grads):
        np.testing.assert_allclose(s, t, rtol=1e-10, atol=1e-13)
