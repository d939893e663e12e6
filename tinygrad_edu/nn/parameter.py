"""`Parameter`: a weight or a bias that training changes (§1-7: the quantities C_T is minimised
over)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..habits import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A `Tensor` that is a learnable weight or bias: float64, `requires_grad=True`.

    On the tensor engine a layer keeps its weight matrix and bias vector as `Parameter`s; on the
    scalar engine every weight and bias is a plain `Value` (a `Value` is learnable by default).
    Ops on a `Parameter` give ordinary `Tensor`s.
    """

    __slots__ = ()

    def __init__(self, data: Any, label: str | None = None) -> None:
        super().__init__(np.array(data, dtype=np.float64), requires_grad=True, label=label)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]
