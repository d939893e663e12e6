"""The book's CNN on the tensor engine (§5-4, §5-6) against the δ method and the book's numbers."""

import doctest

import numpy as np
import pytest

from tinygrad_edu.book import ch5_cnn
from tinygrad_edu.book.ch5_cnn import BookCNN, gradient_descent
from tinygrad_edu.book.delta import cnn_delta_gradients, cnn_forward, cnn_gradient_descent
from tinygrad_edu.datasets import book_cnn_params, book_digits_6x6, book_test_image


@pytest.fixture(scope="module")
def data():
    return book_digits_6x6(one_hot=True)


@pytest.mark.parametrize("name", ["5-4-initial", "5-4-solved", "5-6-initial"])
def test_autograd_equals_delta_method(name, data):
    """§5-5/§5-6: the δ formulas by hand and autograd give the same gradient to 1e-10."""
    X, T = data
    params = book_cnn_params(name)
    C_T, grads = BookCNN(params).gradients(X, T)
    C_delta, grads_delta = cnn_delta_gradients(params, X, T)
    assert C_T == pytest.approx(C_delta, rel=1e-13)
    for key in grads:
        np.testing.assert_allclose(grads[key], grads_delta[key], rtol=0, atol=1e-10)
        assert np.abs(grads[key]).max() > 1e-6 or name == "5-4-solved"  # not trivially zero


def test_autograd_equals_delta_at_random_parameters(data):
    X, T = data
    net = BookCNN.from_init("random", seed=3)
    C_T, grads = net.gradients(X, T)
    C_delta, grads_delta = cnn_delta_gradients(net.numpy_params(), X, T)
    assert C_T == pytest.approx(C_delta, rel=1e-13)
    for key in grads:
        np.testing.assert_allclose(grads[key], grads_delta[key], rtol=0, atol=1e-10)


def test_layers_match_the_delta_modules_forward(data):
    X, _ = data
    params = book_cnn_params("5-4-initial")
    ours = BookCNN(params).layer_values(X)
    ref = cnn_forward(params, X)
    for name in ("zF", "aF", "aP", "zO", "aO"):
        np.testing.assert_allclose(getattr(ours, name).data, getattr(ref, name), rtol=1e-12, atol=1e-14)


def test_pinned_costs_and_accuracy(data):
    X, T = data
    cases = {"book-5-4": (12.544462370300653, 91), "book-5-4-solved": (0.00022501843836461615, 96),
             "book-5-6": (12.54533609973044, 91)}
    for init, (C_T, correct) in cases.items():
        net = BookCNN.from_init(init)
        assert net.cost(X, T).item() == pytest.approx(C_T, rel=1e-9)
        assert net.correct(X, T) == correct


def test_section_5_6_gradient_descent(data):
    """§5-6: η = 0.2 from the book's start values, 50 steps."""
    X, T = data
    costs = gradient_descent(BookCNN.from_init("book-5-6"), X, T, lr=0.2, steps=50)
    assert len(costs) == 51
    assert costs[0] == pytest.approx(12.54533609973044, rel=1e-12)
    assert costs[1] == pytest.approx(10.846287263653807, rel=1e-10)
    assert costs[50] == pytest.approx(0.4948883675782767, rel=1e-9)
    ref_costs, _ = cnn_gradient_descent(book_cnn_params("5-6-initial"), X, T, lr=0.2, steps=50)
    np.testing.assert_allclose(costs, ref_costs, rtol=1e-10)


def test_random_init_is_seeded_and_trains(data):
    X, T = data
    a, b = BookCNN.from_init("random", seed=1), BookCNN.from_init("random", seed=1)
    assert all(np.array_equal(a.params[k].data, b.params[k].data) for k in a.params)
    assert not np.array_equal(a.params["F"].data, BookCNN.from_init("random", 2).params["F"].data)
    costs = gradient_descent(a, X, T, lr=0.2, steps=300)
    assert costs[-1] < 0.2 * costs[0]
    assert a.correct(X, T) == 96


def test_test_image_is_a_1(data):
    """The test sheet of the §5-4 workbook: the Solver's network calls it a 1, as Excel did."""
    pixels, excel = book_test_image("6x6")
    net = BookCNN.from_init("book-5-4-solved")
    assert excel == 1
    assert net.predict(pixels[None, :]).tolist() == [1]


def test_bad_params_are_refused():
    params = book_cnn_params("5-4-initial")
    with pytest.raises(ValueError, match="Wo has shape"):
        BookCNN({**params, "Wo": np.zeros((3, 12))})
    with pytest.raises(ValueError, match="missing parameters \\['bo'\\]"):
        BookCNN({k: v for k, v in params.items() if k != "bo"})
    with pytest.raises(ValueError, match="unknown init"):
        BookCNN.from_init("book-9-9")


def test_docstring_example_runs():
    assert doctest.testmod(ch5_cnn).failed == 0


def test_the_book_cnn_is_nn_layers_with_the_books_names(data):
    """One CNN: nn.Conv2d, nn.MaxPool2d, nn.Flatten and nn.Linear in an nn.Sequential, the book's
    parameters by their names, its values by their labels (also inside no_grad)."""
    from tinygrad_edu import nn, no_grad

    X, _ = data
    net = BookCNN.from_init("book-5-4")
    assert [type(m) for m in net] == [nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Linear]
    assert isinstance(net, nn.Sequential)
    assert list(net.state_dict()) == ["convolution.weight", "convolution.bias", "output.weight",
                                      "output.bias"]
    assert net.params["F"] is net.convolution.weight and net.params["bo"] is net.output.bias
    book = book_cnn_params("5-4-initial")
    for name, value in net.numpy_params().items():
        np.testing.assert_array_equal(value, book[name])
    with no_grad():
        layers = net.layer_values(X[:2])
    assert [t.label for t in layers] == ["zF", "aF", "aP", "zO", "aO"]
    np.testing.assert_allclose(layers.aF.data, 1 / (1 + np.exp(-layers.zF.data)), rtol=1e-15)
