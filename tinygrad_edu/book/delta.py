"""The error-backpropagation (δ) method written out by hand, numpy only (§4-1..§4-4, §5-5, §5-6).

No autograd engine is used here: every derivative is the book's formula, so this module is the
independent reference the engines are checked against.

Notation (the book's): weighted input ``z``, activation ``a = σ(z)``, bias ``b``, unit error
``δ = ∂C/∂z``, target ``t``. The cost of one image is ``C = 1/2 Σ_k (t_k - a_k)^2`` and
``C_T`` is the sum over all images. Arrays hold all images at once: the first axis is the image.

12-3-2 network (§4-3): layer 1 is the 12 pixels ``x``; layer 2 has 3 hidden units
(``W2`` (3, 12), ``b2`` (3,)); layer 3 has 2 output units (``W3`` (2, 3), ``b3`` (2,)).

Small CNN (§5-4, §5-5): a 6x6 image; 3 filters ``F`` (3, 3, 3) with biases ``bF`` (3,) give 3
feature maps 4x4 (``zF``, ``aF``); 2x2 max pooling gives 3 maps 2x2 (``aP``); 3 output units with
weights ``Wo`` (3, 3, 2, 2) and biases ``bo`` (3,) (``zO``, ``aO``).
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Params = dict[str, np.ndarray]

__all__ = [
    "sigmoid",
    "sigmoid_prime",
    "cost",
    "NNForward",
    "nn_forward",
    "nn_cost",
    "nn_delta_gradients",
    "nn_gradient_descent",
    "CNNForward",
    "cnn_forward",
    "cnn_cost",
    "cnn_delta_gradients",
    "cnn_gradient_descent",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z) (§1-3), written so that no exp overflows."""
    e = np.exp(-np.abs(z))
    a: np.ndarray = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return a


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 - σ(z)) (§2-6)."""
    a = sigmoid(z)
    return a * (1.0 - a)


def cost(a: np.ndarray, T: np.ndarray) -> float:
    """C_T = Σ over images of 1/2 Σ_k (t_k - a_k)^2 (§1-7), from the output layer's activations
    a and the one-hot targets T (images, units): the one place this module computes C_T."""
    return float(0.5 * np.sum((T - a) ** 2))


# --------------------------------------------------------------------------------------------
# The 12-3-2 network (§4-1..§4-4)
# --------------------------------------------------------------------------------------------


class NNForward(NamedTuple):
    """Weighted inputs and activations of every layer; each array is (images, units)."""

    z2: np.ndarray
    a2: np.ndarray
    z3: np.ndarray
    a3: np.ndarray


def nn_forward(params: Params, X: np.ndarray) -> NNForward:
    """Forward pass of the 12-3-2 network (§3-5): z2 = W2 x + b2, a2 = σ(z2), z3 = W3 a2 + b3."""
    z2 = X @ params["W2"].T + params["b2"]
    a2 = sigmoid(z2)
    z3 = a2 @ params["W3"].T + params["b3"]
    a3 = sigmoid(z3)
    return NNForward(z2, a2, z3, a3)


def nn_cost(params: Params, X: np.ndarray, T: np.ndarray) -> float:
    """C_T of the 12-3-2 network over the images X with one-hot targets T (§3-5): `cost` of its
    output layer."""
    return cost(nn_forward(params, X).a3, T)


def nn_delta_gradients(params: Params, X: np.ndarray, T: np.ndarray) -> tuple[float, Params]:
    """C_T and its gradient by the δ method (§4-3), summed over the images (§4-4).

    Output layer:  δ3_j = (a3_j - t_j) σ'(z3_j)
    Hidden layer:  δ2_i = (Σ_j δ3_j w3_ji) σ'(z2_i)
    Gradients:     ∂C/∂w_ij = δ_i · a_j (a_j of the previous layer; the pixel x_j for layer 2)
                   ∂C/∂b_i = δ_i
    """
    z2, a2, z3, a3 = nn_forward(params, X)
    delta3 = (a3 - T) * sigmoid_prime(z3)  # (images, 2)
    delta2 = (delta3 @ params["W3"]) * sigmoid_prime(z2)  # (images, 3): Σ_j δ3_j w3_ji
    grads = {
        "W2": delta2.T @ X,  # Σ over images of δ2_i x_j
        "b2": delta2.sum(axis=0),
        "W3": delta3.T @ a2,  # Σ over images of δ3_i a2_j
        "b3": delta3.sum(axis=0),
    }
    return cost(a3, T), grads


def _gradient_descent(
    gradients: Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]],
    params: Params,
    X: np.ndarray,
    T: np.ndarray,
    lr: float,
    steps: int,
) -> tuple[list[float], Params]:
    """Full-batch gradient descent (§2-11): every parameter p becomes p - η ∂C_T/∂p."""
    params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    costs: list[float] = []
    for _ in range(steps):
        C_T, grads = gradients(params, X, T)
        costs.append(C_T)
        params = {key: params[key] - lr * grads[key] for key in params}
    C_T, _ = gradients(params, X, T)
    costs.append(C_T)
    return costs, params


def nn_gradient_descent(
    params: Params, X: np.ndarray, T: np.ndarray, lr: float = 0.2, steps: int = 50
) -> tuple[list[float], Params]:
    """The §4-4 worked example: full-batch gradient descent on C_T with η = lr.

    Returns ``(costs, params)``: ``costs[s]`` is C_T after s updates (s = 0..steps), and the
    parameters after the last update. The given ``params`` are not changed.
    """
    return _gradient_descent(nn_delta_gradients, params, X, T, lr, steps)


# --------------------------------------------------------------------------------------------
# The small CNN (§5-4..§5-6)
# --------------------------------------------------------------------------------------------


class CNNForward(NamedTuple):
    """Every layer of the CNN for all images.

    patches (images, 4, 4, 3, 3): the 3x3 input patch under each position of a feature map;
    zF, aF (images, 3, 4, 4): convolution layer; aP (images, 3, 2, 2): pooling layer;
    winner (images, 3, 4, 4): 1 where aF is the maximum of its pooling window, else 0;
    zO, aO (images, 3): output layer.
    """

    patches: np.ndarray
    zF: np.ndarray
    aF: np.ndarray
    aP: np.ndarray
    winner: np.ndarray
    zO: np.ndarray
    aO: np.ndarray


def _pool_windows(aF: np.ndarray) -> np.ndarray:
    """(images, 3, 4, 4) -> (images, 3, 2, 2, 4): the 4 values of each 2x2 window (stride 2)."""
    n, m = aF.shape[:2]
    windows = aF.reshape(n, m, 2, 2, 2, 2)  # image, map, window row, row in window, window col, col
    pooled: np.ndarray = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, m, 2, 2, 4)
    return pooled


def _unpool_windows(windows: np.ndarray) -> np.ndarray:
    """The inverse of ``_pool_windows``: (images, 3, 2, 2, 4) -> (images, 3, 4, 4)."""
    n, m = windows.shape[:2]
    a: np.ndarray = windows.reshape(n, m, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return a.reshape(n, m, 4, 4)


def cnn_forward(params: Params, X: np.ndarray) -> CNNForward:
    """Forward pass of the book's CNN (§5-4).

    Convolution (cross-correlation, stride 1, no padding):
        zF_k[i, j] = Σ_{p,q} F_k[p, q] x[i+p, j+q] + bF_k,   aF = σ(zF)
    Max pooling 2x2, stride 2:  aP_k[i, j] = max of aF_k over window (i, j)
    Output:  zO_n = Σ_{k,i,j} Wo[n, k, i, j] aP_k[i, j] + bo_n,   aO = σ(zO)
    """
    images = X.reshape(-1, 6, 6)
    patches = sliding_window_view(images, (3, 3), axis=(1, 2))  # (images, 4, 4, 3, 3)
    zF = np.einsum("nijpq,kpq->nkij", patches, params["F"]) + params["bF"][:, None, None]
    aF = sigmoid(zF)
    windows = _pool_windows(aF)
    first_max = windows.argmax(axis=-1)  # ties go to the first position in the window
    aP = np.take_along_axis(windows, first_max[..., None], axis=-1)[..., 0]
    winner = _unpool_windows(np.eye(4)[first_max])
    zO = np.einsum("nkij,okij->no", aP, params["Wo"]) + params["bo"]
    aO = sigmoid(zO)
    return CNNForward(patches, zF, aF, aP, winner, zO, aO)


def cnn_cost(params: Params, X: np.ndarray, T: np.ndarray) -> float:
    """C_T of the CNN over the 6x6 images X with one-hot targets T (§5-4): `cost` of its output
    layer."""
    return cost(cnn_forward(params, X).aO, T)


def cnn_delta_gradients(params: Params, X: np.ndarray, T: np.ndarray) -> tuple[float, Params]:
    """C_T and its gradient by the δ method for the CNN (§5-5), summed over the images.

    Output layer:       δO_n = (aO_n - t_n) σ'(zO_n)
    Convolution layer:  δF_k[i, j] = (Σ_n δO_n Wo[n, k, i', j']) × (1 if aF_k[i, j] is the
                        maximum of its pooling window (i', j'), else 0) × σ'(zF_k[i, j])
    Gradients:          ∂C/∂Wo[n, k, i, j] = δO_n aP_k[i, j],   ∂C/∂bo_n = δO_n
                        ∂C/∂F_k[p, q] = Σ_{i,j} δF_k[i, j] x[i+p, j+q]
                        ∂C/∂bF_k = Σ_{i,j} δF_k[i, j]
    """
    patches, zF, _, aP, winner, zO, aO = cnn_forward(params, X)
    deltaO = (aO - T) * sigmoid_prime(zO)  # (images, 3)
    back = np.einsum("no,okij->nkij", deltaO, params["Wo"])  # (images, 3, 2, 2) per pooled unit
    routed = back.repeat(2, axis=2).repeat(2, axis=3) * winner  # only to the arg-max of a window
    deltaF = routed * sigmoid_prime(zF)  # (images, 3, 4, 4)
    grads = {
        "F": np.einsum("nkij,nijpq->kpq", deltaF, patches),
        "bF": deltaF.sum(axis=(0, 2, 3)),
        "Wo": np.einsum("no,nkij->okij", deltaO, aP),
        "bo": deltaO.sum(axis=0),
    }
    return cost(aO, T), grads


def cnn_gradient_descent(
    params: Params, X: np.ndarray, T: np.ndarray, lr: float = 0.2, steps: int = 50
) -> tuple[list[float], Params]:
    """The §5-6 worked example: full-batch gradient descent on the CNN's C_T with η = lr.

    Returns ``(costs, params)`` as ``nn_gradient_descent`` does.
    """
    return _gradient_descent(cnn_delta_gradients, params, X, T, lr, steps)
