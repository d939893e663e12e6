"""The package's random numbers: one numpy generator, seeded by `manual_seed` (PyTorch's habit).

    tinygrad_edu.manual_seed(0)          # every draw after this repeats on every run
    x = tinygrad_edu.randn(3, 4)         # drawn from generator()

Layers' start values, `randn`/`rand`, `Dropout`'s masks and `nn.init` all draw from
`generator()`, so two layers made one after the other differ, and a seeded run is repeatable.
Until `manual_seed` is called the generator is seeded from the operating system (as PyTorch's).
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator"]


class _Source:
    """Holds this process's generator, so that `manual_seed` can replace it."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng()

    def seed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)


_SOURCE = _Source()


def manual_seed(seed: int) -> None:
    """Seed the package's generator: the draws that follow are the same on every run."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: the seed must be a whole number >= 0, got {seed!r}")
    _SOURCE.seed(int(seed))


def generator() -> np.random.Generator:
    """The numpy Generator every random draw of the package uses."""
    return _SOURCE.rng
