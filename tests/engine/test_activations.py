"""The book's activation conventions (§1-2, §1-3): corners pinned, stability from -1000 to 1000."""
import math
import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value


def dvalue(method, z, **kw):
    v = Value(z)
    getattr(v, method)(**kw).backward()
    return v.grad


def dtensor(method, z, **kw):
    t = Tensor(np.array([z]), requires_grad=True)
    getattr(t, method)(**kw).sum().backward()
    return float(t.grad[0])


ENGINES = [dvalue, dtensor]


@pytest.mark.parametrize("d", ENGINES)
def test_step_fires_at_threshold_and_has_zero_gradient(d):
    # §1-2: the neuron fires when the sum reaches θ (w·x >= θ, the book's definition), so u(0) = 1
    assert Value(0.0).step().data == 1.0 and Value(-1e-12).step().data == 0.0
    assert Tensor([-1.0, 0.0, 2.0]).step().data.tolist() == [0.0, 1.0, 1.0]
    for z in (-1.0, 0.0, 1.0):
        assert d("step", z) == 0.0
        assert d("step", z, surrogate="ste") == 1.0
    s = 1 / (1 + math.exp(-0.5))
    assert d("step", 0.5, surrogate="sigmoid") == pytest.approx(s * (1 - s), rel=1e-14)
    with pytest.raises(ValueError, match="surrogate"):
        Value(1.0).step(surrogate="magic")


@pytest.mark.parametrize("d", ENGINES)
def test_corner_derivatives(d):
    assert d("relu", 0.0) == 0.0 and d("relu", 1e-9) == 1.0 and d("relu", -1e-9) == 0.0
    assert d("leaky_relu", 0.0, slope=0.1) == pytest.approx(0.1)
    assert d("leaky_relu", 1e-9, slope=0.1) == 1.0
    for corner in (-2.0, 2.0):
        assert d("hard_sigmoid", corner) == 0.0
    assert d("hard_sigmoid", 1.999) == 0.25 and d("hard_sigmoid", -1.999) == 0.25
    assert d("hard_sigmoid", 2.5) == 0.0
    for corner in (-1.0, 1.0):
        assert d("hard_tanh", corner) == 0.0
    assert d("hard_tanh", 0.999) == 1.0 and d("hard_tanh", -1.5) == 0.0
    assert d("sigmoid", 0.0) == 0.25 and d("tanh", 0.0) == 1.0


def test_hard_variants_are_the_first_order_expansions():
    for z in np.linspace(-1.9, 1.9, 9):
        assert Value(z).hard_sigmoid().data == pytest.approx(0.25 * z + 0.5)
        sig = 1 / (1 + math.exp(-z))
        if abs(z) < 0.3:  # the expansion at 0: σ(z) ≈ 1/2 + z/4
            assert Value(z).hard_sigmoid().data == pytest.approx(sig, abs=1e-3)


EXTREMES = np.array([-1000.0, -710.0, -50.0, 0.0, 50.0, 710.0, 1000.0])


def test_sigmoid_tanh_stable_on_value():
    for z in EXTREMES:
        for method in ("sigmoid", "tanh"):
            v = Value(float(z))
            a = getattr(v, method)()
            a.backward()
            assert math.isfinite(a.data) and math.isfinite(v.grad)
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).sigmoid().data == 1.0


@pytest.mark.parametrize("method", ["sigmoid", "tanh", "softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tensor_stable_from_minus_to_plus_1000(method, dtype):
    x = Tensor(EXTREMES.astype(dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(x, method)()
        (y * Tensor(np.linspace(-1, 1, EXTREMES.size))).sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    assert y.dtype == dtype and x.grad.dtype == dtype


def test_softmax_values():
    y = Tensor([[1000.0, 1000.0], [-1000.0, 0.0]]).softmax(axis=1).data
    assert np.allclose(y, [[0.5, 0.5], [0.0, 1.0]])
    ls = Tensor([1000.0, 0.0]).log_softmax().data
    assert ls[0] == 0.0 and ls[1] == -1000.0


def test_log_of_zero():
    v = Value(0.0)
    y = v.log()
    y.backward()
    assert y.data == -math.inf and v.grad == math.inf
    t = Tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = t.log()
        y.sum().backward()
    assert y.data[0] == -math.inf and t.grad[0] == math.inf and t.grad[1] == 1.0
    assert math.isnan(Value(-1.0).log().data)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_the_step_fires_at_zero_unless_strict(engine):
    from tinygrad_edu import Tensor, Value

    z = [-1.0, 0.0, 1.0]
    if engine == "value":
        fired = [Value(v).step().data for v in z]
        strict = [Value(v).step(strict=True).data for v in z]
    else:
        fired = Tensor(z).step().data.tolist()
        strict = Tensor(z).step(strict=True).data.tolist()
    assert fired == [0.0, 1.0, 1.0]  # the book: fires when the sum reaches θ (§1-2)
    assert strict == [0.0, 0.0, 1.0]  # some texts: only above θ
