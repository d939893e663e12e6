"""The graph: nodes, grad mode, the one topological walk, `backward` and `grad` (§4-1 to §4-4).

Every number in a computation is a *node*: a `Value` (one float) or a `Tensor` (one array).  A
node made by an op keeps the op's record in `grad_fn` (a `Function`, function.py), which holds
the op's inputs: following `grad_fn` from the cost back to the weights is the whole graph.
Error backpropagation is one walk over it: `topological_order` lists the nodes, each after its
inputs; `backpropagate` visits them in reverse, so a node's gradient is complete when its turn
comes (§4-3: a layer's δ needs every δ after it), and its op's rule splits it among the inputs.
The walk keeps its gradients in a dict of its own, never on the nodes (threads may share them).
"""

from __future__ import annotations

import operator
import threading
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Callable, Sequence

if TYPE_CHECKING:
    from .function import Function


# -- switches, one set per thread (as in PyTorch) ---------------------------------------------

class _Switches(threading.local):
    """What every op reads: is the graph recorded, and which tools watch (see `recording`)."""

    grad_enabled = True
    on_op: tuple[Any, ...] = ()  # called with each recorded op's result node
    on_backward: tuple[Any, ...] = ()  # called with (node, gradients of its inputs) during backward


switches = _Switches()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return switches.grad_enabled


