"""§4-1..§4-4: error backpropagation, and the §4-4 worked example.

From the book's start values (`book_nn_params("4-4-initial")`) every one of the 47 parameters is
updated by gradient descent on C_T with η = 0.2, the gradient summed over the 64 images; the
book reports C_T at every step (14.427276998361448 after one step, 0.23673529144259237 after 50).

`gradients_four_ways` computes ∂C_T/∂(every parameter) in four independent ways: the book's δ
method by hand (`book.delta`), the scalar engine's backward, the tensor engine's backward, and
central finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tools.checks import numerical_gradient
from ..datasets import book_digits_4x3, book_nn_params
from . import delta
from .network import cost, demon_network, state_dict_to_book, train

__all__ = ["backprop_descent", "autograd_gradients", "finite_difference_gradients",
           "gradients_four_ways"]

Params = dict[str, np.ndarray]


def backprop_descent(engine: str = "scalar", lr: float = 0.2, steps: int = 50) -> list[float]:
    """The §4-4 example: C_T after 0, 1, ..., steps updates, on the chosen engine."""
    model = demon_network(engine, "book-4-4")
    return train(model, lr=lr, steps=steps)


def autograd_gradients(params: Params, engine: str) -> tuple[float, Params]:
    """(C_T, ∂C_T/∂W2, ...) by an engine's backward, in the book's layout."""
    model = demon_network(engine, params)
    X, T = book_digits_4x3(one_hot=True)
    C_T = cost(model, X, T)
    C_T.backward()
    grads = {}
    layer: Any
    for k, layer in enumerate(model.layers):
        if engine == "tensor":
            w, b = layer.weight.grad, layer.bias.grad
        else:
            w = np.array([[v.grad for v in n.w] for n in layer.neurons])
            b = np.array([n.b.grad for n in layer.neurons])
        grads[f"layers.{k}.weight"], grads[f"layers.{k}.bias"] = w, b
    return float(C_T.data), state_dict_to_book(grads)


def finite_difference_gradients(params: Params, h: float = 1e-4) -> Params:
    """Central differences of C_T, one parameter at a time, on the five-point stencil
    (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h, whose error is O(h⁴) (`checks.numerical_gradient`
    with order=4)."""
    X, T = book_digits_4x3(one_hot=True)
    grads: Params = numerical_gradient(lambda p: delta.nn_cost(p, X, T), params, eps=h, order=4)
    return grads


def gradients_four_ways(params: Params | None = None) -> dict[str, Params]:
    """∂C_T/∂(W2, b2, W3, b3) by the δ method, the scalar engine, the tensor engine and finite
    differences (at the §4-4 start values by default)."""
    params = params if params is not None else book_nn_params("4-4-initial")
    X, T = book_digits_4x3(one_hot=True)
    return {"delta": delta.nn_delta_gradients(params, X, T)[1],
            "scalar": autograd_gradients(params, "scalar")[1],
            "tensor": autograd_gradients(params, "tensor")[1],
            "finite differences": finite_difference_gradients(params)}

