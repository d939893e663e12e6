"""The numpy kernels of chapter 5's two layers: convolution and max pooling, forward and backward.

Layout is PyTorch's NCHW: x has shape (N, C, H, W) = (images, channels, rows, columns).  Each op
is a pair of plain functions on arrays,

    y, cache = conv2d_forward(x, w, b)    grad_x, grad_w, grad_b = conv2d_backward(grad_y, cache)
    y, cache = max_pool2d_forward(x, 2)   grad_x = max_pool2d_backward(grad_y, cache)

so that a `Function` (conv/functions.py) calls `*_forward` in its forward, keeps `cache` on its
ctx and calls `*_backward` in its backward; `grad_y` is ∂C/∂y for whatever cost C sits on top.

Both ops look at the same thing: every KH x KW window of the (padded) input, the book's "patch"
(§5-2).  `_windows` gives all of them at once as a strided *view* (no copy), shape
(N, C, KH, KW, OH, OW); one copy of it is the im2col matrix, and the forward passes are then one
matrix product per image (convolution) or one argmax (pooling).  The backward passes add a
gradient per window element back onto the input with `_col2im`, which loops over the KH*KW kernel
offsets (9 steps for 3x3), never over pixels or images.

The output dtype is the input's: float32 in, float32 out; float64 in, float64 out.  Mixed inputs
follow numpy's promotion (float32 x with float64 w gives float64); integers become float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["IntOrPair", "Conv2dCache", "MaxPool2dCache", "conv2d_forward", "conv2d_backward",
           "max_pool2d_forward", "max_pool2d_backward"]

IntOrPair = int | tuple[int, int]  # a size for both axes, or (rows, columns)


# -- shared: argument checks, the windows (im2col) and their adjoint (col2im) ------------------
def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _pair(value: IntOrPair, name: str, op: str, minimum: int) -> tuple[int, int]:
    """`3` -> (3, 3), `(3, 2)` -> (3, 2), each entry checked to be at least `minimum`."""
    pair: Any = (value, value) if _is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype to compute in: numpy's promotion of the inputs, integers promoted to float64."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def _check_4d(a: np.ndarray, name: str, op: str, layout: str) -> None:
    if a.ndim != 4:
        raise ValueError(f"{op}: {name} must be 4-D {layout}, got shape {a.shape}")


def _output_size(op: str, in_hw: tuple[int, int], kernel: tuple[int, int],
                 stride: tuple[int, int], padding: tuple[int, int]) -> tuple[int, int]:
    """OH = (H + 2 PH - KH) // SH + 1, and OW likewise (rows and columns that do not fill a whole
    window are dropped, as in PyTorch)."""
    padded = (in_hw[0] + 2 * padding[0], in_hw[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(f"{op}: kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
                         f"{padded[0]}x{padded[1]} (input {in_hw[0]}x{in_hw[1]}, padding "
                         f"{padding})")
    return (padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1


def _pad(x: np.ndarray, padding: tuple[int, int], value: float) -> np.ndarray:
    """x with `value` added around each image: PH rows above and below, PW columns each side."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant", constant_values=value)


