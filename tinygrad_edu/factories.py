"""Tensors made from a shape, PyTorch's factories: `zeros`, `ones`, `full`, `eye`, `arange`,
`linspace`, `randn`, `rand`, the `*_like` forms and `from_numpy`.

    W = tinygrad_edu.randn(3, 12, requires_grad=True)   # or randn((3, 12)): a shape as a tuple
    b = tinygrad_edu.zeros(3, requires_grad=True)

The sizes come as numbers or as one tuple, as in PyTorch; `dtype` is float64 by default (the
book's numbers; PyTorch's default is float32) or float32.  `randn` and `rand` draw from the
package's generator, which `tinygrad_edu.manual_seed(s)` seeds (random.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import random
from .habits import Tensor

__all__ = ["float32", "float64", "zeros", "ones", "full", "eye", "arange", "linspace", "randn",
           "rand", "zeros_like", "ones_like", "full_like", "randn_like", "rand_like",
           "from_numpy"]

#: the two dtypes a Tensor may have, under PyTorch's names (`dtype=tinygrad_edu.float32`)
float32, float64 = np.float32, np.float64


def _size(size: tuple[Any, ...], who: str) -> tuple[int, ...]:
    """The shape from `zeros(2, 3)` or `zeros((2, 3))`: whole numbers >= 0, or a ValueError."""
    if len(size) == 1 and isinstance(size[0], (Sequence, np.ndarray)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{who}: sizes must be whole numbers >= 0, got {size!r}; write "
                             f"{who}(2, 3) or {who}((2, 3))")
    return tuple(int(n) for n in size)


def _tensor(array: Any, dtype: Any, requires_grad: bool) -> Tensor:
    """The Tensor of `array` in `dtype` (float64 when None)."""
    return Tensor(array, requires_grad=requires_grad,
                  dtype=np.float64 if dtype is None else dtype)


def _generator(generator: np.random.Generator | None) -> np.random.Generator:
    return random.generator() if generator is None else generator


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of 0s: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _tensor(np.zeros(_size(size, "zeros")), dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of 1s: `ones(2, 3)` or `ones((2, 3))`."""
    return _tensor(np.ones(_size(size, "ones")), dtype, requires_grad)


def full(size: Any, fill_value: float, *, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A Tensor of shape `size` (a tuple, as PyTorch's `full`) filled with `fill_value`."""
    shape = _size((size,) if isinstance(size, (Sequence, np.ndarray)) else (size,), "full")
    return _tensor(np.full(shape, float(fill_value)), dtype, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix n x n (or n x m): 1 on the diagonal, 0 elsewhere."""
    shape = _size((n,) if m is None else (n, m), "eye")
    return _tensor(np.eye(shape[0], shape[-1]), dtype, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to (without) end; `arange(5)` is 0..4, as floats (PyTorch
    gives integers for whole-number arguments; a Tensor here holds floats)."""
    if step == 0:
        raise ValueError("arange: step must not be 0")
    start, end = (0, start) if end is None else (start, end)
    return _tensor(np.arange(start, end, step, dtype=np.float64), dtype, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` numbers evenly spaced from start to end, both included."""
    (n,) = _size((steps,), "linspace")
    return _tensor(np.linspace(start, end, n), dtype, requires_grad)


def randn(*size: Any, generator: np.random.Generator | None = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Numbers drawn from the standard normal distribution N(0, 1), from the package's
    generator (or `generator`)."""
    shape = _size(size, "randn")
    return _tensor(_generator(generator).standard_normal(shape), dtype, requires_grad)


def rand(*size: Any, generator: np.random.Generator | None = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Numbers drawn uniformly from [0, 1), from the package's generator (or `generator`)."""
    shape = _size(size, "rand")
    return _tensor(_generator(generator).random(shape), dtype, requires_grad)


def _like(input: Any, who: str, dtype: Any) -> tuple[tuple[int, ...], Any]:
    """The shape of `input` (a Tensor or an array) and the dtype to make: `dtype`, else the
    input's (float64 for a non-float input)."""
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"{who} needs a Tensor (or a numpy array), got {type(input).__name__}")
    if dtype is None and input.dtype.kind == "f":
        dtype = input.dtype
    return tuple(input.shape), dtype


def zeros_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """0s in the shape (and dtype) of `input`."""
    shape, dtype = _like(input, "zeros_like", dtype)
    return _tensor(np.zeros(shape), dtype, requires_grad)


def ones_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """1s in the shape (and dtype) of `input`."""
    shape, dtype = _like(input, "ones_like", dtype)
    return _tensor(np.ones(shape), dtype, requires_grad)


def full_like(input: Any, fill_value: float, *, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` in the shape (and dtype) of `input`."""
    shape, dtype = _like(input, "full_like", dtype)
    return _tensor(np.full(shape, float(fill_value)), dtype, requires_grad)


def randn_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`randn` in the shape (and dtype) of `input`."""
    shape, dtype = _like(input, "randn_like", dtype)
    return randn(shape, dtype=dtype, requires_grad=requires_grad)


def rand_like(input: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`rand` in the shape (and dtype) of `input`."""
    shape, dtype = _like(input, "rand_like", dtype)
    return rand(shape, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor over `array`, sharing its memory when it is float32 or float64 (as PyTorch's);
    integers become a float64 copy (a Tensor holds floats), booleans stay booleans."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy needs a numpy array, got {type(array).__name__}; use "
                        "Tensor(data) for lists and numbers")
    return Tensor(array)
