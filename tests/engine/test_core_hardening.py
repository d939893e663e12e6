"""What the engine's core promises where users used to get a silent wrong answer or a raw error:
grad mode per thread, a version counter for in-place changes, PyTorch's transpose, boolean masks,
copies that are copies, pow at its corners, truthiness and comparisons, dtypes, aliasing,
numerics at the edges, empty tensors, and errors that name the op and the fix."""

import math
import threading
import tracemalloc

import numpy as np
import pytest

from tinygrad_edu import Function, Tensor, Value, concatenate, enable_grad, grad, no_grad, stack


# -- threads ---------------------------------------------------------------------------------------

def test_no_grad_in_one_thread_never_changes_what_another_records():
    inside, go_on, results = threading.Event(), threading.Event(), {}

    def evaluator():
        with no_grad():
            inside.set()
            go_on.wait(5)
            results["other"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad

    t = threading.Thread(target=evaluator)
    t.start()
    inside.wait(5)
    y = Tensor([1.0], requires_grad=True) * 2  # this thread is not inside no_grad
    go_on.set()
    t.join()
    assert y.requires_grad and results["other"] is False


def test_backward_in_one_thread_does_not_switch_recording_off_in_another():
    stop = threading.Event()
    seen = []

    def trainer():
        w = Tensor(np.ones((50, 50)), requires_grad=True)
        while not stop.is_set():
            ((w @ w).tanh()).sum().backward()

    t = threading.Thread(target=trainer)
    t.start()
    try:
        for _ in range(300):
            seen.append((Value(1.0) * 2).requires_grad)
    finally:
        stop.set()
        t.join()
    assert all(seen)


# -- in-place changes: a version counter ----------------------------------------------------------

def test_changing_a_saved_input_in_place_before_backward_raises():
    w = Tensor([[1.0, 2.0]], requires_grad=True, label="w")
    C = (Tensor([[3.0], [4.0]]).T * w).sigmoid().sum()
    w.data -= 0.1  # a careless optimizer step before backward
    with pytest.raises(RuntimeError, match=r"mul: Tensor\(label='w'\) of shape \(1, 2\) was "
                                           r"changed in place"):
        C.backward()


def test_in_place_steps_after_backward_stay_legal_and_the_next_graph_is_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        C = (w * w).sum()
        C.backward()
        w.data -= 0.1 * w.grad  # the optimizer's own update
        w.grad = None
    assert w.data.tolist() == pytest.approx([1.0 * 0.8 ** 3, 2.0 * 0.8 ** 3])


def test_replacing_data_is_not_an_in_place_change():
    w = Tensor([1.0, 2.0], requires_grad=True)
    C = (w * w).sum()
    w.data = np.array([5.0, 5.0])  # a new array: the graph still holds the old numbers
    C.backward()
    assert w.grad.tolist() == [2.0, 4.0]


# -- transpose, masks, copies ---------------------------------------------------------------------

def test_transpose_swaps_two_dims_as_in_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.transpose(0, 1).shape == (3, 2)
    assert np.array_equal(x.transpose(0, 1).data, x.data.T)
    y = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert y.transpose(0, 2).shape == (4, 3, 2) and y.transpose(-1, 0).shape == (4, 3, 2)
    assert y.permute(1, 2, 0).shape == (3, 4, 2) and y.T.shape == (4, 3, 2)
    with pytest.raises(TypeError, match=r"use permute\(2, 0, 1\)"):
        y.transpose(2, 0, 1)
    with pytest.raises(TypeError, match="permute"):
        y.transpose((2, 0, 1))
    with pytest.raises(ValueError, match="not a permutation"):
        y.permute(0, 0, 1)


def test_boolean_and_float_tensor_indices():
    t = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = t[Tensor([True, False, True])]
    assert picked.data.tolist() == [10.0, 30.0]
    picked.sum().backward()
    assert t.grad.tolist() == [1.0, 0.0, 1.0]
    assert t[t > 15.0].data.tolist() == [20.0, 30.0]
    assert t[Tensor([[1.0, 2.0]]).argmax(dim=1)].data.tolist() == [20.0]
    with pytest.raises(IndexError, match="float index would be truncated"):
        t[Tensor([0.0, 1.0])]


def test_np_array_copies_and_np_asarray_shares():
    t = Tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 99.0
    assert t.data[0] == 1.0
    assert np.asarray(t) is t.data
    assert np.array(t, dtype=np.float32).dtype == np.float32
    c = t.clone()
    c.data[1] = 7.0
    assert t.data[1] == 2.0


# -- pow at its corners ---------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_pow_at_its_corners_gives_the_limits(engine):
    def leaf(x):
        return Value(x) if engine == "value" else Tensor(x, requires_grad=True)

    x = leaf(0.0)
    assert float(grad(x ** 0, x)[0]) == 0.0  # d/dx x^0 = 0, not 0·inf
    b = leaf(2.0)
    assert float(grad(0.0 ** b, b)[0]) == 0.0  # d/db 0^b = 0 for b > 0
    x = leaf(0.0)
    assert float(grad(grad(x ** 1, x, create_graph=True)[0], x)[0]) == 0.0
    x = leaf(0.0)
    assert float(grad(grad(x ** 2, x, create_graph=True)[0], x)[0]) == 2.0
    assert float(Value(-0.0) ** -1) == -math.inf
    assert float(Tensor(-0.0) ** -1) == -math.inf


# -- truthiness and comparisons -------------------------------------------------------------------

def test_truthiness_and_comparisons():
    assert not bool(Tensor([0.0])) and bool(Tensor(3.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert not Value(0.0) and Value(-1.0)
    a, b = Value(1.0), Value(2.0)
    assert a < b and b >= a and a < 1.5 and sorted([b, a]) == [a, b] and max(a, b) is b
    assert a != Value(1.0)  # identity: Values are dict keys, as in micrograd
    assert len({a, b, a}) == 2
    eq = Tensor([1.0, 2.0]) == Tensor([1.0, 3.0])
    assert eq.dtype == np.bool_ and eq.data.tolist() == [True, False] and not eq.requires_grad
    assert (Tensor([1.0, 2.0]) < 1.5).data.tolist() == [True, False]
    t = Tensor([1.0])
    assert {t: 1}[t] == 1  # hashable by identity


# -- dtypes and aliasing --------------------------------------------------------------------------

def test_float32_stays_float32():
    x = Tensor(np.array([-1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert x.leaky_relu().dtype == np.float32
    assert (np.float64(2.0) * x).dtype == np.float32
    assert (x * np.float32(3.0) + 1).dtype == np.float32
    (x.leaky_relu() * np.float64(2)).sum().backward()
    assert x.grad.dtype == np.float32


def test_backward_never_freezes_or_shares_the_callers_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0])
    a.backward(g)
    assert g.flags.writeable and a.grad is not g
    g[0] = 5.0
    assert a.grad.tolist() == [1.0, 1.0]
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 0.5
    assert b.grad.tolist() == [1.0, 1.0]


class _TwoViews(Function):
    """c = a + b, whose rule hands both inputs a view of one array."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        twice = grad * 2.0
        return twice[:], twice.reshape(twice.shape)


def test_the_gradient_of_a_sum_is_a_view_and_each_leaf_gets_its_own_array():
    """A sum's rule hands on its gradient repeated as a read-only view (no array of the
    input's size); each leaf that keeps it gets a writable array of its own."""
    a = Tensor(np.full((400, 500), 2.0), requires_grad=True)
    b = Tensor(np.full((400, 500), 3.0), requires_grad=True)
    cost = (a * b).sum()
    tracemalloc.start()
    try:
        cost.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.2 * a.data.nbytes  # a.grad and b.grad, nothing else of their size
    assert cost.grad_fn.inputs[0].grad.strides == (0, 0) and not cost.grad_fn.inputs[0].grad.flags.writeable
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    for _ in range(2):  # a first piece, then one added to it
        (x + x).sum().backward()
    assert x.grad.flags.writeable and x.grad.strides == (24, 8) and x.grad.tolist() == [[4.0] * 3] * 2
    x.grad[0, 0] = 7.0  # its own memory: the other elements stay
    assert x.grad.tolist() == [[7.0, 4.0, 4.0], [4.0] * 3]
    assert a.grad.flags.writeable and not np.shares_memory(a.grad, b.grad)
    assert a.grad[0, 0] == 3.0 and b.grad[-1, -1] == 2.0
    g = grad(x.sum(), x)[0]  # grad() hands back arrays of the caller's own, as .grad is
    assert g.flags.writeable and g.strides == (24, 8) and g.tolist() == [[1.0] * 3] * 2
    ga, gb = grad((a + b).sum(), [a, b])
    assert ga.flags.writeable and gb.flags.writeable and not np.shares_memory(ga, gb)


def test_two_leaves_never_share_memory_even_through_views():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    _TwoViews.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad) and a.grad.tolist() == b.grad.tolist() == [2.0, 2.0]
    a.grad *= 0.5
    assert b.grad.tolist() == [2.0, 2.0]
    c = Tensor([[1.0, 2.0]], requires_grad=True)
    (c.T * 3.0).sum().backward()  # a view of what the c.T node keeps, which the leaf may keep
    assert c.grad.tolist() == [[3.0, 3.0]] and c.grad.flags.writeable


def test_grad_of_two_inputs_gives_two_arrays():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    ga, gb = grad((a + b).sum(), [a, b])
    assert ga is not gb


# -- numerics at the edges ------------------------------------------------------------------------

def test_numerics_at_the_edges():
    x, y = Value(1e-200), Value(1e-200)
    q = x / y
    q.backward()
    assert q.data == 1.0 and x.grad == pytest.approx(1e200) and y.grad == pytest.approx(-1e200)
    assert Tensor(-1000.0).sigmoid().item() == 0.0 == Value(-1000.0).sigmoid().data
    assert Tensor(1000.0).sigmoid().item() == 1.0
    for op in ("relu", "hard_tanh", "hard_sigmoid"):
        z = Tensor([-3.0, 0.5], requires_grad=True)
        getattr(z, op)().backward(np.array([np.inf, 1.0]))
        assert z.grad[0] == 0.0  # a flat region passes 0, even for an infinite gradient
        v = Value(-3.0)
        getattr(v, op)().backward(math.inf)
        assert v.grad == 0.0
    with np.errstate(all="raise"):  # no RuntimeWarning either
        assert Tensor(1000.0).exp().item() == math.inf
        assert math.isnan(Tensor([1.0, np.nan]).max().item())


def test_empty_tensors():
    assert math.isnan(Tensor(np.zeros((0, 3))).mean().item())
    assert Tensor(np.zeros((0, 3))).max(axis=1).shape == (0,)
    assert Tensor(np.zeros((0, 3))).sum(axis=0).data.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="max over an empty axis"):
        Tensor(np.zeros((0, 3))).max(axis=0)


# -- errors that name the op and the fix ----------------------------------------------------------

def test_errors_name_the_op_and_the_fix():
    with pytest.raises(RuntimeError, match="does not require a gradient; create it with "
                                           "requires_grad=True"):
        grad((Tensor([1.0], requires_grad=True) * 2).sum(), Tensor([1.0]))[0]
    with pytest.raises(TypeError, match="stack joins Tensors, got a Value"):
        stack([Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match="concatenate joins Tensors"):
        concatenate([Value(1.0)])
    with pytest.raises(TypeError, match="reshape: sizes must be integers, got 3.0"):
        Tensor(np.zeros(6)).reshape(3.0, 2)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d Tensor"):
        len(Tensor(1.0))
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10 ** 400)

    class Stringy(Function):
        @staticmethod
        def forward(ctx, x):
            return "oops"

        @staticmethod
        def backward(ctx, g):
            return g

    class Nothing(Stringy):
        @staticmethod
        def forward(ctx, x):
            return None

    for fn in (Stringy, Nothing):
        for x in (Value(1.0), Tensor([1.0])):
            with pytest.raises(TypeError, match=f"{fn.__name__}.forward returned"):
                fn.apply(x)
    with pytest.raises(ValueError, match=r"^log_softmax: axis 5 is out of"):
        Tensor(np.zeros((2, 3))).log_softmax(axis=5)
    with pytest.raises(ValueError, match=r"^broadcast_to: "):
        Tensor(np.zeros(3)).broadcast_to((2, 4))


def test_a_users_function_is_named_as_written_and_its_ctx_is_its_own():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape  # the ctx is the op's own record, not the result node
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.args
            return 2 * x * g

    y = Square.apply(Tensor([3.0], requires_grad=True))
    assert y.grad_fn.shape == (1,) and y.shape == (1,) and Square.name() == "Square"
    (g,) = grad(y.sum(), y.grad_fn.inputs[0])
    assert g.tolist() == [6.0]


# -- hooks ----------------------------------------------------------------------------------------

def test_hooks_must_return_the_nodes_shape_and_may_return_a_tensor():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"returned a gradient of shape \(2, 3\) for Tensor "
                                         r"of shape \(3,\)"):
        y.sum().backward()
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: Tensor(g * 10))
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    h.remove()

    def broken(g):
        raise KeyError("mine")

    z = x * 3
    z.register_hook(broken)
    with pytest.raises(KeyError, match="hook 'broken' on Tensor raised"):
        z.sum().backward()


