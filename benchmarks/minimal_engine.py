"""A minimal autograd engine in pure Python: the benchmarks' REFERENCE FLOOR, not part of tinygrad_edu.

It is here only to be measured beside tinygrad_edu (the "minimal engine (floor)" rows of every
table): the least a pure-Python engine can do per op on this machine. Nothing else may import it.
It has none of what makes an engine usable: no checks, no error messages, no hooks, no second
derivatives, no broadcasting beyond a bias row. `Value` is a scalar with + - * ** relu, `Tensor` a
numpy array with @ + - * ** sigmoid exp sum .T. Each node keeps its inputs in `_prev`; a `Value`
keeps d(node)/d(input) as numbers in `_local`, a `Tensor` a function `_back` from the node's
gradient to its inputs' (None where an input needs none). Backward is iterative.
"""

from contextlib import nullcontext as no_grad  # noqa: F401  (updates on .data record nothing here)

import numpy as np


def count_users(root):
    """Set `_users` on every node below `root`: how many edges lead to it from nodes above."""
    stack = [root]
    while stack:
        for p in stack.pop()._prev:
            p._users += 1
            if p._users == 1:
                stack.append(p)


class Value:
    __slots__ = ("data", "grad", "_prev", "_local", "_users")

    def __init__(self, data, _prev=(), _local=()):
        self.data, self.grad, self._prev, self._local, self._users = data, 0.0, _prev, _local, 0

    def __add__(self, o):
        if type(o) is Value:
            return Value(self.data + o.data, (self, o), (1.0, 1.0))
        return Value(self.data + o, (self,), (1.0,))

    def __mul__(self, o):
        if type(o) is Value:
            return Value(self.data * o.data, (self, o), (o.data, self.data))
        return Value(self.data * o, (self,), (o,))

    __radd__, __rmul__ = __add__, __mul__

    def __sub__(self, o):  # a number only: the cost's a - t
        return Value(self.data - o, (self,), (1.0,))

    def __pow__(self, n):
        return Value(self.data**n, (self,), (n * self.data ** (n - 1),))

    def relu(self):
        return Value(self.data, (self,), (1.0,)) if self.data > 0 else Value(0.0, (self,), (0.0,))

    def backward(self):
        count_users(self)
        self.grad, ready = 1.0, [self]
        while ready:  # a node is ready once every node that uses it has passed its gradient on
            v = ready.pop()
            g = v.grad
            for p, d in zip(v._prev, v._local):
                p.grad += d * g
                p._users -= 1
                if not p._users:
                    ready.append(p)


def _unbroadcast(g, shape):
    return g if g.shape == shape else g.reshape(-1, *shape).sum(axis=0)  # a bias added to every row


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "_prev", "_back", "_users")

    def __init__(self, data, requires_grad=False, _prev=(), _back=None):
        self.data, self.grad, self.requires_grad = data, None, requires_grad
        self._prev, self._back, self._users = _prev, _back, 0

    def _op(self, data, o, back):
        return Tensor(data, True, (self, o), back) if o is not None else Tensor(data, True, (self,), back)

    def __matmul__(self, o):
        a, b = self.data, o.data
        return self._op(a @ b, o, lambda g: (g @ b.T if self.requires_grad else None,
                                             a.T @ g if o.requires_grad else None))

    def __add__(self, o):
        return self._op(self.data + o.data, o, lambda g: (_unbroadcast(g, self.data.shape) if self.requires_grad else None,
                                                          _unbroadcast(g, o.data.shape) if o.requires_grad else None))

    def __sub__(self, o):
        return self._op(self.data - o.data, o, lambda g: (g if self.requires_grad else None,
                                                          -g if o.requires_grad else None))

    def __mul__(self, o):
        if type(o) is not Tensor:
            return self._op(self.data * o, None, lambda g: (g * o,))
        a, b = self.data, o.data
        return self._op(a * b, o, lambda g: (g * b if self.requires_grad else None,
                                             g * a if o.requires_grad else None))

    __rmul__ = __mul__

    def __pow__(self, n):
        x = self.data
        return self._op(x**n, None, lambda g: (g * n * x ** (n - 1),))

    def sigmoid(self):
        s = 1.0 / (1.0 + np.exp(-self.data))
        return self._op(s, None, lambda g: (g * s * (1.0 - s),))

    def exp(self):
        e = np.exp(self.data)
        return self._op(e, None, lambda g: (g * e,))

    def sum(self):
        shape = self.data.shape
        return self._op(self.data.sum(), None, lambda g: (np.broadcast_to(g, shape),))

    @property
    def T(self):
        return self._op(self.data.T, None, lambda g: (g.T,))

    def backward(self):
        count_users(self)
        self.grad, ready = 1.0, [self]
        while ready:
            v = ready.pop()
            for p, g in zip(v._prev, v._back(v.grad)):
                if g is not None:
                    p.grad = g if p.grad is None else p.grad + g
                p._users -= 1
                if not p._users and p._back is not None:
                    ready.append(p)
