"""The computation graph shared by the scalar and the tensor engine.

Every number that takes part in a computation is a *node*: a `Value` (one Python float) or a
`Tensor` (one numpy array).  An operation is a `Function`: its `forward` works on the raw numbers
(floats or arrays), its `backward` turns the gradient of the output into one gradient per input.
`Function.apply` runs `forward` and, when some input needs a gradient, records a `Context` on the
output: which function made it, from which inputs, with which saved values.  That record is the
graph; `backward` walks it once, from the cost back to the weights (§4-1 to §4-4 of the book:
error backpropagation is this walk, done by hand).

Semantics of `backward` (see docs/guarantees.md):

* iterative, so the depth of a graph is limited only by memory, never by Python's recursion limit;
* linear in the number of edges: each node is visited once, after all its users (a topological
  order computed by counting each node's users, then releasing a node when the count reaches 0);
  a leaf without hooks (a weight) needs no waiting: each piece of its gradient is added into
  `.grad` as it arrives;
* a value used twice receives the sum of both gradients (`b = a + a; c = b + b` gives dc/da = 4);
* leaves (nodes made by the user, not by an op) *accumulate*: `.grad` grows across calls until it
  is zeroed, as in PyTorch.  Every intermediate node's `.grad` is *overwritten* with the gradient
  of the latest call, so drawings can show it.  Calling `backward` twice on the same graph is
  therefore well defined: the leaves hold twice the gradient, the intermediate nodes once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable, Iterator, NamedTuple, Sequence

import numpy as np

_ndarray = np.ndarray

# ----------------------------------------------------------------------------------------------
# global switches: grad mode, anomaly mode, the module name scope
# ----------------------------------------------------------------------------------------------


class Scope(NamedTuple):
    """One level of the module path an op was recorded in: a name and a kind
    ("network", "layer", "neuron", or "block" for anything else)."""

    name: str
    kind: str = "block"


class _State:
    """Process-wide switches read on every op (kept in one object so each read is one lookup)."""

    __slots__ = ("grad_enabled", "anomaly", "sites", "scope")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.sites = False  # record ctx.created_at (detect_anomaly() or record_sites())
        self.scope: tuple[Scope, ...] = ()


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    return _state.grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block: results have no history and `requires_grad=False`.

    Use it for evaluation and for parameter updates (`w.data -= lr * w.grad` needs no graph).
    """
    previous = _state.grad_enabled
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a `no_grad()` block."""
    previous = _state.grad_enabled
    _state.grad_enabled = True
    try:
        yield
    finally:
        _state.grad_enabled = previous


class name_scope:  # noqa: N801 - used like a function: `with name_scope("layers.0", "layer"):`
    """Tag every op recorded inside the block with `Scope(name, kind)` (nested scopes: a path).

    `nn.Module.__call__` opens one per module, so a drawing can box a neuron's or a layer's
    nodes together.  The path is stored as `ctx.scope`, a tuple such as
    `(Scope("MLP", "network"), Scope("layers.0", "layer"), Scope("A", "neuron"))`.
    (A class rather than a generator: it is entered once per module call, a hot path.)
    """

    __slots__ = ("scope", "previous")

    def __init__(self, name: "str | Scope", kind: str = "block") -> None:
        self.scope = name if type(name) is Scope else Scope(name, kind)

    def __enter__(self) -> None:
        self.previous = _state.scope
        _state.scope = self.previous + (self.scope,)

    def __exit__(self, *exc: Any) -> None:
        _state.scope = self.previous


def enter_scope(scope: Scope) -> tuple[Scope, ...]:
    """Open `scope` (what `name_scope` does, as two calls for hot paths such as a module's
    call); returns what `exit_scope` needs to close it."""
    previous = _state.scope
    _state.scope = previous + (scope,)
    return previous


def exit_scope(previous: tuple[Scope, ...]) -> None:
    _state.scope = previous


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode at the first NaN or inf produced by an op, forward or backward."""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Record where each node is created, and stop at the first NaN or inf.

    Inside the block every op remembers the file and line of the user's code that called it;
    the first op whose forward result or backward gradient holds a NaN or an inf raises
    `AnomalyError` naming the op and that file and line.  It slows every op: use it to hunt a bug.
    """
    previous = _state.anomaly, _state.sites
    _state.anomaly = _state.sites = True
    try:
        yield
    finally:
        _state.anomaly, _state.sites = previous


@contextlib.contextmanager
def record_sites() -> Iterator[None]:
    """Record where each node is created (`ctx.created_at`), without the NaN checks.

    Lighter than `detect_anomaly()`: `check_graph` can then name the file and line of the op
    that disagrees.  Each op looks up its caller's frame, so use it while hunting a bug.
    """
    previous = _state.sites
    _state.sites = True
    try:
        yield
    finally:
        _state.sites = previous


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_frame() -> str:
    """'file:line in function' of the innermost caller outside this package."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR + os.sep):
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return "<unknown>"


