"""`DataLoader`: arrays of images and targets in minibatches, shuffled with a seed.

The book trains on the whole batch (C_T over all 64 images, §3-5); with more data one step uses
a minibatch of images at a time.  PyTorch's habit,

    loader = DataLoader(X, T, batch_size=16, shuffle=True, seed=0)
    for epoch in range(epochs):
        for x, t in loader:           # numpy arrays: x (16, 12), t (16, 2)
            ...

with `DataLoader(TensorDataset(X, T), ...)` accepted as well, and any map-style dataset: a
`Dataset` subclass (or any object) with `__len__` and `__getitem__(i)` giving one example, read
one minibatch at a time (never the whole dataset at once).  Batches are numpy arrays (layers
and costs take them as they are); each epoch draws a new order from one generator seeded by
`seed`, so the same seed gives the same batches, epoch after epoch, on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Dataset", "DataLoader", "TensorDataset", "collate"]


class Dataset:
    """A map-style dataset (PyTorch's `Dataset`): subclass it and write `__len__`, the number of
    examples, and `__getitem__(i)`, example i (an array, or a tuple such as (x, t))."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Arrays whose first axis counts the same examples (PyTorch's name): `ds[i]` is the i-th
    example of each, `len(ds)` their number."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        for a in arrays:
            if _is_map_style(a):  # never read a whole dataset into one array
                raise TypeError(f"TensorDataset takes arrays, got the dataset "
                                f"{type(a).__name__}; give a dataset alone: DataLoader(dataset)")
        self.arrays = [np.asarray(a) for a in arrays]
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the arrays must have the same first dimension, got "
                             f"shapes {[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


def _is_map_style(obj: Any) -> bool:
    """Whether `obj` is a map-style dataset rather than an array: a `Dataset`, or an object
    with `__getitem__` that is not an array, a list, a string or a Tensor."""
    if isinstance(obj, TensorDataset):
        return False
    return isinstance(obj, Dataset) or (hasattr(obj, "__getitem__") and not hasattr(obj, "shape")
                                        and not isinstance(obj, (list, tuple, str, bytes)))


def collate(items: list[Any]) -> Any:
    """A minibatch from a list of examples: arrays stacked on a new first axis; tuples (x, t)
    field by field into a tuple of arrays; dicts key by key (PyTorch's default_collate, with
    numpy arrays)."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(collate(list(field)) for field in zip(*items))
    if isinstance(first, dict):
        return {key: collate([item[key] for item in items]) for key in first}
    return np.stack([np.asarray(item) for item in items])


class _Examples:
    """A map-style dataset read one example at a time, for `DataLoader`."""

    def __init__(self, dataset: Any) -> None:
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: the dataset {type(dataset).__name__} has no __len__; "
                            "a map-style dataset needs __len__ and __getitem__ (iterable "
                            "datasets are not supported)")
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, indices: Any) -> Any:
        return collate([self.dataset[int(i)] for i in indices])


class DataLoader:
    """Minibatches of `batch_size` examples from arrays with the same first dimension, or from a
    map-style dataset.

    `DataLoader(X, T, ...)` yields `(x, t)` pairs (one array per array given; a single array
    yields arrays); `DataLoader(dataset, ...)` reads `dataset[i]` for the i of each minibatch
    (`len(dataset)` examples) and stacks them (`collate`); `shuffle=True` draws a new order
    each epoch from `numpy.random.default_rng(seed)`; `drop_last=True` leaves out a last,
    smaller batch.  `len(loader)` is the number of batches per epoch; `loader.dataset` the
    dataset (a `TensorDataset` of the arrays given).
    """

    def __init__(self, *data: Any, batch_size: int = 1, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False) -> None:
        map_style = len(data) == 1 and _is_map_style(data[0])
        dataset = data[0] if map_style or (len(data) == 1 and isinstance(data[0], TensorDataset)) \
            else TensorDataset(*data)
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a whole number >= 1, got "
                             f"{batch_size!r}")
        self.dataset = dataset
        self._read = _Examples(dataset) if map_style else dataset  # indices -> a minibatch
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        n, b = len(self.dataset), self.batch_size
        order = self._rng.permutation(n) if self.shuffle else None
        for k in range(len(self)):
            chunk = order[k * b:(k + 1) * b] if order is not None else \
                np.arange(k * b, min((k + 1) * b, n))  # not arange(n): a batch's memory only
            batch = self._read[chunk]
            yield batch[0] if isinstance(batch, tuple) and len(batch) == 1 else batch
