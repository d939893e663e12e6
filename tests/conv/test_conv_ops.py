"""conv2d and max_pool2d (§5-4): finite differences in float64, and torch."""

import numpy as np
import pytest

from tinygrad_edu import GradcheckError, Tensor, gradcheck, grad
from tinygrad_edu.conv import Conv2d, conv2d, max_pool2d

CONV_CASES = [
    # x shape, w shape, stride, padding, bias
    ((2, 1, 6, 6), (3, 1, 3, 3), 1, 0, True),  # the book's layer, two images
    ((1, 2, 5, 4), (2, 2, 3, 2), 1, 1, True),
    ((2, 2, 7, 7), (3, 2, 3, 3), 2, 1, False),
    ((1, 3, 6, 5), (2, 3, 2, 3), (2, 1), (0, 1), True),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, bias", CONV_CASES)
def test_conv2d_gradcheck(x_shape, w_shape, stride, padding, bias, rng):
    x = Tensor(rng.standard_normal(x_shape))
    w = Tensor(rng.standard_normal(w_shape))
    inputs = [x, w]
    if bias:
        inputs.append(Tensor(rng.standard_normal(w_shape[0])))

    def f(x, w, b=None):
        return conv2d(x, w, b, stride=stride, padding=padding).tanh()

    assert gradcheck(f, inputs, atol=1e-7, rtol=1e-6)


POOL_CASES = [((2, 3, 4, 4), 2, None, 0), ((1, 2, 5, 5), 3, 1, 1), ((2, 1, 6, 7), (2, 3), (1, 2), 0)]


@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_gradcheck(shape, kernel, stride, padding, rng):
    # distinct values well apart, so ±eps never changes a window's winner
    x = Tensor(rng.permutation(np.prod(shape)).reshape(shape) * 0.01)
    assert gradcheck(lambda x: max_pool2d(x, kernel, stride, padding) ** 2, x, eps=1e-6,
                     atol=1e-7, rtol=1e-6)


def test_gradcheck_catches_a_wrong_conv_backward(rng, monkeypatch):
    """The check above can fail: a backward with a wrong weight gradient is caught."""
    x, w = Tensor(rng.standard_normal((1, 1, 5, 5))), Tensor(rng.standard_normal((1, 1, 3, 3)))
    original = Conv2d.backward

    def broken(ctx, g):
        gx, gw = original(ctx, g)
        return gx, gw * 0.5

    monkeypatch.setattr(Conv2d, "backward", staticmethod(broken))
    with pytest.raises(GradcheckError):
        gradcheck(lambda x, w: conv2d(x, w), [x, w])


def test_conv2d_is_cross_correlation():
    """The kernel is not flipped: a kernel equal to the patch gives the largest z (§5-2)."""
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 0, 0] = 1.0  # a single pixel top-left
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    z = conv2d(Tensor(x), Tensor(w)).data
    assert z.shape == (1, 1, 1, 1)
    assert z[0, 0, 0, 0] == w[0, 0, 0, 0] == 0.0  # a true convolution would give w[2, 2] = 8
    # and by hand on a 4x4 image: z[i, j] = Σ w[p, q] x[i+p, j+q] + b
    img = np.arange(16.0).reshape(1, 1, 4, 4)
    z = conv2d(Tensor(img), Tensor(w), Tensor([0.5])).data[0, 0]
    byhand = [[sum(w[0, 0, p, q] * img[0, 0, i + p, j + q] for p in range(3) for q in range(3)) + 0.5
               for j in range(2)] for i in range(2)]
    np.testing.assert_allclose(z, byhand, rtol=1e-15)


def test_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((1, 1, 6, 6)), dtype=np.float32, requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 3, 3)), dtype=np.float32, requires_grad=True)
    y = max_pool2d(conv2d(x, w), 2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_errors_name_the_op(rng):
    x = Tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    with pytest.raises(ValueError, match="conv2d"):
        conv2d(x, Tensor(np.ones((1, 2, 3, 3))))  # 2 channels in the kernel, 1 in the image
    with pytest.raises(ValueError, match="max_pool2d"):
        max_pool2d(x, 5)
    y = max_pool2d(x, 2).sum()
    with pytest.raises(NotImplementedError, match="max_pool2d: second derivatives"):
        grad(y, x, create_graph=True)[0]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, bias", CONV_CASES)
def test_conv_pool_against_torch(x_shape, w_shape, stride, padding, bias, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0]) if bias else None
    ours = [Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)]
    if bias:
        ours.append(Tensor(b, requires_grad=True))
        theirs.append(torch.tensor(b, requires_grad=True))
    z = conv2d(ours[0], ours[1], ours[2] if bias else None, stride=stride,
               padding=padding)
    zt = torch.nn.functional.conv2d(theirs[0], theirs[1], theirs[2] if bias else None,
                                    stride=stride, padding=padding)
    y = max_pool2d(z.sigmoid(), 2, 1)
    yt = torch.nn.functional.max_pool2d(zt.sigmoid(), 2, 1)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