def test_a_function_backward_returning_a_tensor_is_accepted():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return Tensor(2 * g)

    x = Tensor([1.0, 2.0], requires_grad=True)
    Twice.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_enable_grad_inside_no_grad():
    with no_grad():
        with enable_grad():
            assert (Value(1.0) * 2).requires_grad
        assert not (Value(1.0) * 2).requires_grad


def test_flatten_of_0d_and_draw_graph_of_a_number_say_what_to_do():
    from tinygrad_edu import nn
    from tinygrad_edu.viz import draw_graph

    with pytest.raises(ValueError, match="Flatten: a 0-d input has no batch axis"):
        nn.Flatten()(Tensor(1.0))
    with pytest.raises(TypeError, match="draw_graph needs a Value or a Tensor .* got float"):
        draw_graph(3.0)


def test_a_weights_gradient_is_a_plain_array_whichever_way_it_is_multiplied():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 3))
    for how in ("x @ W.T", "x @ W"):
        W = Tensor(rng.standard_normal((3, 4)) if how == "x @ W.T" else rng.standard_normal((4, 3)),
                   requires_grad=True)
        z = Tensor(x) @ (W.T if how == "x @ W.T" else W)
        z.backward(g)
        want = g.T @ x if how == "x @ W.T" else x.T @ g
        np.testing.assert_allclose(W.grad, want, rtol=1e-13, atol=1e-13)
        assert W.grad.flags.c_contiguous and W.grad.flags.writeable, how


def test_ops_silence_numpys_warnings_only_inside_themselves():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Tensor([-1000.0]).sigmoid().item() == 0.0
        assert Tensor([1000.0]).exp().item() == float("inf")
        assert np.isnan(Tensor([-1.0]).log().item()) and (Tensor([1.0]) / 0.0).item() == np.inf
        with np.errstate(over="raise"):  # the caller's own setting is back after each op
            Tensor([1000.0]).exp()
            with pytest.raises(FloatingPointError):
                np.exp(np.array([1000.0]))
        with pytest.raises(RuntimeWarning):
            np.exp(np.array([1000.0]))
