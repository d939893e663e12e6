"""Backward's semantics: iterative, linear, reuse, second calls, custom Functions (one core)."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function, Tensor, Value, gradcheck


class Cube(Function):
    """A user-defined op, written as the built-in ones are."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        Cube.calls += 1
        (x,) = ctx.saved_values
        return grad * 3 * x ** 2


def test_custom_function_on_both_engines():
    v = Value(2.0)
    y = Cube.apply(v)
    y.backward()
    assert y.data == 8.0 and v.grad == 12.0
    t = Tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(t).sum().backward()
    assert t.grad.tolist() == [3.0, 12.0]
    assert gradcheck(lambda t: Cube.apply(t), Tensor([0.3, -1.2]))


def test_custom_function_that_returns_too_few_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradient"):
        Bad.apply(Value(1.0), Value(2.0)).backward()


def test_needs_input_grad_and_ctx_attributes():
    seen = {}

    class Spy(Function):
        @staticmethod
        def forward(ctx, a, b, scale=1.0):
            seen["needs"] = ctx.needs_input_grad
            ctx.scale = scale
            return a * b * scale

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale, None

    x = Value(2.0)
    Spy.apply(x, 5.0, scale=3.0).backward()
    assert seen["needs"] == (True, False) and x.grad == 3.0


@pytest.mark.slow
def test_deep_chain_of_a_million_ops_is_iterative():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(1.5, rel=1e-9)


@pytest.mark.slow
def test_each_op_backward_runs_exactly_once_on_wide_fan_out():
    # one node feeding 100,000 others: linear work means one backward call per op
    Cube.calls = 0
    a = Value(1.5)
    outs = [Cube.apply(a) for _ in range(100_000)]
    total = outs[0] + 0.0
    for o in outs[1:]:
        total = total + o
    total.backward()
    assert Cube.calls == 100_000
    assert a.grad == pytest.approx(100_000 * 3 * 1.5 ** 2, rel=1e-12)


def test_diamond_reuse_in_tensors():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a + a
    c = b + b
    c.sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_graph_is_freed_when_result_dropped():
    import gc
    import weakref
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * 2
    ref = weakref.ref(h)
    y = (h.sigmoid() * 3).sum()
    del h
    y.backward()
    assert ref() is not None  # alive while y holds the graph
    del y
    gc.collect()
    assert ref() is None


def test_hooks_see_and_replace_gradients():
    x = Value(3.0)
    h = x * 2.0
    seen = []
    h.register_hook(lambda g: seen.append(g))
    handle = x.register_hook(lambda g: g * 10)
    (h * h).backward()  # d/dh = 2h = 12, d/dx = 24
    assert seen == [12.0] and x.grad == 240.0
    handle.remove()
    x.zero_grad()
    (h * h).backward()
    assert x.grad == 24.0


def test_mixing_engines_is_refused_clearly():
    with pytest.raises(TypeError, match="cannot mix a Value and a Tensor"):
        Value(1.0) + Tensor([1.0])
    with pytest.raises(TypeError, match="cannot mix a Tensor and a Value"):
        Tensor([1.0]) * Value(1.0)


def test_grad_function_leaves_dot_grad_alone():
    x = Value(0.3)
    y = x.sigmoid() * x
    (g,) = tg.grad(y, x)  # a tuple, as torch.autograd.grad
    assert x.grad == 0.0
    s = 1 / (1 + np.exp(-0.3))
    assert g == pytest.approx(s * (1 - s) * 0.3 + s, rel=1e-14)


def test_second_derivatives_through_create_graph():
    x = Value(0.7)
    (d1,) = tg.grad(x ** 3, x, create_graph=True)
    (d2,) = tg.grad(d1, x)
    assert d1.data == pytest.approx(3 * 0.49) and d2 == pytest.approx(6 * 0.7)
    t = Tensor([0.2, -0.5], requires_grad=True)
    (g,) = tg.grad(t.tanh().sum(), [t], create_graph=True)
    (h,) = tg.grad(g.sum(), [t])
    th = np.tanh(t.data)
    assert np.allclose(h, -2 * th * (1 - th ** 2))


def test_backward_order_is_the_order_backward_completes_nodes():
    from tinygrad_edu import backward_order, topological_order

    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    d = c + a
    e = d.tanh() * c
    seen = []
    for node in (a, b, c, d, e):
        node.register_hook(lambda g, node=node: seen.append(node))
    e.backward()
    hooked = {id(n) for n in (a, b, c, d, e)}
    order = backward_order(e)
    assert [n for n in order if id(n) in hooked] == seen  # the same nodes, in the same order
    assert len(order) == 6  # e = tanh(d)·c, tanh(d), d = c + a, c = a·b, and the leaves b, a
    forward = topological_order(e)
    position = {id(n): i for i, n in enumerate(forward)}
    for n in forward:  # each node after all of its inputs
        for p in (n.grad_fn.inputs if n.grad_fn is not None else ()):
            if p is not None:
                assert position[id(p)] < position[id(n)]
    assert backward_order(a) == [a]


def test_grad_hands_each_input_an_array_of_its_own():
    # add's rule hands one array to both inputs; grad() gives each caller's input its own copy
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    ga, gb = tg.grad(((a + b) * 2.0).sum(), [a, b])
    assert ga.tolist() == gb.tolist() == [2.0, 2.0] and ga is not gb
    ga[0] = 7.0
    assert gb[0] == 2.0
