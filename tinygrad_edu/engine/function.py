"""`Function`: one op and its derivative rule, and `apply`, the one way an op is recorded.

An op is a subclass with `forward` and `backward`, PyTorch's shape:

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):           # x: a float (Value) or a numpy array (Tensor)
            return x ** 3
        @staticmethod
        def backward(ctx, grad):       # grad: d(cost)/d(output), the output's kind
            (x,) = ctx.args            # the operands, by position
            return grad * 3 * x ** 2   # one gradient per operand

    y = Cube.apply(Value(2.0))         # or Cube.apply(Tensor([...], requires_grad=True))

Each `apply` makes one instance, the *ctx*: the op's record in the graph (the result's
`grad_fn`).  It keeps `ctx.inputs` (per operand, the node that wants a gradient, else None),
`ctx.args` (the operands), `ctx.out` (the result) and what `forward` stores on it; built-in ops
also carry their drawing `symbol` and local `derivative` as text, for drawings and the player.

One rule, every order: `ctx.args` and `ctx.out` are raw numbers, so a first-order backward
computes on floats and arrays; to differentiate a gradient again (`create_graph=True`) backward
runs the same rule on `ctx.with_graph_values(node)`, a copy of the ctx whose `args` and `out`
are the graph's own values, so that its arithmetic is recorded."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, TypeAlias, TypeVar
from collections.abc import Callable

import numpy as np

from .graph import Node, switches

T = TypeVar("T")  # apply's result is of its operands' engine: Value or Tensor
Operand: TypeAlias = T | float | np.ndarray | np.generic  # a node of that engine, or a plain number


class Function:
    """One op: `forward` on raw numbers, `backward` (the rule) on the gradient.  Its instance,
    made by `apply`, is the op's ctx and record."""

    __slots__ = ("inputs", "args", "out", "__dict__", "__weakref__")
    inputs: tuple[Any, ...]  # per operand: the input node, or None (a constant, no gradient wanted)
    args: tuple[Any, ...]  # the operands: raw numbers (graph values in `with_graph_values`)
    out: Any  # the result: a raw number (a graph value in `with_graph_values`)
    raw: tuple[Any, ...] | None = None  # on that copy only: the raw operands (see raw_args)

    symbol: ClassVar[str] = ""  # how drawings show the op, when not by its name
    derivative: ClassVar[tuple[str, ...]] = ()  # ∂out/∂operand_i as text; {0}, {1}: operands
    op_name: ClassVar[str | None] = None  # the method users call (`log_softmax`), if not the class
    view: ClassVar[bool] = False  # does the result share the first operand's memory (reshape)?
    saved: ClassVar[bool] = True  # does backward read the operands or the result (a mask, x·y)?
    options: dict[str, Any] = {}  # the keyword arguments given to apply (replaced, never changed)
    saved_values: tuple[Any, ...] = ()
    versions: tuple[Any, ...] = ()  # (version counter, count, tensor): Tensor operands and result

    # what a subclass writes (static methods, or plain ones whose first argument is the ctx)
    forward: Callable[..., Any]  # forward(ctx, *operands, **options) -> the raw result
    backward: Callable[..., Any]  # backward(ctx, grad) -> one gradient per operand

    @classmethod
    def apply(cls, *operands: Operand[T], **options: Any) -> T:
        """Run the op on Values or Tensors (numbers allowed); record it as the result's `grad_fn`
        when an operand wants a gradient and grad mode is on."""
        ctx, engine, inputs, args, wanted, plain = cls(), None, _EMPTY, _EMPTY, False, False
        for x in operands:  # each operand: the node wanting a gradient (else None), its number
            if isinstance(x, Node):
                if x.engine is not engine:
                    if engine is not None:
                        raise _mixed(cls, engine, x.engine)
                    engine = x.engine
                inputs += (x if x.requires_grad else None,)
                args += (x.data,)
                wanted = wanted or x.requires_grad
            else:  # a number: a float is raw to both engines, anything else is made raw below
                inputs += (None,)
                args += (x,)
                plain = plain or type(x) is not float
        if engine is None:
            raise TypeError(f"{cls.name()}.apply needs a Value or a Tensor among its operands")
        if plain:
            args = tuple([a if isinstance(x, Node) else engine.raw_constant(a, ctx)
                          for x, a in zip(operands, args)])
        ctx.inputs, ctx.args = inputs, args
        if options:
            ctx.options = options
        raw: Any = _NOT_RUN
        try:
            raw = cls.forward(ctx, *args, **options)
            out = engine(raw)
        except (ValueError, TypeError, IndexError) as e:
            raise type(e)(_message(ctx, e, operands, raw)) from e
        if engine.versioned:  # a Tensor's memory may change in place before backward
            engine.note_versions(ctx, operands, out)
        out.requires_grad = wanted and switches.grad_enabled
        if out.requires_grad:  # recorded: the result keeps the op, the op its result
            ctx.out = out.data
            out.grad_fn = ctx
            for tool in switches.on_op:
                tool(out)
        return out

    def with_graph_values(self, node: Node) -> Function:
        """A copy of this ctx whose `args` and `out` are graph values (constants stay raw), so
        that its rule records what it computes: the gradient can be differentiated again."""
        graph = copy.copy(self)
        graph.raw = self.args
        graph.args = tuple(a if p is None else p for p, a in zip(self.inputs, self.args))
        graph.out = node.constant(self.out)
        graph.out.grad_fn, graph.out.requires_grad = self, True  # the result, as a graph value
        return graph

    @property
    def raw_args(self) -> tuple[Any, ...]:  # the operands as raw numbers at every order (masks)
        return self.args if self.raw is None else self.raw  # `raw`: on with_graph_values' copy

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each operand: does it want a gradient?  (The rule may return None for others.)"""
        return tuple(p is not None for p in self.inputs)

    def save_for_backward(self, *values: Any) -> None:
        """Keep values for `backward` (`ctx.saved_values`); they are constants to a second
        derivative: read the operands as `ctx.args` and the result as `ctx.out` instead."""
        self.saved_values = values

    def local_derivative(self, pos: int, names: list[str]) -> str | None:
        """∂(result)/∂(operand `pos`) as text in the operands' `names`; None without text."""
        if not self.derivative:
            return None
        return self.derivative[min(pos, len(self.derivative) - 1)].format(*names)

    @classmethod
    def name(cls) -> str:
        """The op's name in messages and drawings: the method users call, or the class name."""
        return cls.__dict__.get("op_name") or cls.__name__


def _mixed(fn: type[Function], engine: type, other: type) -> TypeError:
    return TypeError(f"{fn.name()}: cannot mix a {engine.__name__} and a {other.__name__} in "
                     "one op; convert with Tensor(value.data) or value.data")


_NOT_RUN = object()  # `raw` before forward has returned
_EMPTY: tuple[Any, ...] = ()  # apply's tuples of inputs and operands start empty


def _message(ctx: Function, e: Exception, operands: tuple[Any, ...], raw: Any) -> str:
    """An error from `forward` (or a result of it that is no number), naming op and shapes."""
    if raw is not _NOT_RUN:
        return f"{ctx.name()}.forward returned {type(raw).__name__} {repr(raw)[:40]}: {e}"
    if str(e).startswith(ctx.name()):
        return str(e)
    shapes = ", ".join(str(getattr(x, "shape", type(x).__name__)) for x in operands)
    return f"{ctx.name()}: {e} (inputs: {shapes})"
