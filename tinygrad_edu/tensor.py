"""`Tensor`: the tensor engine, a numpy array with a gradient (§1-4: a layer at a time).

The same derivative rules as `Value` (functions.py), applied to whole arrays: a layer's weighted
inputs for all 64 images at once are one matrix product, Z = X Wᵀ + b.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> W = Tensor([[0.5, -1.0]], requires_grad=True, label="W")
    >>> x = Tensor([2.0, 1.0])
    >>> a = (W @ x).sigmoid().sum()
    >>> a.backward()
    >>> W.grad.round(4).tolist()
    [[0.5, 0.25]]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import functions as F
from .autograd import Node
from .xp import ArrayMath

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _as_array(data: Any, what: str = "Tensor()") -> np.ndarray:
    """A float array from numbers, lists or arrays; a clear TypeError for anything else."""
    if isinstance(data, Node):
        raise TypeError(f"{what}: got a {type(data).__name__}; use its .data (a "
                        f"{'float' if type(data).__name__ == 'Value' else 'numpy array'}), "
                        "or .detach()")
    try:
        arr = np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: the nested lists do not form a rectangular array ({e})") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr if arr.dtype in _FLOATS else arr.astype(np.float64)
    if kind in "biu":
        return arr.astype(np.float64)
    if kind == "O":
        bad = [x for x in arr.flat if not isinstance(x, (int, float, np.number))
               or isinstance(x, (complex, np.complexfloating))][:1]
        if bad:
            bad = bad[0]
            raise TypeError(f"{what} needs numbers, got {type(bad).__name__} {bad!r} inside; "
                            "convert the data to floats first")
        return arr.astype(np.float64)
    if kind in "US":
        raise TypeError(f"{what} needs numbers, got strings (dtype {arr.dtype}); convert them "
                        "first, e.g. np.array(data, dtype=float)")
    if kind == "c":
        raise TypeError(f"{what}: complex numbers are not supported (dtype {arr.dtype})")
    raise TypeError(f"{what} needs numbers, got an array of dtype {arr.dtype}")


class Tensor(Node):
    """A node over a numpy array: float64 by default, float32 kept when given.

    `.grad` is a numpy array of the same shape, or None until a backward reaches it; set it to
    None to clear it.  `requires_grad` is False by default (data), True for weights.
    """

    __slots__ = ()
    _xp = ArrayMath
    _zero_grad_value = None
    _grad_type = np.ndarray  # see run_backward: the right shape and dtype are used as is
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None,
                 dtype: Any = None) -> None:
        arr = _as_array(data)
        if dtype is not None:
            dt = np.dtype(dtype)
            if dt not in _FLOATS:
                raise TypeError(f"Tensor dtype must be float32 or float64, got {dt}")
            arr = arr.astype(dt, copy=False)
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._ctx = None
        self._hooks = None

    # -- engine interface (see autograd.Node) -------------------------------------------------
    @classmethod
    def _from_raw(cls, raw: Any) -> "Tensor":
        t = object.__new__(Tensor)
        if type(raw) is not np.ndarray or raw.dtype.kind != "f":
            raw = np.asarray(raw)
            if raw.dtype.kind != "f":
                raw = raw.astype(np.float64)
        t.data = raw
        t.grad = None
        t.requires_grad = False
        t.label = None
        t._ctx = None
        t._hooks = None
        return t

    @classmethod
    def _constant(cls, x: Any, fn: type) -> Any:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return x  # a Python number stays weak: float32 * 2.0 stays float32
        return _as_array(x, fn.name())

    def _fit_grad(self, g: Any, fn: type) -> Any:
        if isinstance(g, Tensor):  # create_graph: keep it a graph value
            if g.data.shape != self.data.shape:
                from .graphmath import GraphMath

                g = GraphMath.sum_to(g, self.data.shape)
            return g
        data = self.data
        if type(g) is np.ndarray and g.shape == data.shape and g.dtype == data.dtype:
            return g  # the common case, checked first
        shape = data.shape
        if type(g) is not np.ndarray or g.shape != shape:
            try:
                g = ArrayMath.sum_to(g, shape)
            except ValueError:
                raise ValueError(f"{fn.name()}.backward returned a gradient of shape "
                                 f"{np.shape(g)} for an input of shape {shape}") from None
        if g.dtype != self.data.dtype:
            g = g.astype(self.data.dtype)
        return g

    def _accumulate(self, g: np.ndarray, given: set[int]) -> None:
        if self.grad is None:
            if id(g) in given:
                # the very array another leaf got (a + b hands the same gradient to both):
                # share it without a copy, but read-only, so neither can change the other's
                g.flags.writeable = False
            elif not g.flags.writeable or g.base is not None:
                g = g.copy()  # a view into another array: own a copy
            given.add(id(g))
            self.grad = g
        else:
            self.grad = self.grad + g

    def _seed(self, create_graph: bool) -> Any:
        if self.data.size != 1:
            raise RuntimeError(
                f"backward: this Tensor has shape {self.data.shape}; backward() without a "
                "gradient needs a one-element result (a cost). Reduce it first (.sum(), "
                f".mean()) or pass the gradient: .backward(np.ones({self.data.shape}))")
        seed = np.ones(self.data.shape, self.data.dtype)
        return Tensor._from_raw(seed) if create_graph else seed

    def _check_grad_arg(self, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            grad = grad.data
        g = _as_array(grad, "backward(grad)")
        if g.shape != self.data.shape:
            if g.size == 1 and self.data.size == 1:
                g = g.reshape(self.data.shape)
            else:
                raise ValueError(f"backward: the gradient has shape {g.shape} but the Tensor "
                                 f"has shape {self.data.shape}; they must match")
        return g.astype(self.data.dtype, copy=False)

    # -- what it holds --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        """The one number of a one-element tensor."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, this one has shape {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (not a copy)."""
        return self.data

    def __float__(self) -> float:
        return self.item()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """`np.asarray(tensor)`: the data, outside the graph (as `.data`, or a cast copy)."""
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", dtype={self.dtype}" if self.dtype != np.float64 else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}{extra})"

    # -- arithmetic (elementwise, numpy broadcasting) -----------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return F.Add.apply(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return F.Add.apply(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return F.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return F.Sub.apply(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return F.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return F.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return F.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return F.Div.apply(other, self)

    def __pow__(self, other: Any) -> "Tensor":
        return F.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return F.Pow.apply(other, self)

    def __neg__(self) -> "Tensor":
        return F.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other: Any) -> "Tensor":
        return F.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return F.MatMul.apply(other, self)

    # -- elementwise functions and activations (§1-2, §1-3); see Value for the corners --------
    def exp(self) -> "Tensor":
        return F.Exp.apply(self)

    def log(self) -> "Tensor":
        """ln x; ln 0 = -inf with gradient +inf, ln of a negative number is NaN."""
        return F.Log.apply(self)

    def sigmoid(self) -> "Tensor":
        """σ(z) = 1/(1+e^-z) elementwise (§1-3); σ' = σ(1-σ)."""
        return F.Sigmoid.apply(self)

    def tanh(self) -> "Tensor":
        return F.Tanh.apply(self)

    def relu(self) -> "Tensor":
        """max(0, z); derivative 0 at the corner z = 0."""
        return F.ReLU.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return F.LeakyReLU.apply(self, slope=slope)

    def step(self, surrogate: str = "zero") -> "Tensor":
        """The unit step (§1-2): 1 for z >= 0; gradient 0, `"ste"` or `"sigmoid"` surrogate."""
        return F.Step.apply(self, surrogate=surrogate)

    def hard_sigmoid(self) -> "Tensor":
        """clip(0.25z + 0.5, 0, 1); derivative 0.25 inside (-2, 2), 0 at and beyond ±2."""
        return F.HardSigmoid.apply(self)

    def hard_tanh(self) -> "Tensor":
        """clip(z, -1, 1); derivative 1 inside (-1, 1), 0 at and beyond ±1."""
        return F.HardTanh.apply(self)

    def softmax(self, axis: int = -1) -> "Tensor":
        """e^x / Σ e^x along `axis`, stable for any finite input."""
        return F.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x - log Σ e^x along `axis`, stable for any finite input."""
        return F.LogSoftmax.apply(self, axis=axis)

    # -- reductions ---------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return F.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The sum divided by the number of summed elements."""
        axes = F._normalise_axis(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The largest element along `axis`; tied maxima share the gradient equally."""
        return F.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return -F.Max.apply(-self, axis=axis, keepdims=keepdims)

    # -- shapes -------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            np.empty(0).reshape  # noqa: B018 - keep numpy's own message for bad shapes below
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a Tensor of shape {self.shape} "
                             f"({self.size} elements) into {tuple(shape)}") from None
        return F.Reshape.apply(self, shape=target)

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> "Tensor":
        """Reverse the axes, or permute them as given (numpy's rules)."""
        if not axes:
            return F.Transpose.apply(self)
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if axes and sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{self.ndim} axes of shape {self.shape}")
        return F.Transpose.apply(self, axes=tuple(a % self.ndim for a in axes))

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        return F.BroadcastTo.apply(self, shape=tuple(shape))

    def __getitem__(self, index: Any) -> "Tensor":
        return F.GetItem.apply(self, index=F._raw_index(index))

    # -- chapter 5: convolution and pooling layers (NCHW; see functions_conv.py) ---------------
    def conv2d(self, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> "Tensor":
        """The convolution layer's weighted input (§5-4): x (N, C, H, W), weight (F, C, KH, KW),
        bias (F,) or None -> (N, F, OH, OW). Sum of kernel x patch: cross-correlation, as PyTorch."""
        from .functions_conv import Conv2d

        inputs = (self, weight) if bias is None else (self, weight, bias)
        return Conv2d.apply(*inputs, stride=stride, padding=padding)

    def max_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> "Tensor":
        """Max pooling (§5-4): the largest value of each window; stride defaults to kernel_size."""
        from .functions_conv import MaxPool2d

        return MaxPool2d.apply(self, kernel_size=kernel_size, stride=stride, padding=padding)


Tensor._engine = Tensor


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy.concatenate with gradients)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate needs at least one Tensor")
    return F.Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (numpy.stack with gradients)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one Tensor")
    return F.Stack.apply(*tensors, axis=axis)