def _unpad(grad_xp: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """The inverse of `_pad` for a gradient: the padding's entries dropped."""
    ph, pw = padding
    h, w = grad_xp.shape[2] - 2 * ph, grad_xp.shape[3] - 2 * pw
    return grad_xp[:, :, ph:ph + h, pw:pw + w]


def _windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Every patch (§5-2) of the padded input, as a view of shape (N, C, KH, KW, OH, OW).

    Element [n, c, i, j, p, q] is xp[n, c, p SH + i, q SW + j]: kernel offset (i, j) of window
    (p, q).  `sliding_window_view` lists the windows at *every* position without copying (new
    strides over the same memory); `::stride` keeps every stride-th one, still a view.  The kernel
    offsets come before the window positions so that, once copied, each offset's slice
    [:, :, i, j] is a contiguous OH x OW image: the im2col matrix of Caffe's layout.
    """
    all_windows = sliding_window_view(xp, kernel, axis=(2, 3))  # (N, C, H', W', KH, KW)
    windows: np.ndarray = all_windows[:, :, ::stride[0], ::stride[1]].transpose(0, 1, 4, 5, 2, 3)
    return windows


def _col2im(cols: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """The adjoint of `_windows`: each window element's gradient added to the pixel it came from.

    `cols` (N, C, KH, KW, OH, OW) holds ∂C/∂(window element).  A pixel in several windows
    (stride < kernel) receives the sum of their contributions.  For one kernel offset (i, j) the
    windows read distinct pixels xp[:, :, i + p SH, j + q SW], so one strided `+=` per offset is
    safe; overlaps add up across the KH*KW offsets.
    """
    n, c, kh, kw, oh, ow = cols.shape
    sh, sw = stride
    grad_xp = np.zeros((n, c) + padded_hw, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + sh * (oh - 1) + 1, sh)
            columns = slice(j, j + sw * (ow - 1) + 1, sw)
            grad_xp[:, :, rows, columns] += cols[:, :, i, j]
    return grad_xp


def _grad_x(grad_cols: np.ndarray, x_shape: tuple[int, ...], stride: tuple[int, int],
            padding: tuple[int, int]) -> np.ndarray:
    """∂C/∂x from ∂C/∂(window element): col2im onto the padded input, then the padding dropped."""
    padded_hw = (x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    return np.ascontiguousarray(_unpad(_col2im(grad_cols, padded_hw, stride), padding))


def _check_grad(grad: np.ndarray, expected: tuple[int, ...], op: str) -> np.ndarray:
    grad = np.asarray(grad)
    if grad.shape != expected:
        raise ValueError(f"{op}: grad_y has shape {grad.shape}, but the forward output had "
                         f"shape {expected}")
    return grad


# -- the convolution layer (§5-2, §5-4, §5-6) ---------------------------------------------------
@dataclass(frozen=True)
class Conv2dCache:
    """What `conv2d_backward` needs from the forward pass."""

    cols: np.ndarray  # the im2col matrix (N, C KH KW, OH OW): every patch of the padded input
    w: np.ndarray  # (F, C, KH, KW)
    has_bias: bool
    x_shape: tuple[int, int, int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    y_shape: tuple[int, int, int, int]


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                   stride: IntOrPair = 1, padding: IntOrPair = 0
                   ) -> tuple[np.ndarray, Conv2dCache]:
    """The convolution layer's weighted input (§5-2, §5-4): y[n, f] = Σ kernel x patch + b[f].

    Filter f is laid on each patch of the image, the products of its weights and the pixels under
    them are summed, and the filter's bias added: y is the weighted input z of the feature-map
    unit at that position.  This is *cross-correlation*: the kernel is not flipped (as in the book
    and in PyTorch's conv2d), so a filter that looks like the patch gives a large y.

    `x` (N, C, H, W); `w` (F, C, KH, KW), F filters over C channels; `b` (F,), one bias per
    filter (per feature map), or None; `stride` the step between windows and `padding` the zeros
    added on each side, an int or a pair (rows, columns).  Returns y (N, F, OH, OW),
    OH = (H + 2 PH - KH) // SH + 1 (OW likewise), in the inputs' dtype, and the cache for
    `conv2d_backward`.
    """
    op = "conv2d"
    x, w = np.asarray(x), np.asarray(w)
    _check_4d(x, "x", op, "(N, C, H, W)")
    _check_4d(w, "w", op, "(F, C, KH, KW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{op}: channel mismatch: x has shape {x.shape} with C={x.shape[1]} "
                         f"channels, but w has shape {w.shape} with C={w.shape[1]} channels")
    if b is not None:
        b = np.asarray(b)
        if b.shape != (w.shape[0],):
            raise ValueError(f"{op}: b must have shape ({w.shape[0]},), one per filter of w "
                             f"{w.shape}, got {b.shape}")
    stride_hw = _pair(stride, "stride", op, minimum=1)
    padding_hw = _pair(padding, "padding", op, minimum=0)
    n, f, kh, kw = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    oh, ow = _output_size(op, x.shape[2:], (kh, kw), stride_hw, padding_hw)

    dtype = _float_dtype(x, w) if b is None else _float_dtype(x, w, b)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    # im2col: the window view copied into a matrix per image, one row per (c, i, j), one column
    # per output pixel.  This is the only copy of the input.
    cols = _windows(_pad(x, padding_hw, 0.0), (kh, kw), stride_hw).reshape(n, -1, oh * ow)
    # the sum of kernel x patch for every filter and window: one matrix product per image,
    # (F, C KH KW) @ (C KH KW, OH OW), batched over N by matmul; the result is already NCHW
    y = (w.reshape(f, -1) @ cols).reshape(n, f, oh, ow)
    if b is not None:
        y += b.astype(dtype, copy=False)[:, None, None]
    return y, Conv2dCache(cols, w, b is not None, x.shape, stride_hw, padding_hw, y.shape)


def conv2d_backward(grad_y: np.ndarray, cache: Conv2dCache
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(∂C/∂x, ∂C/∂w, ∂C/∂b) through the convolution layer, given grad_y = ∂C/∂y (§5-6).

    y is linear in x, w and b, so
      ∂C/∂w[f, c, i, j] = Σ over n, p, q of grad_y[n, f, p, q] patch(n, p, q)[c, i, j]
      ∂C/∂b[f]          = Σ over n, p, q of grad_y[n, f, p, q]
      ∂C/∂x             = each window (n, p, q) receives Σ_f grad_y[n, f, p, q] w[f], and every
                          pixel adds up what the windows it lies in received (col2im).
    In the forward's dtype; ∂C/∂b is None when there was no bias.
    """
    grad_y = _check_grad(grad_y, cache.y_shape, "conv2d_backward")
    w, cols = cache.w, cache.cols
    n, f, oh, ow = cache.y_shape
    c, kh, kw = w.shape[1:]
    grad_y_mat = grad_y.astype(w.dtype, copy=False).reshape(n, f, oh * ow)
    # ∂C/∂w: (F, OH OW) @ (OH OW, C KH KW) per image, summed over the images
    grad_w = (grad_y_mat @ cols.swapaxes(1, 2)).sum(axis=0).reshape(w.shape)
    grad_b = grad_y_mat.sum(axis=(0, 2)) if cache.has_bias else None
    # ∂C/∂(window element): (C KH KW, F) @ (F, OH OW) per image, then col2im onto the pixels
    grad_cols = (w.reshape(f, -1).T @ grad_y_mat).reshape(n, c, kh, kw, oh, ow)
    return _grad_x(grad_cols, cache.x_shape, cache.stride, cache.padding), grad_w, grad_b


# -- the pooling layer: max pooling (§5-2, §5-4, §5-6) ------------------------------------------
@dataclass(frozen=True)
class MaxPool2dCache:
    """What `max_pool2d_backward` needs: where each window's maximum was."""

    argmax: np.ndarray  # (N, C, OH, OW): index i KW + j of the winner inside its window
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


def max_pool2d_forward(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                       padding: IntOrPair = 0) -> tuple[np.ndarray, MaxPool2dCache]:
    """Max pooling (§5-2, §5-4): each output is the largest input of its KH x KW window.

    The book pools each 4x4 feature map with 2x2 windows into a 2x2 map: kernel_size=2, and
    `stride` defaults to kernel_size (windows side by side); smaller strides give overlapping
    windows.  Padding adds -inf on each side (never a maximum); as in PyTorch it may be at most
    half the kernel, so that no window is padding only.

    Ties: when a window holds its maximum more than once, the *first* in row-major order (the
    smallest i, then the smallest j) wins and alone receives the gradient in
    `max_pool2d_backward`, as in PyTorch.  A NaN in a window wins: the output is NaN and the
    gradient goes to the first NaN (PyTorch's CPU kernel sends it to the last one).

    Returns y (N, C, OH, OW) in x's dtype and the cache for `max_pool2d_backward`.
    """
    op = "max_pool2d"
    x = np.asarray(x)
    _check_4d(x, "x", op, "(N, C, H, W)")
    kernel = _pair(kernel_size, "kernel_size", op, minimum=1)
    stride_hw = kernel if stride is None else _pair(stride, "stride", op, minimum=1)
    padding_hw = _pair(padding, "padding", op, minimum=0)
    if padding_hw[0] > kernel[0] // 2 or padding_hw[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding_hw} must be at most half of kernel_size {kernel}")
    oh, ow = _output_size(op, x.shape[2:], kernel, stride_hw, padding_hw)

    x = x.astype(_float_dtype(x), copy=False)
    n, c = x.shape[:2]
    # im2col again, (N, C, KH KW, OH, OW): each window's KH KW candidates along axis 2 in
    # row-major order (this copies).  argmax returns the *first* maximum, which fixes the tie
    # rule; y is read at that index, so the forward and the backward agree on the winner.
    cols = _windows(_pad(x, padding_hw, -np.inf), kernel, stride_hw).reshape(n, c, -1, oh, ow)
    argmax = cols.argmax(axis=2)
    y = np.take_along_axis(cols, argmax[:, :, None], axis=2)[:, :, 0]
    return y, MaxPool2dCache(argmax, kernel, stride_hw, padding_hw, x.shape, x.dtype)


def max_pool2d_backward(grad_y: np.ndarray, cache: MaxPool2dCache) -> np.ndarray:
    """∂C/∂x through max pooling (§5-6): each window's grad_y goes to its winner, the rest get 0.

    ∂y/∂x is 1 for the largest x of the window and 0 for the others.  A pixel that wins several
    overlapping windows adds up their gradients (col2im).
    """
    n, c = cache.x_shape[:2]
    oh, ow = cache.argmax.shape[2:]
    grad_y = _check_grad(grad_y, (n, c, oh, ow), "max_pool2d_backward")
    grad_y = grad_y.astype(cache.dtype, copy=False)
    kh, kw = cache.kernel
    # (N, C, KH KW, OH, OW): grad_y at the window element k = i KW + j that won, 0 elsewhere
    is_winner = cache.argmax[:, :, None] == np.arange(kh * kw)[:, None, None]
    grad_cols = np.where(is_winner, grad_y[:, :, None], cache.dtype.type(0))
    grad_cols = grad_cols.reshape(n, c, kh, kw, oh, ow)
    return _grad_x(grad_cols, cache.x_shape, cache.stride, cache.padding)
