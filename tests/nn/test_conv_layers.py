"""nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Sequential: the book's CNN built from modules (§5-4).

Needs the nn package (Module, Parameter, Linear); skipped where it is not there yet.
"""

import numpy as np
import pytest

pytest.importorskip("tinygrad_edu.nn.module")

from tinygrad_edu import gradcheck  # noqa: E402
from tinygrad_edu.book.delta import cnn_delta_gradients  # noqa: E402
from tinygrad_edu.datasets import book_cnn_params, book_digits_6x6  # noqa: E402
from tinygrad_edu.nn.conv import Conv2d, Flatten, MaxPool2d, Sequential  # noqa: E402
from tinygrad_edu.nn.linear import Linear  # noqa: E402
from tinygrad_edu import Tensor  # noqa: E402
from tinygrad_edu.conv import conv2d  # noqa: E402


def book_net(name: str) -> Sequential:
    p = book_cnn_params(name)
    return Sequential(
        Conv2d(1, 3, 3, activation="sigmoid", weight=p["F"].reshape(3, 1, 3, 3), bias_value=p["bF"]),
        MaxPool2d(2), Flatten(),
        Linear(12, 3, "sigmoid", weight=p["Wo"].reshape(3, 12), bias_value=p["bo"]))


def test_book_cnn_from_modules_equals_delta_method():
    X, T = book_digits_6x6(one_hot=True)
    net = book_net("5-4-initial")
    assert list(net.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]  # torch's
    aO = net(Tensor(X.reshape(-1, 1, 6, 6)))
    C_T = 0.5 * ((Tensor(T) - aO) ** 2).sum()
    assert C_T.item() == pytest.approx(12.544462370300653, rel=1e-12)
    C_T.backward()
    _, grads = cnn_delta_gradients(book_cnn_params("5-4-initial"), X, T)
    np.testing.assert_allclose(net[0].weight.grad.reshape(3, 3, 3), grads["F"], atol=1e-10)
    np.testing.assert_allclose(net[0].bias.grad, grads["bF"], atol=1e-10)
    np.testing.assert_allclose(net[3].weight.grad.reshape(3, 3, 2, 2), grads["Wo"], atol=1e-10)
    np.testing.assert_allclose(net[3].bias.grad, grads["bo"], atol=1e-10)


def test_conv2d_module_gradcheck_and_shapes(rng):
    conv = Conv2d(2, 4, (3, 2), stride=2, padding=1, seed=5)
    assert conv.weight.shape == (4, 2, 3, 2) and np.abs(conv.weight.data).max() <= 1 / np.sqrt(12)
    x = Tensor(rng.standard_normal((2, 2, 5, 6)))
    assert conv(x).shape == (2, 4, 3, 4)
    w, b = conv.weight, conv.bias
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, stride=2, padding=1).tanh(), [x, w, b])
    assert Conv2d(1, 2, 3, bias=False).bias is None
    with pytest.raises(ValueError, match="Conv2d: weight has shape"):
        Conv2d(1, 2, 3, weight=np.zeros((2, 1, 2, 2)))


def test_sequential_with_named_layers_is_the_books_cnn():
    """Sequential({"name": module, ...}) (PyTorch's OrderedDict form): the book's layer names in
    the state_dict and the scopes, run in the order given; it computes what the plain one does."""
    p = book_cnn_params("5-4-initial")
    plain = book_net("5-4-initial")
    named = Sequential({"convolution": plain[0], "pooling": MaxPool2d(2), "flatten": Flatten(),
                        "output": plain[3]})
    assert list(named.state_dict()) == ["convolution.weight", "convolution.bias",
                                        "output.weight", "output.bias"]
    assert len(named) == 4 and named[0] is named.convolution and named[-1] is named.output
    assert "(convolution) Conv2d(1 -> 3" in repr(named) and "(0) Conv2d" in repr(book_net("5-4-initial"))
    X, T = book_digits_6x6(one_hot=True)
    aO = named(Tensor(X.reshape(-1, 1, 6, 6)))
    C_T = 0.5 * ((Tensor(T) - aO) ** 2).sum()
    assert C_T.item() == pytest.approx(12.544462370300653, rel=1e-12)
    assert {n.scope[-1].name for n in (aO, aO.grad_fn.inputs[0])} == {"output"}
    np.testing.assert_array_equal(named.convolution.weight.data.reshape(3, 3, 3), p["F"])
    with pytest.raises(ValueError, match="layer name 'conv.1' is not a plain attribute name"):
        Sequential({"conv.1": Flatten()})
    with pytest.raises(TypeError, match="Sequential takes Modules, got int"):
        Sequential({"output": 3})