class grad_mode:  # noqa: N801 - used as a function: `with grad_mode(False):`
    """Record the graph (True) or not (False) inside the block, in this thread."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.previous = switches.grad_enabled
        switches.grad_enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        switches.grad_enabled = self.previous


def no_grad() -> grad_mode:
    """Record no graph inside the block: for evaluation and for parameter updates."""
    return grad_mode(False)


def enable_grad() -> grad_mode:
    """Record the graph again inside a `no_grad()` block."""
    return grad_mode(True)


class recording:  # noqa: N801 - used as a function: `with recording(tag):`
    """The tools' one hook point (tools/trace.py: name scopes, call sites, anomaly mode): inside
    the block, `on_op(node)` runs for every op recorded in this thread, `on_backward(node,
    grads)` for every rule backward runs.  The engine keeps nothing of theirs."""

    def __init__(self, on_op: Callable[[Node], None] | None = None,
                 on_backward: Callable[[Node, tuple[Any, ...]], None] | None = None) -> None:
        self.on_op, self.on_backward = on_op, on_backward

    def __enter__(self) -> None:
        self.previous = switches.on_op, switches.on_backward
        if self.on_op is not None:
            switches.on_op += (self.on_op,)
        if self.on_backward is not None:
            switches.on_backward += (self.on_backward,)

    def __exit__(self, *exc: Any) -> None:
        switches.on_op, switches.on_backward = self.previous


# -- the node ---------------------------------------------------------------------------------

NodeT = TypeVar("NodeT", bound="Node")

class Node:
    """What `Value` and `Tensor` share: `data`, `grad`, `requires_grad`, and `grad_fn`, the op
    that made it (None for a leaf: a weight or an input the user made)."""

    __slots__ = ("grad", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    label: str | None = None  # the node's name in messages and drawings
    hooks: list[Any] | None = None

    engine: Any  # the class an op's results are made of: Value or Tensor
    versioned = False  # can its memory change in place (a Tensor's can: an optimizer step)?
    if TYPE_CHECKING:
        data: Any
        grad: Any
        requires_grad: bool
        grad_fn: Function | None

    @property
    def is_leaf(self) -> bool:  # made by the user (inputs, weights), not by an op
        return self.grad_fn is None

    def backward(self, grad: Any = None, *, create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) into every leaf's `.grad` (§4-4; docs/guarantees.md)."""
        if not self.requires_grad:
            raise RuntimeError(f"backward: {self._name()} has no recorded graph: was it computed "
                               "under no_grad(), or from inputs with requires_grad=False?")
        seed = self.seed(grad)
        backpropagate(self, self.constant(seed) if create_graph else seed, create_graph)

    def register_hook(self, hook: Callable[[Any], Any]) -> HookHandle:
        """Call `hook(grad)` when this node's gradient is complete, before it is used; a result
        other than None replaces it.  §4-3: watch the unit error δ arrive at each unit."""
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(hook)
        return HookHandle(self.hooks, hook)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Forget the accumulated gradient."""
        self.grad = None if set_to_none else self.zero_grad_value

    # -- in place: an optimizer's step, `with no_grad(): w -= lr * w.grad` --------------------
    def _in_place(self: NodeT, other: Any, op: Any, in_place_op: Any, spelling: str) -> NodeT:
        """Change the number(s) in place (a Tensor's version ticks), unless grad mode records."""
        if switches.grad_enabled and self.requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(f"{spelling} on {self._name()}, a weight that requires a "
                                   "gradient, would be recorded; update it under no_grad(): "
                                   f"`with no_grad(): w {spelling} ...`")
            recorded: NodeT = op(self, other)  # an op's result: a new node, as `h = h + x`
            return recorded
        self.data = in_place_op(self.data, other.data if isinstance(other, Node) else other)
        return self

    def __iadd__(self: NodeT, other: Any) -> NodeT:
        return self._in_place(other, operator.add, operator.iadd, "+=")

    def __isub__(self: NodeT, other: Any) -> NodeT:
        return self._in_place(other, operator.sub, operator.isub, "-=")

    def __imul__(self: NodeT, other: Any) -> NodeT:
        return self._in_place(other, operator.mul, operator.imul, "*=")

    def __itruediv__(self: NodeT, other: Any) -> NodeT:
        return self._in_place(other, operator.truediv, operator.itruediv, "/=")

    def _name(self) -> str:
        """How messages name this node: its type and label."""
        return f"{type(self).__name__}(label={self.label!r})" if self.label else type(self).__name__

    # what each engine provides (value.py, tensor.py): `fit_gradient(g, op)`, a gradient piece
    # made to fit this node; `seed(grad)`, the gradient a backward from it starts with (1, or a
    # copy of `grad`); `constant(raw)`, a node holding `raw` with no history
    zero_grad_value: Any = None
    if TYPE_CHECKING:
        def fit_gradient(self, g: Any, op: Any) -> Any: ...
        def seed(self, grad: Any = None) -> Any: ...
        @classmethod
        def constant(cls, raw: Any) -> Node: ...


class HookHandle:
    """Returned by `register_hook`; `handle.remove()` takes the hook away."""

    def __init__(self, hooks: list[Any], hook: Callable[..., Any]) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


# -- the walk ---------------------------------------------------------------------------------

def topological_order(root: Node) -> list[Node]:
    """The nodes behind `root`, each after all of its inputs: a depth-first search without
    recursion (a node goes back on the stack, done, under its inputs), so depth is no limit."""
    order, seen = list[Node](), set[Node]()  # nodes hash by identity
    stack, done = [root], [False]  # a node, and whether its inputs are listed already
    while stack:
        node, finished = stack.pop(), done.pop()
        if finished:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append(node)
            done.append(True)
            if node.grad_fn is not None:  # the first input on top: it is listed first
                for p in reversed(node.grad_fn.inputs):
                    if p is not None and p not in seen:
                        stack.append(p)
                        done.append(False)
    return order


def backward_order(root: Node) -> list[Node]:
    """The nodes behind `root` in the order backward completes them: `root` first."""
    return topological_order(root)[::-1]


def backpropagate(root: Node, seed: Any, create_graph: bool = False,
                  targets: dict[Node, Any] | None = None) -> None:
    """The one backward walk.  Each node comes after every node that used it, so its gradient,
    summed in `pending` (this call's own), is complete: a leaf adds it into `.grad`, another node
    keeps it and its op's rule hands one piece to each input.  `targets`: grad()'s nodes."""
    pending, given = {root: seed}, set[int]()  # given: arrays a leaf keeps, one leaf each
    was, switches.grad_enabled = switches.grad_enabled, create_graph  # record for higher order
    watchers = switches.on_backward
    try:
        for node in reversed(topological_order(root)):
            g, ctx = pending.pop(node, None), node.grad_fn
            if g is None:
                continue
            if node.hooks:
                g = _run_hooks(node, g)
            raw = g.data if create_graph and isinstance(g, Node) else g
            if targets is not None:  # grad(): the gradients asked for, nothing stored
                if node in targets:
                    targets[node] = g
            elif ctx is not None:
                node.grad = raw
            else:  # a leaf: its gradient adds up across calls
                node.grad = _own(raw, given) if node.grad is None else node.grad + raw
            if ctx is None:
                continue
            for counter, count, x in ctx.versions:  # x: an operand, None for the result
                if counter.count != count:
                    raise _changed_in_place(ctx, x)
            try:  # the chain rule: the op's local derivatives times the gradient g
                grads = type(ctx).backward(ctx.with_graph_values(node) if create_graph else ctx, g)
            except (ValueError, TypeError, IndexError) as e:
                raise type(e)(f"{ctx.name()}.backward: {e}") from e
            if type(grads) is not tuple:  # one operand: its gradient may come bare
                grads = tuple(grads) if isinstance(grads, list) else (grads,)
            if len(grads) != len(ctx.inputs):
                raise _wrong_count(ctx, grads)
            for watch in watchers:
                watch(node, grads)
            for p, pg in zip(ctx.inputs, grads):
                if p is not None and pg is not None:
                    pg = p.fit_gradient(pg, ctx)  # broadcasting summed back: p's own shape
                    before = pending.get(p)
                    pending[p] = pg if before is None else before + pg
    finally:
        switches.grad_enabled = was


def _changed_in_place(ctx: Function, x: Node | None) -> RuntimeError:
    what = "its result" if x is None else f"{x._name()} of shape {x.data.shape}"
    return RuntimeError(f"{ctx.name()}: {what} was changed in place after the op used it, so its "
                        "gradient would use the new numbers; run the forward again after the "
                        "change, or change it only after backward()")


def _wrong_count(ctx: Function, grads: tuple[Any, ...]) -> RuntimeError:
    return RuntimeError(f"{ctx.name()}.backward returned {len(grads)} gradient(s) for "
                        f"{len(ctx.inputs)} operand(s): return one per operand (None: constant)")


def _own(g: Any, given: set[int]) -> Any:
    """A first gradient piece a leaf keeps: an array of its own, never a view a rule handed on
    (a sum's gradient is a read-only view) nor one another leaf holds (add's `grad, grad`)."""
    if not hasattr(g, "flags"):  # a float
        return g
    if g.base is not None or id(g) in given or not g.flags.writeable:
        g = g.copy()
    given.add(id(g))
    return g


def _run_hooks(node: Node, g: Any) -> Any:
    for hook in list(node.hooks or ()):
        name = f"hook {getattr(hook, '__name__', hook)!r}"
        try:
            r = hook(g)
        except Exception as e:
            raise type(e)(f"{name} on {node._name()} raised: {e}") from e
        if r is not None and getattr(r, "shape", ()) != getattr(node.data, "shape", ()):
            raise ValueError(f"{name} returned a gradient of shape {r.shape} for {node._name()} "
                             f"of shape {getattr(node.data, 'shape', ())}; return one of the "
                             "same shape (or None to keep it)")
        g = g if r is None else node.fit_gradient(r, name)
    return g


def backward(root: Node, grad: Any = None, *, create_graph: bool = False) -> None:
    """Backpropagate from `root`: the same as `root.backward(grad)`."""
    if not isinstance(root, Node):
        raise TypeError(f"backward needs a Value or a Tensor, got {type(root).__name__}")
    root.backward(grad, create_graph=create_graph)


def grad(outputs: Node, inputs: Node | Sequence[Node], grad_outputs: Any = None, *,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Any, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple, like
    `torch.autograd.grad` (one input gives a tuple of one: `(dx,) = grad(y, x)`).

    Nothing is stored in any `.grad`.  With `create_graph=True` the gradients are graph values,
    to be differentiated again (second derivatives, Newton's method).  An input the output does
    not depend on raises, or, with `allow_unused=True`, gets None.
    """
    targets = [inputs] if isinstance(inputs, Node) else list(inputs)
    for t in targets:
        if not isinstance(t, Node):
            raise TypeError(f"grad: inputs must be Values or Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: {t._name()} does not require a gradient; create it with "
                               "requires_grad=True to differentiate with respect to it")
    if not isinstance(outputs, Node) or not outputs.requires_grad:
        raise RuntimeError("grad: the output has no recorded graph (no input requires a "
                           "gradient, or it was computed under no_grad())")
    seed = outputs.seed(grad_outputs)
    found: dict[Node, Any] = dict.fromkeys(targets)
    backpropagate(outputs, outputs.constant(seed) if create_graph else seed, create_graph, found)
    given: set[int] = set()  # the caller's own arrays, never one for two inputs
    for t, g in found.items():
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: {t._name()} is not used to compute the output "
                               "(pass allow_unused=True to get None for it)")
    return tuple(found[t] if found[t] is None or create_graph else _own(found[t], given)
                 for t in targets)
