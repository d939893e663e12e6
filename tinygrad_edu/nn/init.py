"""Start values for weights, PyTorch's `torch.nn.init`: each function fills a parameter's array in
place (the same array object, as PyTorch's trailing `_` says) and returns the parameter.

    nn.init.xavier_uniform_(layer.weight)     # uniform in ±gain·√(6 / (fan_in + fan_out))
    nn.init.zeros_(layer.bias)

The random ones draw from the package's generator, which `tinygrad_edu.manual_seed(s)` seeds.
fan_in is the number of inputs of a unit (a weight matrix's columns, times a filter's size),
fan_out the number of units it feeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..habits import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _fill(tensor: Tensor, values: Any, who: str) -> Tensor:
    """Write `values` into the tensor's array in place and tell the tensor it changed (its
    version counter: a graph recorded before refuses to backpropagate through the old numbers)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{who} fills a Tensor (a layer's weight or bias), got "
                        f"{type(tensor).__name__}")
    data = tensor.data
    if data.flags.writeable:
        data[...] = values
        tensor.data = data  # the same array given back: counted as a change in place
    else:
        tensor.data = np.full(data.shape, values, dtype=data.dtype) if np.ndim(values) == 0 \
            else np.asarray(values, dtype=data.dtype)
    return tensor


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(tensor.shape) if isinstance(tensor, Tensor) else ()


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Numbers drawn uniformly from [a, b)."""
    return _fill(tensor, random.generator().uniform(a, b, _shape(tensor)), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Numbers drawn from the normal distribution N(mean, std²)."""
    return _fill(tensor, random.generator().normal(mean, std, _shape(tensor)), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every element `val`."""
    return _fill(tensor, float(val), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Every element 0."""
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Every element 1."""
    return _fill(tensor, 1.0, "ones_")


def _fans(tensor: Tensor, who: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel): in·k and out·k, k the kernel's size."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"nn.init.{who}: fan in and fan out need a weight of at least 2 "
                         f"dimensions (out, in, ...), got shape {shape}")
    k = math.prod(shape[2:])
    return shape[1] * k, shape[0] * k


#: the gain each activation asks for, PyTorch's table (leaky_relu's depends on its slope)
_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps the spread of the activations steady through layers of
    `nonlinearity`: 1 for linear and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for
    leaky_relu (slope `param`, 0.01 by default)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; valid: "
                         f"{', '.join([*_GAINS, 'leaky_relu'])}")
    return _GAINS[nonlinearity]


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot's start values: uniform in ±gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot's start values: normal with std gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, who: str) -> float:
    """He's spread: gain / √fan, fan the fan_in ("fan_in") or the fan_out ("fan_out")."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, who)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He's start values: uniform in ±√3·gain/√fan (`a` the leaky_relu slope for the gain)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He's start values: normal with std gain/√fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))
