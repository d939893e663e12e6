"""The activation functions a unit may use, by name (§1-2, §1-3 and beyond).

Both engines spell them as methods (`z.sigmoid()`, `z.relu()`, ...), so one table serves the
scalar and the tensor engine.
"""

from __future__ import annotations

from typing import Any

from .. import functions as F

__all__ = ["ACTIVATIONS", "activate", "check_activation", "fire"]

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


#: name -> the op that computes it (the same ops as the methods `z.sigmoid()`, `z.relu()`, ...)
_OPS = {"sigmoid": F.Sigmoid, "tanh": F.Tanh, "relu": F.ReLU, "leaky_relu": F.LeakyReLU,
        "step": F.Step, "hard_sigmoid": F.HardSigmoid, "hard_tanh": F.HardTanh}


def activate(z: Any, name: str) -> Any:
    """a = a(z) for a `Value` or a `Tensor` z."""
    if name == "identity":
        return z
    return _OPS[name].apply(z)


def fire(z: Any, name: str, labels: tuple[str, str]) -> Any:
    """A unit (or a layer) fires: a = a(z), with z and a labelled by the book's names
    (`labels` = ("z2[A]", "a2[A]") or ("z2", "a2")) for messages and drawings."""
    z.label, a_label = labels
    a = activate(z, name)
    if a is not z:
        a.label = a_label
    return a
