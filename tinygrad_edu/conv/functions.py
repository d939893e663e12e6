"""The derivative rules of chapter 5's two new layers: convolution and max pooling (§5-2..§5-6).

Each is a `Function` whose `forward` and `backward` call the vectorised numpy kernels of
`conv/kernels.py` (im2col: every window of the image at once, one matrix product per image); the
kernel's cache (the windows, where each maximum was) is kept on the ctx between the two.

Layout is PyTorch's NCHW: x (images, channels, rows, columns), weight (filters, channels, KH, KW).

A note on the name: what the book (and PyTorch, and every deep-learning library) calls
"convolution" is the sum of kernel x patch, z[i, j] = Σ_{p,q} w[p, q] x[i+p, j+q] + b, with the
kernel *not* flipped. In signal processing that is *cross-correlation*; a true convolution would
use w[-p, -q]. For learning it makes no difference (the network learns the flipped kernel), and
the unflipped form is the one whose picture reads: a filter that looks like the patch fires.

These rules are first-order only: their backward runs numpy, so `grad(..., create_graph=True)`
through a convolution or a pooling layer raises a clear error instead of a silent wrong answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function, Node
from .kernels import (IntOrPair, conv2d_backward, conv2d_forward, max_pool2d_backward,
                           max_pool2d_forward)

__all__ = ["Conv2d", "MaxPool2d", "conv2d", "max_pool2d"]


def _first_order_only(op: str, grad: np.ndarray | Node) -> np.ndarray:
    if isinstance(grad, Node):
        raise NotImplementedError(
            f"{op}: second derivatives (grad(..., create_graph=True)) are not implemented for "
            "this op; its backward runs the numpy kernels of conv/kernels.py directly")
    return grad


class Conv2d(Function):
    """z[n, f] = Σ over channels c and offsets (p, q) of w[f, c, p, q] x[n, c, i·s+p, j·s+q] + b[f].

    The convolution layer's weighted input (§5-2, §5-4): filter f slides over the (padded) image
    with step `stride`; at each position the products of kernel and patch are summed and the
    filter's bias added (cross-correlation: see the module's note). Gradients (§5-6):
    dC/dw = Σ grad_z x patch, dC/db = Σ grad_z, dC/dx = each patch gets Σ_f grad_z w[f], summed
    over the windows a pixel lies in.
    """

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
        z, ctx.cache = conv2d_forward(x, weight, bias, stride=stride, padding=padding)
        return z

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        grad = _first_order_only("conv2d", grad)
        grad_x, grad_w, grad_b = conv2d_backward(grad, ctx.cache)
        if len(ctx.needs_input_grad) == 3:
            return grad_x, grad_w, grad_b
        return grad_x, grad_w


class MaxPool2d(Function):
    """y = the largest input of each KH x KW window (§5-2, §5-4); the gradient goes to it alone.

    The first maximum in row-major order wins a tie, as in PyTorch (and in `book.delta`).
    """

    @classmethod
    def name(cls) -> str:
        return "max_pool2d"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, kernel_size: IntOrPair = 2,
                stride: IntOrPair | None = None, padding: IntOrPair = 0) -> np.ndarray:
        y, ctx.cache = max_pool2d_forward(x, kernel_size, stride=stride, padding=padding)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return max_pool2d_backward(_first_order_only("max_pool2d", grad), ctx.cache)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1,
           padding: IntOrPair = 0) -> Any:
    """The convolution layer's weighted input (§5-4): x (N, C, H, W), weight (F, C, KH, KW),
    bias (F,) or None -> (N, F, OH, OW), as `torch.nn.functional.conv2d`."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding)


def max_pool2d(x: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> Any:
    """Max pooling (§5-4): the largest value of each window; stride defaults to kernel_size."""
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)
