"""The tensor engine: every op through gradcheck on shapes that exercise broadcasting (§1-4)."""
import numpy as np
import pytest

from tinygrad_edu import Tensor, concatenate, gradcheck, no_grad, stack


def T(rng, *shape, low=None):
    data = rng.standard_normal(shape)
    if low is not None:
        data = np.abs(data) + low
    return Tensor(data)


BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                   ((), (2, 3)), ((5,), ())]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
def test_binary_broadcasting(rng, op, shapes):
    a, b = T(rng, *shapes[0], low=0.5), T(rng, *shapes[1], low=0.5)
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}[op]
    assert gradcheck(f, [a, b])


UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "leaky_relu", "hard_sigmoid", "hard_tanh",
         "softmax", "log_softmax", "neg"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops(rng, name):
    x = T(rng, 3, 4, low=0.1) if name == "log" else Tensor(rng.uniform(-2.5, 2.5, (3, 4)))
    f = (lambda t: -t) if name == "neg" else (lambda t: getattr(t, name)())
    assert gradcheck(f, x)


def test_activation_values_agree_with_value_engine(rng):
    from tinygrad_edu import Value
    xs = rng.uniform(-3, 3, 7)
    for name in ["exp", "sigmoid", "tanh", "relu", "leaky_relu", "hard_sigmoid", "hard_tanh",
                 "step"]:
        t = getattr(Tensor(xs), name)().data
        v = [getattr(Value(float(x)), name)().data for x in xs]
        assert np.allclose(t, v, rtol=1e-15, atol=1e-16), name


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
                                    ((2, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2)),
                                    ((5, 2, 3), (3,))])
def test_matmul_cases(rng, shapes):
    a, b = T(rng, *shapes[0]), T(rng, *shapes[1])
    assert np.allclose((a @ b).data, a.data @ b.data)
    assert gradcheck(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min"])
def test_reductions(rng, axis, keepdims, reduction):
    x = T(rng, 2, 3, 4)
    y = getattr(x, reduction)(axis=axis, keepdims=keepdims)
    assert np.allclose(y.data, getattr(x.data, reduction)(axis=axis, keepdims=keepdims))
    assert gradcheck(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), x)


def test_max_ties_share_the_gradient():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]


def test_shapes(rng):
    x = T(rng, 2, 3, 4)
    assert gradcheck(lambda t: t.reshape(4, 6) * 1.5, x)
    assert gradcheck(lambda t: t.reshape((3, -1)).T, x)
    assert gradcheck(lambda t: t.permute(1, 0, 2), x)
    assert gradcheck(lambda t: t.transpose(0, 2), x)
    assert gradcheck(lambda t: t.transpose(), x)
    assert x.T.shape == (4, 3, 2) and x.reshape(-1).shape == (24,)
    assert gradcheck(lambda t: t.broadcast_to((5, 2, 3, 4)), x)


@pytest.mark.parametrize("index", [1, (slice(None), 2), (Ellipsis, slice(1, 3)), (0, slice(None, None, -1)),
                                   ([0, 1, 1],), (slice(None), [2, 0, 2])])
def test_indexing(rng, index):
    x = T(rng, 2, 3, 4)
    assert np.array_equal(x[index].data, x.data[index])
    assert gradcheck(lambda t: t[index] * 2.0, x)


def test_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    mask = Tensor([True, False, True])  # booleans stay booleans: a mask, as in PyTorch
    assert mask.dtype == np.bool_
    assert Tensor([10.0, 20.0, 30.0])[mask].data.tolist() == [10.0, 30.0]
    assert Tensor([1.0, 2.0, 3.0])[np.array([True, False, True])].data.tolist() == [1.0, 3.0]


def test_concatenate_and_stack(rng):
    a, b, c = T(rng, 2, 3), T(rng, 2, 1), T(rng, 2, 3)
    assert gradcheck(lambda a, b: concatenate([a, b], axis=1), [a, b])
    assert gradcheck(lambda a, c: concatenate([a, c]), [a, c])
    assert gradcheck(lambda a, c: stack([a, c], axis=1), [a, c])
    assert gradcheck(lambda a, c: stack([a, c], axis=-1) * 2.0, [a, c])
    assert stack([a, c]).shape == (2, 2, 3)


def test_softmax_on_other_axis(rng):
    x = T(rng, 3, 4)
    assert np.allclose(x.softmax(axis=0).data.sum(axis=0), 1.0)
    assert gradcheck(lambda t: t.softmax(axis=0), x)
    assert gradcheck(lambda t: t.log_softmax(axis=0), x)


def test_dtypes(rng):
    assert Tensor([1, 2]).dtype == np.float64
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x32 * 2.0 + 1).sigmoid()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    assert Tensor([1.0], dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        Tensor([1.0], dtype="int32", requires_grad=True)
    assert Tensor([1.0], dtype="int32").dtype == np.int32  # indices, outside the graph


def test_grad_is_none_until_backward_and_can_be_cleared():
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert w.grad is None
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 8.0]  # accumulates until cleared
    w.grad = None
    (w * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_a_gradient_shared_by_two_leaves_is_two_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # a + b hands one gradient to both: each leaf gets its own array
    assert a.grad is not b.grad
    a.grad *= 10  # changing one in place leaves the other alone
    assert a.grad.tolist() == [10.0, 10.0] and b.grad.tolist() == [1.0, 1.0]
    (a + b).sum().backward()  # accumulating makes fresh arrays
    assert a.grad.tolist() == [11.0, 11.0] and b.grad.tolist() == [2.0, 2.0]


def test_backward_with_explicit_gradient(rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = x * 3.0
    g = rng.standard_normal((2, 3))
    y.backward(g)
    assert np.allclose(x.grad, 3.0 * g)


def test_no_grad_and_detach():
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
    assert y.is_leaf and not y.requires_grad
    d = (w * 2).detach()
    assert d.is_leaf and not d.requires_grad
    assert not (Tensor([1.0]) * 2).requires_grad  # data tensors record nothing


def test_ndarray_on_the_left_defers_to_tensor():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * w
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 5, 3), (3,)])
def test_a_layer_written_with_plain_ops_is_right_to_second_order(rng, x_shape):
    from tinygrad_edu.tools.checks import gradgradcheck
    x, w, b = T(rng, *x_shape), T(rng, 4, 3), T(rng, 4)
    z = x @ w.T + b  # Z = X Wᵀ + b, as nn.Linear computes it
    assert np.allclose(z.data, x.data @ w.data.T + b.data)
    assert gradcheck(lambda x, w, b: x @ w.T + b, [x, w, b])
    assert gradgradcheck(lambda x, w, b: (x @ w.T + b).tanh(), [x, w, b])
