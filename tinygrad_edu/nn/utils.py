"""`clip_grad_norm_`: shorten the gradient when it is too long, PyTorch's
`torch.nn.utils.clip_grad_norm_`.

    C_T.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..habits import Tensor, Value

__all__ = ["clip_grad_norm_"]


def _with_grads(parameters: Iterable[Any] | Any) -> list[Any]:
    """The parameters (one alone, or any iterable) that have a gradient."""
    if isinstance(parameters, (Tensor, Value)):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Any] | Any, max_norm: float,
                    norm_type: float = 2.0) -> Tensor:
    """Scale every gradient by max_norm / (‖g‖ + 1e-6) when the norm ‖g‖ of all gradients
    together (as one long vector; `norm_type` p, `inf` for the largest |g|) is above
    `max_norm`; returns ‖g‖ before clipping as a 0-d Tensor, as PyTorch does."""
    params = _with_grads(parameters)
    grads = [np.abs(np.asarray(p.grad, dtype=np.float64)).ravel() for p in params]
    flat = np.concatenate(grads) if grads else np.zeros(0)
    p_norm = float(norm_type)
    if p_norm == np.inf:
        total = float(flat.max()) if flat.size else 0.0
    else:
        total = float(np.sum(flat ** p_norm) ** (1.0 / p_norm))
    scale = min(float(max_norm) / (total + 1e-6), 1.0)
    if scale < 1.0:
        for p in params:
            p.grad = p.grad * scale
    return Tensor(total)