# ----------------------------------------------------------------------------------------------
# nodes and contexts
# ----------------------------------------------------------------------------------------------


class Node:
    """What `Value` and `Tensor` share: data, gradient, label and the record of the op that made it.

    Subclasses provide the engine-specific parts as class attributes and methods:

    * `_xp`: the math namespace the rules use on this engine's raw data (floats or arrays);
    * `_from_raw(raw)`: wrap an op's raw result into a new node;
    * `_constant(x, fn)`: turn a plain operand (a Python number, a list, an array) into raw data,
      or raise a clear `TypeError`;
    * `_fit_grad(g, fn)`: make a gradient match this node (a float; an array of this shape);
    * `_accumulate(g, given)`: add a gradient into a leaf's `.grad` (`given` holds the ids of
      the arrays already handed to other leaves in this backward, so none is shared);
    * `_seed(create_graph)`: the gradient d(self)/d(self) that starts `backward`.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_ctx", "_hooks", "__weakref__")
    _xp: Any = None
    _engine: Any = None
    _grad_type: Any = None  # a gradient of exactly this type is used as is (float for Value)
    _engine_name = "node"

    # -- the graph --------------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user (inputs, weights); False for the results of ops."""
        return self._ctx is None

    @property
    def grad_fn(self) -> "Context | None":
        """The record of the op that made this node (None for a leaf)."""
        return self._ctx

    def backward(self, grad: Any = None) -> None:
        """Backpropagate from this node: d(self)/d(leaf) is added into every leaf's `.grad`."""
        backward(self, grad)

    def detach(self):
        """The same data as a new leaf with no history and `requires_grad=False`."""
        out = self._from_raw(self.data)
        out.label = self.label
        return out

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (0.0 for a `Value`, None for a `Tensor`)."""
        self.grad = self._zero_grad_value

    _zero_grad_value: Any = None

    def register_hook(self, fn: Callable[[Any], Any]) -> "HookHandle":
        """Call `fn(grad)` when this node's gradient is complete; a non-None return replaces it.

        For a leaf the hook sees the gradient of this call before it is added to `.grad`;
        for an intermediate node, before it is passed on to the node's inputs (§4-3: watch the
        unit error delta arrive at each unit).
        """
        if not callable(fn):
            raise TypeError(f"register_hook needs a callable, got {type(fn).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return HookHandle(self, fn)

    def _name(self) -> str:
        return f"{type(self).__name__}(label={self.label!r})" if self.label else type(self).__name__

    # subclass interface -------------------------------------------------------------------
    @classmethod
    def _from_raw(cls, raw: Any) -> "Node":  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _constant(cls, x: Any, fn: type) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_grad(self, g: Any, fn: type) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _accumulate(self, g: Any, given: set[int]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _seed(self, create_graph: bool) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_grad_arg(self, grad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class HookHandle:
    """Returned by `register_hook`; `handle.remove()` takes the hook away."""

    def __init__(self, node: Node, fn: Callable) -> None:
        self._node, self._fn = node, fn

    def remove(self) -> None:
        hooks = self._node._hooks
        if hooks and self._fn in hooks:
            hooks.remove(self._fn)


class Context:
    """What an op remembers for its backward: PyTorch's `ctx`.

    `fn` is the `Function` subclass, `inputs` the input nodes (None where the operand was a
    constant), `needs_input_grad` which inputs want a gradient, `saved_values` what `forward`
    passed to `save_for_backward`, `xp` the math namespace of the engine, `scope` the module path
    it was recorded in, `created_at` the user's file and line in anomaly mode (or under
    `record_sites()`), `args` the raw operands as `forward` received them (constants included)
    and `kwargs` its keyword arguments, so `check_graph` can re-run the op (`args` is set only
    when the op is recorded, `kwargs` only when it has some).  `forward` may set
    further attributes (an axis, a shape) for `backward` to read.
    """

    __slots__ = ("fn", "inputs", "saved_values", "xp", "scope", "created_at", "args", "kwargs",
                 "__dict__")

    def __init__(self, fn: type, xp: Any, inputs: tuple) -> None:
        self.fn = fn
        self.xp = xp
        self.inputs = inputs
        self.saved_values: tuple = ()
        self.scope = _state.scope
        self.created_at: str | None = None

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input: does it want a gradient? (`backward` may return None for the others.)"""
        return tuple([p is not None for p in self.inputs])

    def save_for_backward(self, *values: Any) -> None:
        """Keep raw values (inputs, the output, masks) for `backward`."""
        self.saved_values = values

    @property
    def name(self) -> str:
        return self.fn.name()

    def __repr__(self) -> str:
        return f"<{self.fn.name()} ctx>"


