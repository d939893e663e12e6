"""Chapter 5's layers as modules: `Conv2d`, `MaxPool2d`, `Flatten`, and `Sequential` to chain them.

    net = Sequential({"convolution": Conv2d(1, 3, 3, activation="sigmoid"),
                      "pooling": MaxPool2d(2), "flatten": Flatten(),
                      "output": Linear(12, 3, "sigmoid", layer="O")})

is the book's CNN of §5-4 (NCHW input (N, 1, 6, 6)), as `book.ch5_cnn.BookCNN` builds it.  The
convolution is the sum of kernel x patch: cross-correlation, as in the book and PyTorch (see
conv/functions.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ..conv import conv2d, max_pool2d
from ..habits import Tensor
from ..random import start_generator
from .activations import check_activation, fire
from .module import Module
from .parameter import Parameter

__all__ = ["Conv2d", "MaxPool2d", "Flatten", "Sequential"]


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class Conv2d(Module):
    """A convolution layer (§5-4): input (N, in_channels, H, W) -> (N, out_channels, OH, OW).

    `weight` is a `Parameter` (out_channels, in_channels, KH, KW), one filter per feature map;
    `bias` a `Parameter` (out_channels,): one bias per feature map, as in the book (or None).
    Start values: uniform in ±1/√(in_channels·KH·KW) (PyTorch's range), drawn as `Linear` draws
    them (by `rng`, else by `seed`, else by the generator `tinygrad_edu.manual_seed` seeds),
    or the given `weight`/`bias_value`.  `activation` is applied to the weighted input (default
    "identity").  The book's names label the values: filters F, biases bF, weighted input zF,
    feature maps aF.
    """

    scope_kind = "layer"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 bias: bool = True, activation: str = "identity", *, seed: int | None = None,
                 rng: np.random.Generator | None = None, weight: np.ndarray | None = None,
                 bias_value: np.ndarray | None = None) -> None:
        kh, kw = _pair(kernel_size)
        shape = (out_channels, in_channels, kh, kw)
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        rng = start_generator(seed, rng)
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

    if TYPE_CHECKING:  # what an editor sees: calling the layer runs forward
        def __call__(self, x: Any) -> Tensor: ...

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        z: Tensor = conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)
        return fire(z, self.activation, ("zF", "aF"))

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels} -> {self.out_channels}, kernel {self.kernel_size}, "
                f"stride {self.stride}, padding {self.padding}, {self.activation})")


class MaxPool2d(Module):
    """Max pooling (§5-4): the largest value of each window; `stride` defaults to the kernel.

    The book's pooling layer: its output, the pooled maps, is labelled aP."""

    scope_kind = "layer"

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        aP: Tensor = max_pool2d(x, self.kernel_size, self.stride, self.padding)
        aP.label = "aP"
        return aP

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
    """Modules applied one after the other.

    As PyTorch names them: `Sequential(a, b, c)` keeps them under the names "0", "1", "2", so
    parameters are named "0.weight", "2.bias" and a torch `nn.Sequential`'s `state_dict()` of the
    same layers loads as it is; `Sequential({"convolution": a, "pooling": b})` (PyTorch's
    OrderedDict form) keeps each under its name, parameters named "convolution.weight", so a
    network can carry the book's names.  Either way they run in the order given; `net[k]` is
    the k-th and `net.layers` the list of them.
    """

    scope_kind = "network"

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        given = modules[0] if len(modules) == 1 and isinstance(modules[0], Mapping) else None
        named = dict(given) if given is not None else {str(k): m for k, m in enumerate(modules)}
        for name, m in named.items():
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, got {type(m).__name__}")
            if given is not None and not (isinstance(name, str) and name.isidentifier()
                                          and not name.startswith("_")):
                raise ValueError(f"Sequential: the layer name {name!r} is not a plain attribute "
                                 "name; name layers like 'convolution' or 'output'")
            setattr(self, name, m)  # positional layers as PyTorch names them: "0", "1", ...

    @property
    def layers(self) -> list[Module]:
        """The layers in the order they run."""
        return list(self._in_order())

    def _in_order(self) -> Iterator[Module]:
        """The layers as they run: the sub-modules in the order they were given."""
        return (m for _, m in self.named_children())

    if TYPE_CHECKING:  # what an editor sees: calling the layers runs forward
        @overload
        def __call__(self, x: Tensor) -> Tensor: ...
        @overload
        def __call__(self, x: Any) -> Any: ...
        def __call__(self, x: Any) -> Any: ...

    def forward(self, x: Any) -> Any:
        for layer in self._in_order():
            x = layer(x)
        return x

    def __len__(self) -> int:
        return sum(1 for _ in self._in_order())

    def __getitem__(self, i: int) -> Module:
        return list(self._in_order())[i]

    def __repr__(self) -> str:
        # positional layers by index, as before ("(0)"), named ones by name ("(convolution)")
        rows = "".join(f"  ({name}) {m!r}\n"
                       for name, m in self.named_children())
        return f"{type(self).__name__}(\n" + rows + ")"
