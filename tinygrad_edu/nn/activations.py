"""The activation functions a unit may use, by name (§1-2, §1-3 and beyond), and as modules.

Both engines spell them as methods (`z.sigmoid()`, `z.relu()`, ...), so one table serves the
scalar and the tensor engine.  A layer takes its activation by name (`Linear(12, 3, "sigmoid")`,
as the book's units fire); PyTorch's habit, a separate module in a `Sequential`
(`Sequential(Linear(12, 3), Sigmoid())`), computes the same a(z) with `ReLU`, `Sigmoid`, `Tanh`,
`LeakyReLU` and `Hardtanh`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..engine import Node
from ..engine.ops import Operators
from ..habits import Tensor
from .module import Module

__all__ = ["ACTIVATIONS", "activate", "check_activation", "fire", "Activation", "ReLU", "Sigmoid",
           "Tanh", "LeakyReLU", "Hardtanh"]

#: name -> what it computes; "identity" leaves the weighted input z as it is.
ACTIVATIONS: dict[str, str] = {
    "sigmoid": "σ(z) = 1/(1+e^-z) (§1-3), the book's choice",
    "tanh": "tanh z = 2σ(2z) - 1",
    "relu": "max(0, z)",
    "leaky_relu": "z for z > 0, else 0.01 z",
    "step": "the unit step of §1-2: 1 for z >= 0, else 0 (gradient 0)",
    "hard_sigmoid": "clip(0.25 z + 0.5, 0, 1)",
    "hard_tanh": "clip(z, -1, 1)",
    "identity": "z itself (a linear unit)",
}


def check_activation(name: str) -> str:
    """Return `name` if it is a known activation, else raise a ValueError listing them."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return name


#: name -> the method that computes it: a layer builds exactly the graph `z.sigmoid()` does
_METHODS = {name: getattr(Operators, name) for name in ACTIVATIONS if name != "identity"}


def activate(z: Any, name: str) -> Any:
    """a = a(z) for a `Value` or a `Tensor` z."""
    if name == "identity":
        return z
    return _METHODS[name](z)


N = TypeVar("N", bound=Node)  # a layer's a is of its z's kind: Value or Tensor


def fire(z: N, name: str, labels: tuple[str, str]) -> N:
    """A unit (or a layer) fires: a = a(z), with z and a labelled by the book's names
    (`labels` = ("z2[A]", "a2[A]") or ("z2", "a2")) for messages and drawings."""
    z.label, a_label = labels
    a: N = activate(z, name)
    if a is not z:
        a.label = a_label
    return a


class Activation(Module):
    """An activation as a module: a = a(z), elementwise, for a `Value` or a `Tensor` z (an
    array becomes a `Tensor`).  `kind` is its name in `ACTIVATIONS`."""

    kind = "identity"

    def forward(self, z: Any) -> Any:
        return activate(z if isinstance(z, Node) else Tensor(z), self.kind)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """max(0, z), as PyTorch's nn.ReLU."""

    kind = "relu"


class Sigmoid(Activation):
    """σ(z) = 1/(1+e^-z) (§1-3), as PyTorch's nn.Sigmoid."""

    kind = "sigmoid"


class Tanh(Activation):
    """tanh z, as PyTorch's nn.Tanh."""

    kind = "tanh"


class LeakyReLU(Activation):
    """z for z > 0, else 0.01 z, as PyTorch's nn.LeakyReLU with its default slope (the only
    slope here)."""

    kind = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        if negative_slope != 0.01:
            raise ValueError(f"LeakyReLU: only negative_slope=0.01 is supported, got "
                             f"{negative_slope}")


class Hardtanh(Activation):
    """clip(z, -1, 1), as PyTorch's nn.Hardtanh with its default bounds (the only ones here)."""

    kind = "hard_tanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        if (min_val, max_val) != (-1.0, 1.0):
            raise ValueError(f"Hardtanh: only the bounds -1 and 1 are supported, got "
                             f"{min_val} and {max_val}")
