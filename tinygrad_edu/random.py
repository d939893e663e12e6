"""The one random generator that layers draw their start values from, and `manual_seed` to seed it.

    import tinygrad_edu as tg
    tg.manual_seed(0)            # as torch.manual_seed(0): the same start values every run
    a, b = nn.Linear(4, 4), nn.Linear(4, 4)   # two layers, two different starts

As in PyTorch, every `nn.Linear` and `nn.Conv2d` built without its own `seed`/`rng` takes the
next numbers of this one generator, so two layers start differently, and a run seeded once at
the top repeats exactly.  A fresh Python process starts the generator at `DEFAULT_SEED`, as
PyTorch starts its own at a fixed seed: an unseeded script also repeats from run to run.
The book's networks set their own start values (or a seed of their own) and never touch it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator", "start_generator", "DEFAULT_SEED"]

#: the seed a fresh process starts from
DEFAULT_SEED = 0

_generator = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Restart the generator of the layers' start values from `seed` (a whole number >= 0);
    returns the generator (as `torch.manual_seed` returns its own)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"manual_seed takes a whole number >= 0, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator the layers draw their start values from (the one `manual_seed` seeds)."""
    return _generator


def start_generator(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    """Where a layer draws its start values: `rng` when given, else a generator of its own
    `seed` when given, else the package's one generator."""
    if rng is not None:
        return rng
    return _generator if seed is None else np.random.default_rng(seed)
