"""`DataLoader`: arrays of images and targets in minibatches, shuffled with a seed.

The book trains on the whole batch (C_T over all 64 images, §3-5); with more data one step uses
a minibatch of images at a time.  PyTorch's habit,

    loader = DataLoader(X, T, batch_size=16, shuffle=True, seed=0)
    for epoch in range(epochs):
        for x, t in loader:           # numpy arrays: x (16, 12), t (16, 2)
            ...

with `DataLoader(TensorDataset(X, T), ...)` accepted as well.  Batches are numpy arrays (layers
and costs take them as they are); each epoch draws a new order from one generator seeded by
`seed`, so the same seed gives the same batches, epoch after epoch, on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["DataLoader", "TensorDataset"]


class TensorDataset:
    """Arrays whose first axis counts the same examples (PyTorch's name): `ds[i]` is the i-th
    example of each, `len(ds)` their number."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = [np.asarray(a) for a in arrays]
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the arrays must have the same first dimension, got "
                             f"shapes {[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Minibatches of `batch_size` examples from arrays with the same first dimension.

    `DataLoader(X, T, ...)` yields `(x, t)` pairs (one array per array given; a single array
    yields arrays); `shuffle=True` draws a new order each epoch from
    `numpy.random.default_rng(seed)`; `drop_last=True` leaves out a last, smaller batch.
    `len(loader)` is the number of batches per epoch.
    """

    def __init__(self, *data: Any, batch_size: int = 1, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False) -> None:
        if len(data) == 1 and isinstance(data[0], TensorDataset):
            dataset = data[0]
        else:
            dataset = TensorDataset(*data)
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a whole number >= 1, got "
                             f"{batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            batch = self.dataset[order[k * self.batch_size:(k + 1) * self.batch_size]]
            yield batch[0] if len(batch) == 1 else batch
