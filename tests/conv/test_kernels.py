"""Tests of the chapter 5 numpy kernels (tinygrad_edu/conv/kernels.py).

- forward against naive loops written here, over several shapes, strides, paddings and
  non-square kernels, in float64 and float32;
- backward against central finite differences in float64, every element of x, w and b;
- max pooling's tie rule (first maximum, row-major) on hand-made inputs;
- the argument checks;
- forward and backward against torch.nn.functional when torch is importable.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu.tools.checks import numerical_gradient
from tinygrad_edu.conv.kernels import (
    conv2d_backward,
    conv2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

# (x shape (N, C, H, W), w shape (F, C, KH, KW), stride, padding)
CONV_CASES = [
    ((3, 1, 6, 6), (3, 1, 3, 3), 1, 0),  # the book's CNN: 6x6 images, three 3x3 filters
    ((2, 3, 7, 8), (4, 3, 3, 2), (2, 1), (1, 2)),  # non-square kernel, stride and padding
    ((1, 2, 5, 5), (2, 2, 1, 4), 2, 1),
    ((2, 2, 9, 7), (2, 2, 3, 3), 3, 0),  # the last rows/columns do not fill a window: dropped
    ((2, 2, 4, 5), (3, 2, 4, 5), 1, 0),  # kernel as large as the input: a 1x1 output
    ((1, 1, 3, 3), (2, 1, 5, 5), 1, 1),  # kernel larger than the input, but not the padded input
    ((2, 3, 6, 6), (2, 3, 1, 1), 2, 0),  # 1x1 convolution
    ((2, 2, 6, 7), (2, 2, 2, 3), (1, 3), (2, 0)),
]

# (x shape, kernel_size, stride, padding)
POOL_CASES = [
    ((3, 3, 4, 4), 2, None, 0),  # the book: 4x4 feature maps pooled 2x2 into 2x2
    ((2, 2, 5, 7), 2, None, 0),  # odd sizes: the last row/column is dropped
    ((2, 2, 6, 6), 3, 1, 0),  # overlapping windows
    ((1, 2, 7, 6), 3, 2, 1),  # overlapping windows with padding
    ((2, 1, 5, 6), (2, 3), (1, 2), (1, 1)),  # non-square kernel and stride
    ((1, 1, 4, 4), 4, None, 2),  # padding = half the kernel
]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def naive_conv2d(x, w, b, stride, padding):
    """Sum of kernel x patch, one output pixel at a time (§5-2)."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n_img, _, hp, wp = xp.shape
    n_f, _, kh, kw = w.shape
    oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    y = np.zeros((n_img, n_f, oh, ow), dtype=np.result_type(x, w))
    for n in range(n_img):
        for f in range(n_f):
            for p in range(oh):
                for q in range(ow):
                    patch = xp[n, :, p * sh : p * sh + kh, q * sw : q * sw + kw]
                    y[n, f, p, q] = np.sum(patch * w[f]) + (0.0 if b is None else b[f])
    return y


def naive_max_pool2d(x, kernel_size, stride, padding):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    n_img, n_c, hp, wp = xp.shape
    oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    y = np.zeros((n_img, n_c, oh, ow), dtype=x.dtype)
    for n in range(n_img):
        for c in range(n_c):
            for p in range(oh):
                for q in range(ow):
                    y[n, c, p, q] = xp[n, c, p * sh : p * sh + kh, q * sw : q * sw + kw].max()
    return y