class Function:
    """One operation and its derivative rule: subclass it to add an op, as the built-in ones are.

    Write two static methods, PyTorch's shape:

        class Cube(Function):
            @staticmethod
            def forward(ctx, x):            # x: a float (Value) or a numpy array (Tensor)
                ctx.save_for_backward(x)
                return x ** 3
            @staticmethod
            def backward(ctx, grad):        # grad: d(cost)/d(output), same kind as the output
                (x,) = ctx.saved_values
                return grad * 3 * x ** 2    # one gradient per input (a tuple for several)

        y = Cube.apply(Value(2.0))          # or Cube.apply(Tensor([...], requires_grad=True))

    `backward` may return None for an input that needs no gradient (`ctx.needs_input_grad`).
    For broadcasting ops it may return a gradient of the broadcast shape: the engine sums it back
    to the input's shape.  Write `backward` with arithmetic operators and `ctx.xp` functions only,
    and it is differentiable again (`grad(..., create_graph=True)` runs it on graph values).
    """

    @staticmethod
    def forward(ctx: Context, *inputs: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def name(cls) -> str:
        """The op's name in messages and drawings: the class name in lower case."""
        return cls.__name__.lower()

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run the op on `Value`s or on `Tensor`s (plain numbers allowed as constants)."""
        # One pass over the inputs finds the engine, the raw operands and the inputs that want
        # a gradient.  This runs for every op of every graph, so it is a plain loop.
        kind: Any = None
        raws: list = []
        parents: list = []
        record = False
        constants = False
        add_raw, add_parent = raws.append, parents.append
        for x in inputs:
            if isinstance(x, Node):
                engine = x._engine
                if engine is not kind:
                    if kind is not None:
                        raise _mixing_error(cls, kind, engine)
                    kind = engine
                add_raw(x.data)
                if x.requires_grad:
                    add_parent(x)
                    record = True
                else:
                    add_parent(None)
            else:
                add_raw(x)
                add_parent(None)
                t = type(x)
                if t is not float and t is not int:  # plain numbers are raw data for both engines
                    constants = True
        if kind is None:
            raise TypeError(f"{cls.name()}.apply needs at least one Value or Tensor input, got "
                            + ", ".join(type(x).__name__ for x in inputs))
        if constants:
            raws = [r if isinstance(x, Node) else kind._constant(x, cls)
                    for r, x in zip(raws, inputs)]
        ctx = Context(cls, kind._xp, tuple(parents))
        try:
            raw = cls.forward(ctx, *raws, **kwargs)
        except (ValueError, TypeError, IndexError) as e:
            raise _op_error(cls, inputs, e) from e
        out = kind._from_raw(raw)
        if record and _state.grad_enabled:
            ctx.args = raws  # a reference, no copy: check_graph re-runs the op on these
            if kwargs:
                ctx.kwargs = kwargs
            out._ctx = ctx
            out.requires_grad = True
        if _state.sites:
            ctx.created_at = _user_frame()
            if _state.anomaly:
                _check_finite(out.data, ctx, "forward result")
        return out


def _mixing_error(fn: type, a: type, b: type) -> TypeError:
    return TypeError(
        f"{fn.name()}: cannot mix a {a.__name__} and a {b.__name__} in one op. The scalar "
        "engine (Value) and the tensor engine (Tensor) build separate graphs: use "
        "Tensor(value.data) or value.data to convert.")


def _shape_of(x: Any) -> str:
    shape = getattr(getattr(x, "data", x), "shape", None)
    if shape is None:
        return type(x).__name__
    return str(tuple(shape))


def _op_error(fn: type, inputs: Sequence[Any], e: Exception) -> Exception:
    """Re-raise an error from inside an op's forward with the op and the input shapes named."""
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


def _check_finite(x: Any, ctx: Context, what: str) -> None:
    if not _is_finite(x):
        where = ctx.created_at or "<created outside detect_anomaly()>"
        raise AnomalyError(f"{ctx.fn.name()}: {what} holds NaN or inf; "
                           f"the op was created at {where}")


# ----------------------------------------------------------------------------------------------
# backward: one loop for both engines
# ----------------------------------------------------------------------------------------------


class GraphContext:
    """A `Context` seen by `backward` when the gradient itself is to be differentiated.

    The saved raw values are replaced by the graph nodes they came from (an input or the
    output), so the arithmetic in `backward` builds a graph; other saved values (masks, shapes)
    stay constants.  `xp` is the graph-building namespace.
    """

    def __init__(self, ctx: Context, out: Node, graph_xp: Any) -> None:
        self._ctx = ctx
        self.xp = graph_xp
        raws = [None if x is None else x.data for x in ctx.inputs]
        mapped = []
        for pos, s in enumerate(ctx.saved_values):
            node: Any = s
            if pos < len(ctx.args) and ctx.args[pos] is s:
                # the operand at its own position: a graph input, or a constant (stays raw even
                # when it is the very same float object as another input's data)
                if ctx.inputs[pos] is not None:
                    node = ctx.inputs[pos]
            else:
                for i, r in enumerate(raws):
                    if r is s:
                        node = ctx.inputs[i]
                        break
                else:
                    if out.data is s:
                        node = out
            mapped.append(node)
        self.saved_values = tuple(mapped)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def _graph_xp() -> Any:
    from .graphmath import GraphMath  # late import: it builds on the functions

    return GraphMath


def _normalise(fn: type, ctx: Context, grads: Any) -> tuple:
    if not isinstance(grads, tuple):
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    if len(grads) != len(ctx.inputs):
        raise RuntimeError(f"{fn.name()}.backward returned {len(grads)} gradient(s) for "
                           f"{len(ctx.inputs)} input(s): return one per input (None for a "
                           "constant)")
    return grads


def _toposort_counts(roots: Sequence[Node], direct: bool = False) -> dict[int, int]:
    """How many recorded users each node has in the graph behind `roots` (iterative DFS).

    With `direct`, leaves without hooks are left out: backward adds each piece of their
    gradient into `.grad` as it arrives instead of waiting for their count to reach 0.
    """
    users: dict[int, int] = {}
    stack = list(roots)
    while stack:
        ctx = stack.pop()._ctx
        if ctx is None:
            continue
        for p in ctx.inputs:
            if p is None or direct and p._ctx is None and not p._hooks:
                continue
            k = id(p)
            n = users.get(k)
            if n is None:
                users[k] = 1
                stack.append(p)
            else:
                users[k] = n + 1
    return users


def run_backward(root: Node, seed: Any, *, create_graph: bool = False,
                 wanted: dict[int, Any] | None = None) -> None:
    """Walk the graph behind `root` once, from `root` back to the leaves.

    `seed` is d(root)/d(root) (or the gradient given by the user).  Without `wanted` the
    gradients are stored: added into each leaf's `.grad`, written into each intermediate node's
    `.grad`.  With `wanted` (a dict from `id(node)` to None) nothing is stored: the gradient of
    each wanted node is put into the dict instead (this is `grad()`).
    """
    direct = wanted is None  # storing into .grad: leaves without hooks take pieces at once
    users = _toposort_counts([root], direct)
    graph_xp = _graph_xp() if create_graph else None
    pending: dict[int, Any] = {id(root): seed}
    given: set[int] = set()
    ready = [root]
    anomaly = _state.anomaly
    previous_mode = _state.grad_enabled
    _state.grad_enabled = create_graph  # backward on raw values records nothing anyway
    try:
        while ready:
            node = ready.pop()
            g = pending.pop(id(node), None)
            if g is not None and node._hooks:
                for hook in node._hooks:
                    r = hook(g)
                    if r is not None:
                        g = node._fit_grad(r, Function)
            ctx = node._ctx
            if wanted is not None:
                if g is not None and id(node) in wanted:
                    wanted[id(node)] = g
            elif g is not None:
                if ctx is None:
                    node._accumulate(g, given)
                else:
                    node.grad = g
            if ctx is None:
                continue
            inputs = ctx.inputs
            fn = ctx.fn
            if g is None:
                grads: Any = (None,) * len(inputs)
            else:
                try:
                    grads = fn.backward(GraphContext(ctx, node, graph_xp) if create_graph
                                        else ctx, g)
                except (ValueError, TypeError, IndexError) as e:
                    where = f" (op created at {ctx.created_at})" if ctx.created_at else ""
                    raise type(e)(f"{fn.name()}.backward: {e}{where}") from e
                if type(grads) is not tuple:
                    grads = (grads,) if len(inputs) == 1 else _normalise(fn, ctx, grads)
                elif len(grads) != len(inputs):
                    grads = _normalise(fn, ctx, grads)
            for p, pg in zip(inputs, grads):
                if p is None:
                    continue
                if pg is not None:
                    # a float for a Value, an array of the right shape and dtype for a Tensor,
                    # is used as is; anything else is fitted (summed back, cast, checked)
                    gt = p._grad_type
                    if type(pg) is not gt or (gt is _ndarray and (
                            pg.shape != p.data.shape or pg.dtype != p.data.dtype)):
                        pg = p._fit_grad(pg, fn)
                    if anomaly:
                        _check_finite(pg, ctx, "a gradient")
                if direct and p._ctx is None and not p._hooks:  # a weight: add it in now
                    if pg is not None:
                        p._accumulate(pg, given)
                    continue
                k = id(p)
                if pg is not None:
                    prev = pending.get(k)
                    pending[k] = pg if prev is None else prev + pg
                n = users[k] - 1
                users[k] = n
                if n == 0:  # every user of p has passed its gradient on: p is complete
                    ready.append(p)
    finally:
        _state.grad_enabled = previous_mode


def backward(root: Node, grad: Any = None) -> None:
    """Backpropagate from `root`, adding d(root)/d(leaf) into every leaf's `.grad`.

    `grad` is needed when `root` has more than one element: the gradient of some cost with
    respect to `root`, of `root`'s shape.
    """
    if not isinstance(root, Node):
        raise TypeError(f"backward needs a Value or a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"backward: {root._name()} does not require a gradient and has no recorded graph: "
            "was it computed under no_grad(), or from inputs with requires_grad=False?")
    seed = root._seed(False) if grad is None else root._check_grad_arg(grad)
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
    targets = [inputs] if single else list(inputs)
    for t in targets:
        if not isinstance(t, Node):
            raise TypeError(f"grad: inputs must be Values or Tensors, got {type(t).__name__}")
    if not isinstance(output, Node) or not output.requires_grad:
        raise RuntimeError("grad: the output has no recorded graph (no input requires a gradient)")
    if grad_output is None:
        seed = output._seed(create_graph)
    else:
        seed = output._check_grad_arg(grad_output)
        if create_graph and not isinstance(seed, Node):
            seed = output._from_raw(seed)
    wanted: dict[int, Any] = {id(t): None for t in targets}
    run_backward(output, seed, create_graph=create_graph, wanted=wanted)
    result = []
    for t in targets:
        g = wanted[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: {t._name()} is not used to compute the output "
                               "(pass allow_unused=True to get None for it)")
        if g is not None and create_graph and not isinstance(g, Node):
            g = t._from_raw(g)
        result.append(g)
    return result[0] if single else tuple(result)
