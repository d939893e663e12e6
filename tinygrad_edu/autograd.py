"""The computation graph shared by the scalar and the tensor engine.

Every number that takes part in a computation is a *node*: a `Value` (one Python float) or a
`Tensor` (one numpy array).  An operation is a `Function`: its `forward` works on the raw numbers
(floats or arrays), its `backward` turns the gradient of the output into one gradient per input.
The output node of an op *is* the op's record: it keeps the Function (`fn`), its input nodes
(`inputs`, None where an operand is a constant or needs no gradient) and the raw operands
(`args`).  That record is the graph; `backward` walks it once, from the cost back to the weights
(§4-1 to §4-4 of the book: error backpropagation is this walk, done by hand).

A derivative rule reads what it needs *by role*: `ctx.args` (the operands, by position) and
`ctx.out` (the op's result).  On a first-order backward they are raw numbers; under
`grad(..., create_graph=True)` the same rule sees them as graph values (`graphmath.GraphView`),
so its arithmetic records new nodes and the gradient can be differentiated again.

Semantics of `backward` (see docs/guarantees.md):

* iterative, so the depth of a graph is limited only by memory, never by Python's recursion limit;
* linear in the number of edges: each node's users are counted first (kept in the node's own
  `_users` slot), then a node is released when its last user has passed its gradient on; a leaf
  without hooks (a weight) takes each piece of its gradient into `.grad` as it arrives;
* a value used twice receives the sum of both gradients (`b = a + a; c = b + b` gives dc/da = 4);
* leaves (nodes made by the user, not by an op) *accumulate*: `.grad` grows across calls until it
  is zeroed, as in PyTorch.  Every intermediate node's `.grad` is *overwritten* with the gradient
  of the latest call, so drawings can show it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, NamedTuple
from collections.abc import Callable, Iterator, Sequence

import numpy as np

_ndarray = np.ndarray

# ----------------------------------------------------------------------------------------------
# switches, one set per thread (as in PyTorch): grad mode, anomaly mode, the tools' recorders
# ----------------------------------------------------------------------------------------------


class Scope(NamedTuple):
    """One level of the module path an op was recorded in: a name and a kind
    ("network", "layer", "neuron", or "block" for anything else)."""

    name: str
    kind: str = "block"


class _State(threading.local):
    """The switches every op reads.  Each thread sees its own copy, starting from these values:
    `no_grad()` in one thread never changes what another records."""

    grad_enabled = True
    anomaly = False
    scope: tuple = ()  # the module path of name_scope blocks
    recorders: tuple = ()  # the tools' hook point: see `recording`
    # what an op does, in one read (a thread-local read costs more than a plain one):
    # 0 record nothing (no_grad), 1 record fn, inputs and args, 2 also run the recorders
    mode = 1

    def refresh(self) -> None:
        self.mode = 0 if not self.grad_enabled else 2 if self.recorders else 1


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return _state.grad_enabled


class _switch:  # noqa: N801 - used like a function: `with _switch("grad_enabled", False):`
    """Set one switch of this thread for the duration of a block (a class, not a generator:
    `no_grad()` is entered on every optimizer step and every backward)."""

    __slots__ = ("name", "value", "previous")

    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value

    def __enter__(self) -> None:
        state = _state
        self.previous = getattr(state, self.name), state.mode
        setattr(state, self.name, self.value)
        state.refresh()

    def __exit__(self, *exc: Any) -> None:
        state = _state  # blocks nest, so the mode on the way in is the mode on the way out
        value, state.mode = self.previous
        setattr(state, self.name, value)


def no_grad() -> _switch:
    """Record no graph inside the block (in this thread): results have no history.

    Use it for evaluation and for parameter updates (`w.data -= lr * w.grad` needs no graph).
    """
    return _switch("grad_enabled", False)


def enable_grad() -> _switch:
    """Record the graph again inside a `no_grad()` block."""
    return _switch("grad_enabled", True)


class name_scope:  # noqa: N801 - used like a function: `with name_scope("layers.0", "layer"):`
    """Tag every op recorded inside the block with `Scope(name, kind)` (nested scopes: a path).

    `nn.Module.__call__` opens one per module, so a drawing can box a neuron's or a layer's
    nodes together.  The path is stored as `node.scope`, a tuple such as
    `(Scope("MLP", "network"), Scope("layers.0", "layer"), Scope("A", "neuron"))`.
    """

    __slots__ = ("scope", "previous")

    def __init__(self, name: str | Scope, kind: str = "block") -> None:
        self.scope = name if isinstance(name, Scope) else Scope(name, kind)

    def __enter__(self) -> None:
        self.previous = enter_scope(self.scope)

    def __exit__(self, *exc: Any) -> None:
        exit_scope(self.previous)


def enter_scope(scope: Scope) -> tuple:
    """Open `scope` (what `name_scope` does, as two calls for a module's call); returns what
    `exit_scope` needs to close it.  The outermost scope switches on the recorder `_tag_scope`."""
    state = _state
    outer = state.scope
    state.scope = outer + (scope,)
    if outer:  # inside another scope: its recorder is on already
        return outer, None
    recorders = state.recorders
    state.recorders = recorders + (_tag_scope,)
    if state.grad_enabled:
        state.mode = 2
    return outer, recorders


def exit_scope(previous: tuple) -> None:
    state = _state
    state.scope, recorders = previous
    if recorders is not None:  # the outermost scope: its recorder goes
        state.recorders = recorders
        state.refresh()


def _tag_scope(node: Node) -> None:
    """The recorder of `name_scope`: the module path, for drawings that box a layer's ops."""
    node.scope = _state.scope


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode at the first NaN or inf produced by an op, forward or backward."""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Record where each node is created, and stop at the first NaN or inf.

    Inside the block every op remembers the file and line of the user's code that called it;
    the first op whose forward result or backward gradient holds a NaN or an inf raises
    `AnomalyError` naming the op and that file and line.  It slows every op: use it to hunt a bug.
    """
    with _switch("anomaly", True), recording(_tag_site), recording(_check_forward):
        yield


def record_sites() -> recording:
    """Record where each node is created (`node.created_at`), without the NaN checks.

    Lighter than `detect_anomaly()`: `check_graph` can then name the file and line of the op
    that disagrees.  Each op looks up its caller's frame, so use it while hunting a bug.
    """
    return recording(_tag_site)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_frame() -> str:
    """'file:line in function' of the innermost caller outside this package."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR + os.sep):
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def _tag_site(node: Node) -> None:
    """The recorder of `record_sites()` and `detect_anomaly()`: the user's file and line."""
    node.created_at = _user_frame()


def _check_forward(node: Node) -> None:
    """The recorder of `detect_anomaly()`: stop at the first forward result with NaN or inf."""
    _check_finite(node.data, node, "forward result")


# ----------------------------------------------------------------------------------------------
# the tools' hook point: what only a tool wants of an op is kept by a recorder, not by the core
# ----------------------------------------------------------------------------------------------


class recording:  # noqa: N801 - used like a function: `with recording(tag):`
    """Run `recorder(node)` on every op recorded in this thread inside the block.

    The one place where tools attach what the engine itself never needs: `name_scope` tags each
    op with its module path (`node.scope`, for the drawings), `record_sites()` and
    `detect_anomaly()` with the user's file and line (`node.created_at`).  A recorder writes into
    the node's `__dict__`; every other node answers with the class defaults of `Node`
    (`scope = ()`, `created_at = None`).  While no recorder is on, an op runs none of this.
    """

    __slots__ = ("recorder", "previous")

    def __init__(self, recorder: Callable[[Node], None]) -> None:
        self.recorder = recorder

    def __enter__(self) -> None:
        state = _state
        self.previous = state.recorders
        state.recorders = self.previous + (self.recorder,)
        state.refresh()

    def __exit__(self, *exc: Any) -> None:
        _state.recorders = self.previous
        _state.refresh()


def _record_extras(out: Node) -> None:
    """Run the recorders switched on in this thread (mode 2 only)."""
    for recorder in _state.recorders:
        recorder(out)


# ----------------------------------------------------------------------------------------------
# nodes: data, gradient, and (for an op's result) the record of the op
# ----------------------------------------------------------------------------------------------

_CLOCK = [0]  # ticks at every in-place change of a Tensor's data (see tensor.Tensor.data)
_HOOKS = [0]  # hooks registered and not removed: while any exist, backward takes the general loop


class Node:
    """What `Value` and `Tensor` share: data, gradient, and the record of the op that made it.

    Slots, all an op's result needs: `data`, `grad`, `requires_grad`; `fn` (the `Function`, None
    for a leaf), `inputs` (the input nodes, None for a constant) and `args` (the raw operands), set
    when the op is recorded; `_users` and `_pending`, used by `backward` while it walks.
    Anything rarer (a label, hooks, the module scope, what a rule keeps from `forward` such as an
    axis) lives in the node's `__dict__`, which most nodes never allocate; the class attributes
    below are its defaults.

    The engines provide, as class attributes and methods:
    `xp` (the math namespace of their raw data), `_engine` (the class results are made of),
    `_grad_type` (a gradient of exactly this type is used as is), `_new(raw)` (a node holding an
    op's raw result), `_constant(x, fn)` (a plain operand as raw data, or a clear TypeError),
    `_fit_grad(g, fn)`, `_own(g, given)` (a first gradient piece a leaf may keep) and
    `_seed(create_graph)`.
    """

    __slots__ = ("grad", "requires_grad", "fn", "inputs", "args", "_users", "_pending",
                 "__dict__", "__weakref__")
    label: str | None = None
    scope: tuple = ()  # set by name_scope's recorder (see `recording`), for the drawings
    created_at: str | None = None  # set by record_sites()'s recorder, for anomaly mode
    kwargs: dict = {}  # never written through: an op's keyword arguments replace it whole
    saved_values: tuple = ()
    _hooks: list | None = None
    _seen: int | None = None  # Tensor only: the in-place clock when the op ran (see tensor.py)
    xp: Any = None
    _math_ctx: Any = None  # MathOnly(xp), for the fast entries op1 and binary
    _engine: Any = None
    _grad_type: Any = None
    _zero_grad_value: Any = None
    data: Any
    # the slots, as a type checker sees them
    grad: Any
    requires_grad: bool
    fn: Any  # the Function class of an op's result, None for a leaf
    inputs: Any  # a tuple, one entry per operand: the input node, or None
    args: Any  # a tuple of the raw operands
    _users: int
    _pending: Any

    if TYPE_CHECKING:  # what a rule keeps on its ctx (an axis, a cache) lives in __dict__
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

        # the operators (operators.Operators), as every node has them
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...

    # -- the graph --------------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user (inputs, weights); False for the results of ops."""
        return self.fn is None

    @property
    def _ctx(self) -> Any:
        """The record of the op that made this node: the node itself (None for a leaf)."""
        return None if self.fn is None else self

    grad_fn = _ctx

    @property
    def out(self) -> Any:
        """What a rule reads as the op's result: the raw data (first order)."""
        return self.data

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input of the op: does it want a gradient? (`backward` may return None for
        the others; built-in rules test `ctx.inputs[i] is not None` directly.)"""
        return tuple(p is not None for p in self.inputs)

    def save_for_backward(self, *values: Any) -> None:
        """Keep values for `backward` (PyTorch's ctx.save_for_backward).  A saved value that is
        one of forward's operands or its result is given back as a graph value when the gradient
        is differentiated (`create_graph=True`); anything else stays a constant."""
        self.saved_values = values

    @property
    def name(self) -> str:
        """The op's name in messages and drawings."""
        return self.fn.name() if self.fn is not None else type(self).__name__

    def backward(self, grad: Any = None) -> None:
        """Backpropagate from this node: d(self)/d(leaf) is added into every leaf's `.grad`."""
        backward(self, grad)

    def detach(self) -> Node:
        """The same data as a new leaf with no history and `requires_grad=False`."""
        out = self._new(self.data)
        if self.label is not None:
            out.label = self.label
        return out

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (0.0 for a `Value`, None for a `Tensor`)."""
        self.grad = self._zero_grad_value

    def register_hook(self, fn: Callable[[Any], Any]) -> HookHandle:
        """Call `fn(grad)` when this node's gradient is complete; a non-None return replaces it
        (it must have the node's shape).

        For a leaf the hook sees the gradient of this call before it is added to `.grad`;
        for an intermediate node, before it is passed on to the node's inputs (§4-3: watch the
        unit error delta arrive at each unit).
        """
        if not callable(fn):
            raise TypeError(f"register_hook needs a callable, got {type(fn).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        _HOOKS[0] += 1
        return HookHandle(self, fn)

    def _name(self) -> str:
        return f"{type(self).__name__}(label={self.label!r})" if self.label else type(self).__name__

    # subclass interface ---------------------------------------------------------------------
    @classmethod
    def _new(cls, raw: Any) -> Node:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _constant(cls, x: Any, fn: type) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_grad(self, g: Any, fn: Any, create_graph: bool = False) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _fit_hook_grad(self, g: Any, hook: Any, create_graph: bool) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def _blank(cls) -> Node:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _make(raw: Any, fn: Any) -> Node:  # pragma: no cover - abstract
        """A node holding an op's raw result, its `fn` and `requires_grad` still to be set
        (the fast entries set them once, recorded or not)."""
        raise NotImplementedError

    @staticmethod
    def _fill(out: Any, raw: Any, fn: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _accumulate(self, g: Any, given: set[int]) -> None:
        """Add a piece of this leaf's gradient into `.grad`; the first piece becomes its own."""
        held = self.grad
        self.grad = self._own(g, given) if held is None else held + g

    def _own(self, g: Any, given: set[int]) -> Any:
        """A first gradient piece this leaf may keep (a float is always its own)."""
        return g

    def _seed(self, create_graph: bool) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_grad_arg(self, grad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class MathOnly:
    """The ctx the fast entries hand a built-in op's `forward`: `xp` and nothing else (setting
    anything on it raises, so an op that needs a real ctx cannot take the fast entry)."""

    __slots__ = ("xp",)

    def __init__(self, xp: Any) -> None:
        self.xp = xp


Context = Node  # what PyTorch calls ctx: in this engine an op's record is its output node


class HookHandle:
    """Returned by `register_hook`; `handle.remove()` takes the hook away."""

    def __init__(self, node: Node, fn: Callable) -> None:
        self._node, self._fn = node, fn

    def remove(self) -> None:
        hooks = self._node._hooks
        if hooks and self._fn in hooks:
            hooks.remove(self._fn)
            _HOOKS[0] -= 1


# ----------------------------------------------------------------------------------------------
# recording an op: Function.apply for any op, op1/op2 as the operators' fast entries
# ----------------------------------------------------------------------------------------------


class Function:
    """One operation and its derivative rule: subclass it to add an op, as the built-in ones are.

    Write two static methods, PyTorch's shape:

        class Cube(Function):
            @staticmethod
            def forward(ctx, x):            # x: a float (Value) or a numpy array (Tensor)
                return x ** 3
            @staticmethod
            def backward(ctx, grad):        # grad: d(cost)/d(output), same kind as the output
                (x,) = ctx.args             # the operands by position (or ctx.saved_values)
                return grad * 3 * x ** 2    # one gradient per input (a tuple for several)

        y = Cube.apply(Value(2.0))          # or Cube.apply(Tensor([...], requires_grad=True))

    `backward` reads the operands as `ctx.args` and the result as `ctx.out`, or what forward kept
    with `ctx.save_for_backward(...)` as `ctx.saved_values`, or any attribute forward set on ctx
    (the ctx is the result node itself, so its own names such as `shape` are taken).
    It may return None for an input
    that needs no gradient (`ctx.needs_input_grad`), and a gradient of a broadcast shape (the
    engine sums it back).  The `grad` it is given may be a read-only view (a sum's gradient,
    repeated): compute new arrays from it, as above, rather than change it in place.  Written
    with arithmetic operators and `ctx.xp` functions only, it is differentiable again: under
    `grad(..., create_graph=True)` the same lines run on graph values.
    """

    @staticmethod
    def forward(ctx: Node, *inputs: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Node, grad: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    op_name: str | None = None  # the built-in ops name themselves as users call them

    @classmethod
    def name(cls) -> str:
        """The op's name in messages and drawings: the method users call (`log_softmax`) for a
        built-in op, the class name as written for a user's own Function."""
        return cls.__dict__.get("op_name") or cls.__name__

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run the op on `Value`s or on `Tensor`s (plain numbers allowed as constants)."""
        kind: Any = None
        parents: list[Any] = []
        raws: list[Any] = []
        tracked = constants = False
        for x in inputs:  # each operand: its raw data, and the node if it wants a gradient
            if isinstance(x, Node):
                if x._engine is not kind:
                    if kind is not None:
                        raise _mixing_error(cls, kind, x._engine)
                    kind = x._engine
                parents.append(x if x.requires_grad else None)
                tracked = tracked or x.requires_grad
                raws.append(x.data)
            else:
                parents.append(None)
                raws.append(x)
                constants = True
        if kind is None:
            raise TypeError(f"{cls.name()}.apply needs at least one Value or Tensor input, got "
                            + ", ".join(type(x).__name__ for x in inputs))
        if constants:  # plain numbers become the engine's raw data
            raws = [r if isinstance(x, Node) else kind._constant(x, cls)
                    for x, r in zip(inputs, raws)]
        out, raw = run_forward(cls, kind, tuple(raws), kwargs, inputs, tuple(parents))
        roles = None
        if out.__dict__.get("saved_values"):  # a user's save_for_backward: note each one's role
            roles = tuple(-1 if s is raw else next((i for i, r in enumerate(raws) if r is s),
                                                   None) for s in out.saved_values)
        if tracked and _state.grad_enabled:
            out.fn, out.requires_grad = cls, True
            if roles is not None:
                out._roles = roles
            if _state.mode == 2:
                _record_extras(out)
        else:
            out.args = out.inputs = None  # not recorded: keep no operand alive
        return out


def run_forward(fn: Any, kind: Any, raws: tuple, kwargs: dict, inputs: Sequence[Any] = (),
                parents: tuple | None = None) -> tuple[Node, Any]:
    """Run `fn.forward` on raw operands with a fresh node as its ctx; returns (node, raw result).
    (Also how `check_graph` re-runs a recorded op on copies of its operands.)"""
    out = kind._blank()
    out.args = raws
    out.inputs = parents if parents is not None else (None,) * len(raws)
    if kwargs:
        out.kwargs = kwargs
    try:
        raw = fn.forward(out, *raws, **kwargs)
    except (ValueError, TypeError, IndexError) as e:
        raise _op_error(fn, inputs or raws, e) from e
    except AttributeError as e:
        if "setter" not in str(e) and "read-only" not in str(e):
            raise
        raise AttributeError(f"{fn.name()}.forward: {e}: the ctx is the op's result node, so "
                             "keep your value under a name of your own (ctx.in_shape, not "
                             "ctx.shape)") from e
    kind._fill(out, raw, fn)
    return out, raw


def op1(fn: Any, x: Any) -> Any:
    """The fast entry of a one-input op without options (`v.exp()`, `-t`): what `fn.apply(x)`
    does, without its general loop over inputs.

    For the built-in ops only, whose `forward` reads nothing of its ctx but `ctx.xp`: it is
    handed the engine's `MathOnly` ctx, and the node is made once the result is known.
    """
    kind = x._engine
    xd = x.data
    try:
        out = kind._make(fn.forward(kind._math_ctx, xd), fn)
    except (ValueError, TypeError, IndexError) as e:
        raise _op_error(fn, (x,), e) from e
    mode = _state.mode if x.requires_grad else 0
    if mode:
        out.fn, out.inputs, out.args, out.requires_grad = fn, (x,), (xd,), True
        if mode == 2:
            _record_extras(out)
    else:
        out.fn, out.requires_grad = None, False
    return out


def binary(fn: Any) -> Callable[[Any, Any], Any]:
    """The fast entry of a two-input op, `entry(a, b)`: what `fn.apply(a, b)` does, for the
    built-in ops whose `forward` reads only `ctx.xp` (see `op1`).  The operators are these
    entries themselves (`Operators.__mul__ = binary(Mul)`), one call less for every `a * b`."""

    forward = fn.forward  # looked up once, not at every call

    def entry(a: Any, b: Any) -> Any:
        if isinstance(a, Node):
            kind = a._engine
            ad, pa = a.data, (a if a.requires_grad else None)
            if isinstance(b, Node):
                if b._engine is not kind:
                    raise _mixing_error(fn, kind, b._engine)
                bd, pb = b.data, (b if b.requires_grad else None)
            else:
                bd, pb = (b if type(b) is float or type(b) is int else kind._constant(b, fn)), None
        else:
            kind = b._engine
            ad, pa = (a if type(a) is float or type(a) is int else kind._constant(a, fn)), None
            bd, pb = b.data, (b if b.requires_grad else None)
        try:
            out = kind._make(forward(kind._math_ctx, ad, bd), fn)
        except (ValueError, TypeError, IndexError) as e:
            raise _op_error(fn, (a, b), e) from e
        mode = _state.mode if pa is not None or pb is not None else 0
        if mode:
            out.fn, out.inputs, out.args, out.requires_grad = fn, (pa, pb), (ad, bd), True
            if mode == 2:
                _record_extras(out)
        else:
            out.fn, out.requires_grad = None, False
        return out

    entry.__name__ = entry.__qualname__ = f"binary({fn.__name__})"
    return entry


def reflected(entry: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The entry with its operands swapped: `__rsub__(a, 2.0)` computes 2.0 - a."""

    def swapped(a: Any, b: Any) -> Any:
        return entry(b, a)

    return swapped


def _mixing_error(fn: Any, a: type, b: type) -> TypeError:
    return TypeError(
        f"{fn.name()}: cannot mix a {a.__name__} and a {b.__name__} in one op. The scalar "
        "engine (Value) and the tensor engine (Tensor) build separate graphs: use "
        "Tensor(value.data) or value.data to convert.")


def _shape_of(x: Any) -> str:
    shape = getattr(getattr(x, "data", x), "shape", None)
    return type(x).__name__ if shape is None else str(tuple(shape))


def _op_error(fn: Any, inputs: Sequence[Any], e: Exception) -> Exception:
    """An error from inside an op's forward, with the op and the input shapes named."""
    msg = str(e)
    if msg.startswith(fn.name() + ":"):
        return type(e)(msg)
    shapes = ", ".join(_shape_of(x) for x in inputs)
    return type(e)(f"{fn.name()}: {msg} (inputs: {shapes})")


def _is_finite(x: Any) -> bool:
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return x - x == 0.0
    try:
        return bool(np.all(np.isfinite(x)))
    except TypeError:
        return True


def _check_finite(x: Any, node: Node, what: str) -> None:
    if not _is_finite(x):
        where = node.created_at or "<created outside detect_anomaly()>"
        raise AnomalyError(f"{node.fn.name()}: {what} holds NaN or inf; "
                           f"the op was created at {where}")


# ----------------------------------------------------------------------------------------------
# backward: count each node's users, then walk from the root, releasing a node when complete
# ----------------------------------------------------------------------------------------------


def _count_users(root: Node, direct: bool) -> None:
    """Set `_users` of every node behind `root` to its number of recorded users (iterative DFS).

    With `direct`, leaves are left out: backward adds each piece of their gradient into `.grad`
    as it arrives.  Every count is 0 at rest (the walk brings each back to 0), so a count of 0
    means "not seen yet" here.
    """
    stack = [root]
    while stack:
        for p in stack.pop().inputs:
            if p is None or direct and p.fn is None:
                continue
            n = p._users
            if n == 0:
                p._pending = None
                if p.fn is not None:
                    stack.append(p)
            p._users = n + 1


def backward_order(root: Node) -> list[Node]:
    """Every node behind `root` (leaves included) in the order backward completes them: `root`
    first, each node after all of its users.  The same walk as `run_backward`, without the
    rules, so tools (check_graph, the drawings, the backward player) see the engine's order."""
    if root.fn is None:
        return [root]
    _count_users(root, direct=False)
    order = []
    ready = [root]
    try:
        while ready:
            node = ready.pop()
            order.append(node)
            if node.fn is None:
                continue
            for p in node.inputs:
                if p is not None:
                    n = p._users - 1
                    p._users = n
                    if n == 0:
                        ready.append(p)
    except BaseException:  # pragma: no cover - only an interrupt can land here
        _reset(root)
        raise
    return order


def topological_order(root: Node) -> list[Node]:
    """The nodes behind `root`, each after all of its inputs (the forward order)."""
    return backward_order(root)[::-1]


def _reset(root: Node) -> None:
    """After a backward that raised: bring every count back to 0 (the invariant above)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        node._users, node._pending = 0, None
        if node.fn is not None:
            for p in node.inputs:
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)


def _rule_error(node: Any, e: Exception) -> Exception:
    where = f" (op created at {node.created_at})" if node.created_at else ""
    return type(e)(f"{node.fn.name()}.backward: {e}{where}")


def _as_tuple(node: Any, grads: Any) -> tuple:
    """A rule's result as one gradient per input (a single one may come bare)."""
    n = len(node.inputs)
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    if len(grads) != n:
        raise RuntimeError(f"{node.fn.name()}.backward returned {len(grads)} gradient(s) for "
                           f"{n} input(s): return one per input (None for a constant)")
    return grads


def _grads_of(node: Any, g: Any) -> tuple:
    """Run the node's rule (ctx: the node, or its GraphView); one gradient per input."""
    try:
        grads = node.fn.backward(node, g)
    except (ValueError, TypeError, IndexError) as e:
        raise _rule_error(node, e) from e
    return _as_tuple(node, grads)


def run_backward(root: Node, seed: Any) -> None:
    """The common backward, from `root` to the weights, storing every gradient (§4-4).

    Each node waits until all its users have passed their piece of its gradient (`_users`
    counts down to 0); its rule then splits that gradient among its inputs.  A weight (a leaf)
    adds each piece into `.grad` at once.  Hooks, anomaly mode and `grad()` take
    `run_backward_general` instead, so this loop checks none of them.
    """
    _count_users(root, direct=True)
    root._pending = seed
    ready = [root]
    given: set[int] = set()  # arrays handed to a leaf: never hand the same one to two
    clock = _CLOCK[0]  # the rules change no data: read the in-place clock once
    try:
        while ready:
            node = ready.pop()
            g, node._pending = node._pending, None
            node.grad = g
            if node._seen != clock and node._seen is not None:  # a Tensor op whose operands
                node._check_versions()  # may have changed in place since it ran
            inputs = node.inputs
            if g is None:
                grads: Any = (None,) * len(inputs)
            else:
                try:
                    grads = node.fn.backward(node, g)  # the rule: ctx is the node itself
                except (ValueError, TypeError, IndexError) as e:
                    raise _rule_error(node, e) from e
                if type(grads) is not tuple:  # one input: its gradient may come bare
                    grads = (grads,) if len(inputs) == 1 else _as_tuple(node, grads)
                elif len(grads) != len(inputs):
                    grads = _as_tuple(node, grads)
            for p, pg in zip(inputs, grads):
                if p is None:
                    continue
                if pg is not None:
                    gt = p._grad_type  # a float for a Value, an array that fits for a Tensor
                    if type(pg) is not gt or gt is _ndarray and (  # (only a Tensor has _data)
                            pg.shape != p._data.shape or pg.dtype is not p._data.dtype):
                        pg = p._fit_grad(pg, node.fn)
                if p.fn is None:  # a weight: add its piece in now (p._accumulate, inlined)
                    if pg is not None:
                        held = p.grad
                        p.grad = p._own(pg, given) if held is None else held + pg
                    continue
                if pg is not None:
                    prev = p._pending
                    p._pending = pg if prev is None else prev + pg
                n = p._users - 1
                p._users = n
                if n == 0:  # every user of p has passed its piece on: p is complete
                    ready.append(p)
    except BaseException:
        _reset(root)
        raise


def run_backward_general(root: Node, seed: Any, *, create_graph: bool = False,
                         wanted: dict[int, Any] | None = None) -> None:
    """The same walk with everything optional: hooks, anomaly checks, graph-valued gradients
    (`create_graph`), and `grad()`'s mode (`wanted`: a dict from id(node) to None, filled with
    the gradients of those nodes instead of storing anything in `.grad`)."""
    from .graphmath import GraphView  # late import: it builds on the functions

    _count_users(root, direct=False)
    root._pending = seed
    ready = [root]
    given: set[int] = set()
    anomaly = _state.anomaly
    try:
        while ready:
            node = ready.pop()
            g, node._pending = node._pending, None
            if g is not None and node._hooks:
                g = _run_hooks(node, g, create_graph)
            if wanted is not None:
                if g is not None and id(node) in wanted:
                    wanted[id(node)] = g
            elif g is not None:
                if node.fn is None:
                    node._accumulate(g.data if isinstance(g, Node) else g, given)
                else:
                    node.grad = g.data if isinstance(g, Node) else g
            if node.fn is None:
                continue
            if node._seen is not None:
                node._check_versions()
            if g is None:
                grads: Any = (None,) * len(node.inputs)
            else:
                ctx = GraphView(node) if create_graph else node
                grads = _grads_of(ctx, g)
            for p, pg in zip(node.inputs, grads):
                if p is None:
                    continue
                if pg is not None:
                    pg = p._fit_grad(pg, node.fn, create_graph)
                    if anomaly:
                        _check_finite(pg, node, "a gradient")
                    prev = p._pending
                    p._pending = pg if prev is None else prev + pg
                n = p._users - 1
                p._users = n
                if n == 0:
                    ready.append(p)
    except BaseException:
        _reset(root)
        raise


def _run_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    for hook in list(node._hooks or ()):
        try:
            r = hook(g)
        except Exception as e:
            raise type(e)(f"hook {getattr(hook, '__name__', hook)!r} on {node._name()} "
                          f"raised: {e}") from e
        if r is not None:
            g = node._fit_hook_grad(r, hook, create_graph)
    return g


def backward(root: Node, grad: Any = None) -> None:
    """Backpropagate from `root`, adding d(root)/d(leaf) into every leaf's `.grad`.

    `grad` is needed when `root` has more than one element: the gradient of some cost with
    respect to `root`, of `root`'s shape (it is copied, never kept or frozen).
    """
    if not isinstance(root, Node):
        raise TypeError(f"backward needs a Value or a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"backward: {root._name()} does not require a gradient and has no recorded graph: "
            "was it computed under no_grad(), or from inputs with requires_grad=False?")
    seed = root._seed(False) if grad is None else root._check_grad_arg(grad)
    if root.fn is None:  # backward of a leaf: d(root)/d(root)
        if root._hooks:
            seed = _run_hooks(root, seed, False)
        root._accumulate(seed, set())
    elif _HOOKS[0] or _state.anomaly:
        with _switch("grad_enabled", False):  # what a hook computes is not recorded
            run_backward_general(root, seed)
    else:  # the rules run on raw numbers, which record nothing
        run_backward(root, seed)


def grad(output: Node, inputs: Node | Sequence[Node], grad_output: Any = None, *,
         create_graph: bool = False, allow_unused: bool = False) -> Any:
    """The gradients of `output` with respect to `inputs`, like `torch.autograd.grad`.

    Nothing is stored in any `.grad`.  With `create_graph=True` the results are graph values
    (a `Value` or a `Tensor` with history), so they can be differentiated again: second
    derivatives, Hessian-vector products, Newton's method.  Returns a tuple when `inputs` is a
    sequence, a single gradient otherwise.  An input the output does not depend on raises, or,
    with `allow_unused=True`, gets None.
    """
    single = isinstance(inputs, Node)
    targets: list[Node] = [inputs] if isinstance(inputs, Node) else list(inputs)
    for t in targets:
        if not isinstance(t, Node):
            raise TypeError(f"grad: inputs must be Values or Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: {t._name()} does not require a gradient; create it with "
                               "requires_grad=True to differentiate with respect to it")
    if not isinstance(output, Node) or not output.requires_grad:
        raise RuntimeError("grad: the output has no recorded graph (no input requires a "
                           "gradient, or it was computed under no_grad())")
    if grad_output is None:
        seed = output._seed(create_graph)
    else:
        seed = output._check_grad_arg(grad_output)
        if create_graph and not isinstance(seed, Node):
            seed = output._new(seed)
    wanted: dict[int, Any] = {id(t): None for t in targets}
    with _switch("grad_enabled", create_graph):
        if output.fn is None:
            wanted[id(output)] = seed
        else:
            run_backward_general(output, seed, create_graph=create_graph, wanted=wanted)
    result: list[Any] = []
    given: set[int] = set()
    for t in targets:
        g = wanted[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: {t._name()} is not used to compute the output "
                               "(pass allow_unused=True to get None for it)")
        if g is not None:
            if create_graph and not isinstance(g, Node):
                g = t._new(g)
            elif not create_graph:  # the caller's own array, as a leaf's .grad: never one
                # shared by two inputs, never a read-only view (a sum's gradient)
                g = t._own(g.data if isinstance(g, Node) else g, given)
        result.append(g)
    return result[0] if single else tuple(result)