def distinct_values(rng, shape):
    """Values at least 0.09 apart (a shuffled ramp): no ties, and a 1e-4 nudge cannot change a max."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 - size * 0.05 + rng.uniform(0, 0.01, size)).reshape(shape)


# ---------------------------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_forward_matches_naive_loops(x_shape, w_shape, stride, padding, with_bias):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0]) if with_bias else None
    y, _ = conv2d_forward(x, w, b, stride=stride, padding=padding)
    expected = naive_conv2d(x, w, b, stride, padding)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)


def test_conv2d_is_cross_correlation_not_flipped():
    # A kernel with a single 1 in its top-left corner copies the top-left pixel of each window.
    # A flipped kernel (true convolution) would copy the bottom-right one instead.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 0, 0] = 1.0
    y, _ = conv2d_forward(x, w)
    np.testing.assert_array_equal(y[0, 0], [[0.0, 1.0], [4.0, 5.0]])


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
def test_conv2d_backward_matches_finite_differences(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    y, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    r = rng.standard_normal(y.shape)  # C = sum(r * y), so dC/dy = r

    def cost(x, w, b):
        return float(np.sum(r * conv2d_forward(x, w, b, stride=stride, padding=padding)[0]))

    grad_x, grad_w, grad_b = conv2d_backward(r, cache)
    # both ops are (piecewise) linear, so the step leaves no truncation error; a larger step than
    # the usual 1e-6 keeps the rounding error of the difference near 1e-10 instead of 1e-8
    fd_x, fd_w, fd_b = numerical_gradient(cost, [x, w, b], eps=1e-4)
    np.testing.assert_allclose(grad_x, fd_x, rtol=0, atol=1e-8)
    np.testing.assert_allclose(grad_w, fd_w, rtol=0, atol=1e-8)
    np.testing.assert_allclose(grad_b, fd_b, rtol=0, atol=1e-8)
    assert grad_x.shape == x.shape and grad_w.shape == w.shape and grad_b.shape == b.shape


def test_conv2d_backward_without_bias_returns_none():
    rng = np.random.default_rng(3)
    y, cache = conv2d_forward(rng.standard_normal((2, 1, 6, 6)), rng.standard_normal((3, 1, 3, 3)))
    grad_x, grad_w, grad_b = conv2d_backward(np.ones_like(y), cache)
    assert grad_b is None
    assert grad_x.shape == (2, 1, 6, 6) and grad_w.shape == (3, 1, 3, 3)


def test_conv2d_backward_counts_overlapping_windows():
    # All-ones kernel and dC/dy = 1: each pixel's gradient is the number of windows it lies in.
    y, cache = conv2d_forward(np.zeros((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))
    grad_x, grad_w, _ = conv2d_backward(np.ones_like(y), cache)
    counts = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], dtype=float)
    np.testing.assert_array_equal(grad_x[0, 0], counts)
    # with padding 1 the 4x4 output windows cover each pixel 9, 6 or 4 times
    y, cache = conv2d_forward(np.zeros((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=1)
    grad_x, _, _ = conv2d_backward(np.ones_like(y), cache)
    counts = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]], dtype=float)
    np.testing.assert_array_equal(grad_x[0, 0], counts)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES[:3])
def test_conv2d_keeps_float32(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(4)
    x64, w64, b64 = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    y64, cache64 = conv2d_forward(x64, w64, b64, stride=stride, padding=padding)
    r64 = rng.standard_normal(y64.shape)
    x32, w32, b32, r32 = (a.astype(np.float32) for a in (x64, w64, b64, r64))
    y32, cache32 = conv2d_forward(x32, w32, b32, stride=stride, padding=padding)
    grads32 = conv2d_backward(r32, cache32)
    assert y32.dtype == np.float32 and all(g.dtype == np.float32 for g in grads32)
    np.testing.assert_allclose(y32, y64, rtol=1e-5, atol=1e-5)
    for g32, g64 in zip(grads32, conv2d_backward(r64, cache64)):
        np.testing.assert_allclose(g32, g64, rtol=1e-5, atol=1e-5)


def test_conv2d_integer_input_computes_in_float64():
    y, _ = conv2d_forward(np.ones((1, 1, 3, 3), dtype=np.int64), np.ones((1, 1, 2, 2), dtype=np.int64))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 4.0))


# ---------------------------------------------------------------------------------------------
# max_pool2d
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_forward_matches_naive_loops(x_shape, kernel_size, stride, padding, dtype):
    x = np.random.default_rng(5).standard_normal(x_shape).astype(dtype)
    y, _ = max_pool2d_forward(x, kernel_size, stride, padding)
    expected = naive_max_pool2d(x, kernel_size, stride, padding)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", POOL_CASES)
def test_max_pool2d_backward_matches_finite_differences(x_shape, kernel_size, stride, padding):
    rng = np.random.default_rng(6)
    x = distinct_values(rng, x_shape)
    y, cache = max_pool2d_forward(x, kernel_size, stride, padding)
    r = rng.standard_normal(y.shape)

    def cost(x):
        return float(np.sum(r * max_pool2d_forward(x, kernel_size, stride, padding)[0]))

    grad_x = max_pool2d_backward(r, cache)
    assert grad_x.shape == x.shape and grad_x.dtype == np.float64
    np.testing.assert_allclose(grad_x, numerical_gradient(cost, x, eps=1e-4), rtol=0, atol=1e-8)


def test_max_pool2d_overlapping_windows_accumulate():
    # 3x3 windows with stride 1 over a 4x4 map whose maximum (9) is in the middle of all four
    # windows: it wins all of them and receives the sum of their gradients.
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = 9.0
    x[0, 0, 2, 1] = 8.0
    y, cache = max_pool2d_forward(x, 3, stride=1)
    np.testing.assert_array_equal(y[0, 0], [[9.0, 9.0], [9.0, 9.0]])
    grad_x = max_pool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    expected = np.zeros((4, 4))
    expected[1, 2] = 10.0
    np.testing.assert_array_equal(grad_x[0, 0], expected)


def test_max_pool2d_ties_go_to_first_maximum_row_major():
    # one 2x2 window, all equal: the top-left element takes the gradient
    _, cache = max_pool2d_forward(np.ones((1, 1, 2, 2)), 2)
    np.testing.assert_array_equal(max_pool2d_backward(np.full((1, 1, 1, 1), 5.0), cache)[0, 0], [[5.0, 0.0], [0.0, 0.0]])
    # maximum at (0, 1) and (1, 0): (0, 1) comes first in row-major order
    _, cache = max_pool2d_forward(np.array([[[[0.0, 7.0], [7.0, 7.0]]]]), 2)
    np.testing.assert_array_equal(max_pool2d_backward(np.ones((1, 1, 1, 1)), cache)[0, 0], [[0.0, 1.0], [0.0, 0.0]])
    # overlapping 2x2 windows (stride 1) on a constant 3x3 map: each window's top-left wins
    _, cache = max_pool2d_forward(np.full((1, 1, 3, 3), 2.0), 2, stride=1)
    grad_x = max_pool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    np.testing.assert_array_equal(grad_x[0, 0], [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]])


def test_max_pool2d_nan_wins_and_takes_the_gradient():
    x = np.array([[[[1.0, np.nan], [np.nan, 5.0]]]])
    y, cache = max_pool2d_forward(x, 2)
    assert np.isnan(y[0, 0, 0, 0])
    np.testing.assert_array_equal(max_pool2d_backward(np.ones((1, 1, 1, 1)), cache)[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_max_pool2d_backward_keeps_float32():
    x = distinct_values(np.random.default_rng(7), (2, 2, 4, 4)).astype(np.float32)
    y, cache = max_pool2d_forward(x, 2)
    grad_x = max_pool2d_backward(np.ones_like(y), cache)
    assert y.dtype == np.float32 and grad_x.dtype == np.float32
    assert grad_x.sum() == y.size  # one winner per window, no overlap


# ---------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------

X = np.zeros((2, 3, 6, 6))
W = np.zeros((4, 3, 3, 3))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x=np.zeros((3, 6, 6)), w=W), r"conv2d: x must be 4-D .* got shape \(3, 6, 6\)"),
        (dict(x=X, w=np.zeros((4, 3, 3))), r"conv2d: w must be 4-D .* got shape \(4, 3, 3\)"),
        (dict(x=X, w=np.zeros((4, 2, 3, 3))), r"conv2d: channel mismatch: x has shape \(2, 3, 6, 6\).*w has shape \(4, 2, 3, 3\)"),
        (dict(x=X, w=np.zeros((4, 3, 7, 3))), r"conv2d: kernel 7x3 is larger than the padded input 6x6"),
        (dict(x=X, w=np.zeros((4, 3, 9, 3)), padding=1), r"conv2d: kernel 9x3 is larger than the padded input 8x8"),
        (dict(x=X, w=W, b=np.zeros(3)), r"conv2d: b must have shape \(4,\).*got \(3,\)"),
        (dict(x=X, w=W, b=np.zeros((4, 1))), r"conv2d: b must have shape \(4,\)"),
        (dict(x=X, w=W, stride=0), r"conv2d: stride must be positive, got 0"),
        (dict(x=X, w=W, stride=(1, -2)), r"conv2d: stride must be positive"),
        (dict(x=X, w=W, stride=1.5), r"conv2d: stride must be an int or a pair of ints"),
        (dict(x=X, w=W, stride=(1, 1, 1)), r"conv2d: stride must be an int or a pair of ints"),
        (dict(x=X, w=W, padding=-1), r"conv2d: padding must be non-negative"),
    ],
)
def test_conv2d_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv2d_forward(**kwargs)


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros((6, 6)), 2), r"max_pool2d: x must be 4-D .* got shape \(6, 6\)"),
        ((X, 7), r"max_pool2d: kernel 7x7 is larger than the padded input 6x6"),
        ((X, 2, 0), r"max_pool2d: stride must be positive, got 0"),
        ((X, 0), r"max_pool2d: kernel_size must be positive"),
        ((X, 2, 2, (2, 0)), r"max_pool2d: padding \(2, 0\) must be at most half of kernel_size \(2, 2\)"),
        ((X, (4, 2), 2, (0, 2)), r"max_pool2d: padding \(0, 2\) must be at most half of kernel_size \(4, 2\)"),
        ((X, (2, 2), 1, -1), r"max_pool2d: padding must be non-negative"),
    ],
)
def test_max_pool2d_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        max_pool2d_forward(*args)


def test_backward_rejects_grad_of_wrong_shape():
    y, cache = conv2d_forward(X, W)
    with pytest.raises(ValueError, match=r"conv2d_backward: grad_y has shape \(2, 4, 3, 3\).*\(2, 4, 4, 4\)"):
        conv2d_backward(np.zeros((2, 4, 3, 3)), cache)
    y, cache = max_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match=r"max_pool2d_backward: grad_y has shape"):
        max_pool2d_backward(np.zeros((2, 3, 2, 2)), cache)


# ---------------------------------------------------------------------------------------------
# against PyTorch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
def test_conv2d_matches_torch(x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    y, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    r = rng.standard_normal(y.shape)
    grad_x, grad_w, grad_b = conv2d_backward(r, cache)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    yt.backward(torch.tensor(r))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad_w, wt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad_b, bt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", POOL_CASES)
@pytest.mark.parametrize("with_ties", [False, True])
def test_max_pool2d_matches_torch(x_shape, kernel_size, stride, padding, with_ties):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    # with_ties: values in {0, 1, 2}, so most windows hold their maximum several times
    x = rng.integers(0, 3, x_shape).astype(np.float64) if with_ties else rng.standard_normal(x_shape)
    y, cache = max_pool2d_forward(x, kernel_size, stride, padding)
    r = rng.standard_normal(y.shape)
    grad_x = max_pool2d_backward(r, cache)

    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, kernel_size, stride, padding)
    yt.backward(torch.tensor(r))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=0, atol=1e-10)
