"""`Function`: one op and its derivative rule, and `apply`, the one way an op is recorded.

An op is a subclass with two static methods, PyTorch's shape:

    class Cube(Function):
        symbol, derivative = "³", "d(x³)/dx = 3x²"     # for drawings and captions
        @staticmethod
        def forward(ctx, x):           # x: a float (Value) or a numpy array (Tensor)
            return x ** 3
        @staticmethod
        def backward(ctx, grad):       # grad: d(cost)/d(output), the output's kind
            (x,) = ctx.args            # the operands, by position
            return grad * 3 * x ** 2   # one gradient per input

    y = Cube.apply(Value(2.0))         # or Cube.apply(Tensor([...], requires_grad=True))

Each `apply` makes one instance, the *ctx*: it is the op's record in the graph (the result's
`grad_fn`) and keeps what the rule needs: `ctx.inputs` (the input nodes; None for a constant or
an input that needs no gradient), `ctx.args` (the operands) and `ctx.out` (the result), plus
whatever `forward` stores on it (`ctx.axis = axis`) or `ctx.save_for_backward(...)` keeps.

One rule, every order: on a first-order backward `ctx.args` and `ctx.out` are raw numbers; when
the gradient is itself differentiated (`create_graph=True`) the same properties give graph
values, so the rule's arithmetic records new nodes.  A rule written with operators and the
helpers of ops.py works both ways; what `save_for_backward` keeps stays a constant.
"""

from __future__ import annotations

from typing import Any, ClassVar
from collections.abc import Callable

import numpy as np

from .graph import Node, switches


class Function:
    """One op: `forward` on raw numbers, `backward` (the rule) on the gradient.  Its instance,
    made by `apply`, is the op's ctx and record."""

    __slots__ = ("inputs", "raw_args", "raw_out", "__dict__", "__weakref__")

    symbol: ClassVar[str] = ""  # how drawings show the op, when not by its name
    derivative: ClassVar[tuple[str, ...]] = ()  # ∂out/∂operand_i as text, {0}, {1}: operands
    op_name: ClassVar[str | None] = None  # the method users call (`log_softmax`), if not the class
    view: ClassVar[bool] = False  # does the result share the first operand's memory (reshape)?

    inputs: tuple  # per operand: the input node, or None (a constant, or no gradient wanted)
    raw_args: tuple  # the operands as raw numbers or arrays
    raw_out: Any  # the result as a raw number or array
    options: dict[str, Any] = {}  # the keyword arguments given to apply (replaced, never changed)
    saved_values: tuple = ()
    versions: tuple = ()  # (version counter, its count, tensor) of each Tensor operand and result

    # what a subclass writes (as static methods, or plain ones whose first argument is ctx)
    forward: Callable[..., Any]  # forward(ctx, *operands, **options) -> the raw result
    backward: Callable[..., Any]  # backward(ctx, grad) -> one gradient per operand

    @classmethod
    def apply(cls, *operands: Any, **options: Any) -> Any:
        """Run the op on `Value`s or `Tensor`s (plain numbers allowed as constants) and, unless
        no input wants a gradient or grad mode is off, record it as the result's `grad_fn`."""
        engine = _engine_of(cls, operands)
        ctx = cls()
        ctx.inputs = tuple(x if isinstance(x, Node) and x.requires_grad else None
                           for x in operands)
        ctx.raw_args = tuple(x.data if isinstance(x, Node) else engine.raw_constant(x, ctx)
                             for x in operands)
        if options:
            ctx.options = options
        try:
            raw = cls.forward(ctx, *ctx.raw_args, **options)
        except (ValueError, TypeError, IndexError) as e:
            raise type(e)(_message(ctx, e, operands)) from e
        out = engine.from_op(raw, ctx, operands)
        if switches.grad_enabled and any(p is not None for p in ctx.inputs):
            ctx.raw_out = out.data
            out.grad_fn, out.requires_grad = ctx, True
            for tool in switches.on_op:
                tool(out)
        return out

    # -- what a rule reads ----------------------------------------------------------------------
    @property
    def args(self) -> tuple:
        """The operands: raw numbers, or graph values when differentiated again."""
        if not switches.grad_enabled:
            return self.raw_args
        return tuple(a if p is None else p for p, a in zip(self.inputs, self.raw_args))

    @property
    def out(self) -> Any:
        """The result: a raw number, or a graph value (this op's result) when differentiated
        again."""
        if not switches.grad_enabled:
            return self.raw_out
        node = next(p for p in self.inputs if p is not None).constant(self.raw_out)
        node.grad_fn, node.requires_grad = self, True
        return node

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each operand: does it want a gradient?  (The rule may return None for others.)"""
        return tuple(p is not None for p in self.inputs)

    def save_for_backward(self, *values: Any) -> None:
        """Keep values for `backward` (`ctx.saved_values`); they are constants to a second
        derivative: read operands through `ctx.args` and the result through `ctx.out` instead."""
        self.saved_values = values

    def local_derivative(self, pos: int, names: list[str]) -> str | None:
        """∂(result)/∂(operand `pos`) as text, written with the operands' `names` (captions);
        None when the op has no `derivative` text."""
        if not self.derivative:
            return None
        return self.derivative[min(pos, len(self.derivative) - 1)].format(*names)

    @classmethod
    def name(cls) -> str:
        """The op's name in messages and drawings: the method users call, or the class name."""
        return cls.__dict__.get("op_name") or cls.__name__

    # -- what the walk asks -------------------------------------------------------------------
    def run_backward(self, out: Node, grad: Any) -> tuple:
        """The rule, run for the result `out`: one gradient per operand."""
        for counter, seen, x in self.versions:  # x: an operand, None for the result
            if counter.count != seen:
                what = "its result" if x is None else x._name()
                shape = np.shape(self.raw_out if x is None else x.data)
                raise RuntimeError(
                    f"{self.name()}: {what} of shape {shape} was changed in place "
                    "after the op used it, so its gradient would use the new numbers; run the "
                    "forward again after the change, or change it only after backward()")
        try:
            grads = type(self).backward(self, grad)
        except (ValueError, TypeError, IndexError) as e:
            raise type(e)(f"{self.name()}.backward: {e}") from e
        if type(grads) is not tuple:
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        if len(grads) != len(self.inputs):
            raise RuntimeError(f"{self.name()}.backward returned {len(grads)} gradient(s) for "
                               f"{len(self.inputs)} input(s): return one per input (None for "
                               "a constant)")
        return grads


def _engine_of(fn: type[Function], operands: tuple) -> Any:
    """The class every node operand belongs to (Value or Tensor); mixing them is an error."""
    engine = None
    for x in operands:
        if isinstance(x, Node):
            if engine is not None and x.engine is not engine:
                raise TypeError(f"{fn.name()}: cannot mix a {engine.__name__} and a "
                                f"{x.engine.__name__} in one op; convert with "
                                "Tensor(value.data) or value.data")
            engine = x.engine
    if engine is None:
        raise TypeError(f"{fn.name()}.apply needs a Value or a Tensor among its operands, got "
                        + ", ".join(type(x).__name__ for x in operands))
    return engine


def _message(ctx: Function, e: Exception, operands: tuple) -> str:
    """An error from inside `forward`, with the op and the operands' shapes named."""
    if str(e).startswith(ctx.name() + ":"):
        return str(e)
    shapes = ", ".join(str(getattr(x, "shape", type(x).__name__)) for x in operands)
    return f"{ctx.name()}: {e} (inputs: {shapes})"
