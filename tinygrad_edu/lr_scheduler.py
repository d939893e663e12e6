"""Learning-rate schedules, PyTorch's `torch.optim.lr_scheduler` (reached as
`tinygrad_edu.optim.lr_scheduler`): the learning rate η of gradient descent (§2-11) changes from
epoch to epoch.

    opt = optim.SGD(model.parameters(), lr=0.2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(epochs):
        ...                   # the epoch's opt.step()s
        sched.step()          # then the schedule moves on one epoch (PyTorch's order)

Each schedule is a formula η_e = f(e) of the epoch e and the starting rate η₀ (the optimizer's
`lr` when the scheduler is made); `step()` sets the optimizer's `lr` to η of the next epoch,
`get_last_lr()` gives [η].  PyTorch computes the same numbers by multiplying the last rate by
a factor at each step: equal up to rounding (tests/nn/test_pytorch_idioms.py checks 1e-10).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # optim imports this module: no import cycle at run time
    from .optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]


class LRScheduler:
    """The base of the schedules: a subclass writes `lr_at(epoch)`, η of that epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(getattr(optimizer, "lr", None), (int, float)):
            raise TypeError(f"{type(self).__name__} needs an Optimizer (with a learning rate "
                            f"`lr`), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        """Move on one epoch: the optimizer's `lr` becomes η of the next epoch."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """[η] of the current epoch (a list: PyTorch gives one rate per parameter group)."""
        return [self.lr_at(self.last_epoch)]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and its epoch (not the optimizer)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` of a scheduler of the same kind gave."""
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the entries "
                             f"{sorted(expected)}, got {sorted(state_dict)}")
        for name, value in state_dict.items():
            setattr(self, name, type(getattr(self, name))(value))


def _whole(who: str, name: str, n: Any) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{who}: {name} must be a whole number >= 1, got {n}")
    return int(n)


class StepLR(LRScheduler):
    """η_e = η₀ · γ^⌊e / step_size⌋: the learning rate falls by `gamma` every `step_size`
    epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = _whole("StepLR", "step_size", step_size)
        self.gamma = float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """η_e = η₀ · γ^e: the learning rate falls by `gamma` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """η_e = η_min + (η₀ - η_min) (1 + cos(π e / T_max)) / 2: from η₀ down to `eta_min` along
    half a cosine in `T_max` epochs (and back up in the next T_max, as PyTorch's)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = _whole("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = float(eta_min)

    def lr_at(self, epoch: int) -> float:
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0
