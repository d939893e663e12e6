"""The core: everything an op, `backward` and `grad` need, and nothing else.

Read it in this order, beside the book's chapter 4 (docs/engine.md walks it):

1. graph.py     the node, grad mode, the one topological walk, `backward` and `grad` (§4-1..§4-4)
2. function.py  `Function`: an op and its rule; its instance is the op's record (the ctx);
                `apply`, the one way an op is recorded
3. ops.py       each derivative rule once, forward and backward side by side; the operators
4. fused.py     the book's unit z and softmax cross-entropy, each beside its composition
5. value.py     `Value`, the scalar engine (one float)
6. tensor.py    `Tensor`, the tensor engine (one numpy array)

The engine imports nothing else of the package; tools (name scopes, anomaly mode) watch it
through one hook point, `graph.recording`."""

from .function import Function
from .graph import (Node, backward, enable_grad, grad, grad_mode, is_grad_enabled, no_grad,
                    recording, topological_order)
from .tensor import Tensor
from .value import Value, weighted_input

__all__ = ["Node", "Function", "Value", "Tensor", "weighted_input", "backward", "grad",
           "no_grad", "enable_grad", "grad_mode", "is_grad_enabled",
           "recording", "topological_order"]
