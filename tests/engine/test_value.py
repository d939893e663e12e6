"""The scalar engine: Value's ops against closed forms and finite differences (§1-3)."""
import math

import pytest

from tinygrad_edu import Value, gradcheck, no_grad


def test_the_books_unit_example():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-0.3, label="b")
    a = (w * x + b).sigmoid()
    a.backward()
    z = 0.5 * 2.0 - 0.3
    s = 1 / (1 + math.exp(-z))
    assert a.data == pytest.approx(s, rel=1e-15)
    assert w.grad == pytest.approx(2.0 * s * (1 - s), rel=1e-14)
    assert x.grad == pytest.approx(0.5 * s * (1 - s), rel=1e-14)
    assert b.grad == pytest.approx(s * (1 - s), rel=1e-14)
    assert isinstance(a.data, float) and isinstance(w.grad, float)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "radd": lambda a, b: 2.5 + a * b, "rsub": lambda a, b: 2.5 - a * b,
    "rmul": lambda a, b: 2.5 * a + b, "rdiv": lambda a, b: 2.5 / (a + b),
    "rpow": lambda a, b: 1.7 ** (a - b), "neg": lambda a, b: -a * b,
    "pow_const": lambda a, b: a ** 3 + b ** -1.5,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_gradcheck(name):
    assert gradcheck(BINARY[name], [Value(1.3), Value(0.7)])


UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "leaky_relu", "hard_sigmoid", "hard_tanh"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [-2.7, -0.4, 0.35, 1.6, 3.2])
def test_unary_ops_gradcheck(name, x):
    if name == "log" and x <= 0:
        x = -x
    assert gradcheck(lambda v: getattr(v, name)(), Value(x))


def test_forward_values_match_math():
    x = 0.8
    assert Value(x).exp().data == math.exp(x)
    assert Value(x).log().data == math.log(x)
    assert Value(x).tanh().data == pytest.approx(math.tanh(x), abs=1e-16)
    assert Value(x).tanh().data == pytest.approx(2 / (1 + math.exp(-2 * x)) - 1, abs=1e-15)
    assert Value(-x).relu().data == 0.0 and Value(x).relu().data == x
    assert Value(-x).leaky_relu(0.1).data == pytest.approx(-0.08)
    assert Value(x).hard_sigmoid().data == pytest.approx(0.25 * x + 0.5)
    assert Value(5.0).hard_sigmoid().data == 1.0 and Value(-5.0).hard_sigmoid().data == 0.0
    assert Value(-3.0).hard_tanh().data == -1.0 and Value(0.3).hard_tanh().data == 0.3
    assert (Value(7.0) / 2).data == 3.5 and (2 ** Value(3.0)).data == 8.0


def test_python_numbers_on_either_side_and_types():
    v = Value(2.0)
    for out in (v + 1, 1 + v, v - 1, 1 - v, v * 3, 3 * v, v / 4, 4 / v, v ** 2, 2 ** v, -v):
        assert isinstance(out, Value) and isinstance(out.data, float)
    assert (1 - v).data == -1.0 and (4 / v).data == 2.0
    assert sum([Value(1.0), Value(2.0), Value(3.0)]).data == 6.0


def test_reuse_sums_gradients_a_plus_a():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    d = Value(2.0)
    e = d * d * d  # d³: 3d² = 12
    e.backward()
    assert d.grad == 12.0


def test_second_backward_accumulates_into_leaves_only():
    x = Value(0.5)
    h = x * 3.0
    y = h.tanh()
    y.backward()
    first_x, first_h = x.grad, h.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first_x, rel=1e-15)  # leaves accumulate
    assert h.grad == first_h                                   # intermediates: latest call
    x.zero_grad()
    assert x.grad == 0.0
    y.backward()
    assert x.grad == first_x


def test_no_grad_records_nothing_and_detach():
    x = Value(1.0)
    with no_grad():
        y = x * 2 + 1
    assert y.is_leaf and not y.requires_grad and y.data == 3.0
    z = (x * 2).detach()
    assert z.is_leaf and not z.requires_grad and z.data == 2.0
    w = z * x  # only x gets a gradient
    w.backward()
    assert x.grad == 2.0 and z.grad == 0.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_requires_grad_false_leaf_gets_no_gradient():
    c = Value(4.0, requires_grad=False)
    x = Value(2.0)
    (c * x).backward()
    assert x.grad == 4.0 and c.grad == 0.0


def test_division_and_powers_follow_ieee():
    assert (Value(1.0) / 0.0).data == math.inf
    assert (Value(-1.0) / 0.0).data == -math.inf
    assert math.isnan((Value(0.0) / 0.0).data)
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(0.0) ** -1).data == math.inf
    assert Value(1000.0).exp().data == math.inf


def test_float_of_a_value_leaves_the_graph_as_the_guarantees_say():
    """docs/guarantees.md §10: math.exp(v) sees float(v), a constant; v.exp() stays in the graph."""
    v = Value(1.0)
    (v * math.exp(v)).backward()
    assert v.grad == pytest.approx(math.e, rel=1e-15)  # d(v·e)/dv: e^v was a constant
    w = Value(1.0)
    (w * w.exp()).backward()
    assert w.grad == pytest.approx(2 * math.e, rel=1e-15)  # d(w·e^w)/dw
