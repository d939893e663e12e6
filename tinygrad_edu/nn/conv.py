"""Chapter 5's layers as modules: `Conv2d`, `MaxPool2d`, `Flatten`, and `Sequential` to chain them.

    net = Sequential(Conv2d(1, 3, 3, activation="sigmoid"), MaxPool2d(2), Flatten(),
                     Linear(12, 3, "sigmoid"))

is the book's CNN of §5-4 (NCHW input (N, 1, 6, 6)). The convolution is the sum of kernel x
patch: cross-correlation, as in the book and PyTorch (see conv/functions.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .activations import activate, check_activation
from .module import Module
from .parameter import Parameter

__all__ = ["Conv2d", "MaxPool2d", "Flatten", "Sequential"]


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class Conv2d(Module):
    """A convolution layer (§5-4): input (N, in_channels, H, W) -> (N, out_channels, OH, OW).

    `weight` is a `Parameter` (out_channels, in_channels, KH, KW), one filter per feature map;
    `bias` a `Parameter` (out_channels,): one bias per feature map, as in the book (or None).
    Start values: uniform in ±1/√(in_channels·KH·KW) drawn with `seed` (PyTorch's range), or the
    given `weight`/`bias`. `activation` is applied to the weighted input (default "identity").
    """

    scope_kind = "layer"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 bias: bool = True, activation: str = "identity", *, seed: int = 0,
                 weight: np.ndarray | None = None, bias_value: np.ndarray | None = None) -> None:
        kh, kw = _pair(kernel_size)
        shape = (out_channels, in_channels, kh, kw)
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        rng = np.random.default_rng(seed)
        w = rng.uniform(-bound, bound, shape) if weight is None else np.asarray(weight, float)
        if w.shape != shape:
            raise ValueError(f"Conv2d: weight has shape {w.shape}, expected {shape}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (kh, kw), _pair(stride), _pair(padding)
        self.activation = check_activation(activation)
        self.weight = Parameter(w, label="F")
        if bias:
            b = rng.uniform(-bound, bound, out_channels) if bias_value is None else \
                np.asarray(bias_value, float)
            if b.shape != (out_channels,):
                raise ValueError(f"Conv2d: bias has shape {b.shape}, expected ({out_channels},)")
            self.bias: Parameter | None = Parameter(b, label="bF")
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        z = x.conv2d(self.weight, self.bias, stride=self.stride, padding=self.padding)
        return activate(z, self.activation)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels} -> {self.out_channels}, kernel {self.kernel_size}, "
                f"stride {self.stride}, padding {self.padding}, {self.activation})")


class MaxPool2d(Module):
    """Max pooling (§5-4): the largest value of each window; `stride` defaults to the kernel."""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        return x.max_pool2d(self.kernel_size, self.stride, self.padding)

    def __repr__(self) -> str:
        return f"MaxPool2d({self.kernel_size}, stride={self.stride or self.kernel_size})"


class Flatten(Module):
    """(N, C, H, W) -> (N, C·H·W): the pooled maps side by side, for a fully connected layer."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0:
            raise ValueError("Flatten: a 0-d input has no batch axis; Flatten keeps axis 0 (the "
                             "images) and joins the rest, so give it shape (N, ...)")
        return x.reshape(x.shape[0], -1)

    def __repr__(self) -> str:
        return "Flatten()"


class Sequential(Module):
    """Modules applied one after the other; parameters named "layers.{k}.weight" as in `MLP`."""

    scope_kind = "network"

    def __init__(self, *modules: Module) -> None:
        for m in modules:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, got {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __repr__(self) -> str:
        rows = "".join(f"  ({k}) {m!r}\n" for k, m in enumerate(self.layers))
        return "Sequential(\n" + rows + ")"
