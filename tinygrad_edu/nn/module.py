"""`Module`: the base of every network part: its parameters, their names, its scope in the graph.

A module owns parameters (`Parameter` tensors or `Value`s) and sub-modules, as attributes or in
lists.  Calling it runs `forward` inside the scope `Scope(scope_name, scope_kind)`, so every op it
records knows which network, layer and neuron it belongs to (drawings box them together).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeGuard

import numpy as np

from ..engine import Node
from ..habits import Tensor, Value
from ..optim import zero_grads
from ..tools.trace import Scope, enter_scope, exit_scope
from .parameter import Parameter

__all__ = ["Module", "ForwardHookHandle"]

State = dict[str, np.ndarray]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def state_problems(expected: dict[str, Any], given: dict[str, Any], not_numbers: Any = (),
                   given_name: str = "given", expected_name: str = "expected") -> list[str]:
    """What keeps `given` (name -> shape, or None when unknown) from fitting `expected`
    (name -> shape): one phrase per kind of problem ("missing: ...", "extra: ...",
    "mis-shaped: name (given (2, 3), expected (3, 2))", "not plain numbers: ..."), empty when
    it fits.  One comparison and one wording for `load_state_dict` and for `nn.load`."""
    kinds = {
        "missing": [n for n in expected if n not in given],
        "extra": [n for n in given if n not in expected],
        "mis-shaped": [f"{n} ({given_name} {tuple(given[n])}, {expected_name} "
                       f"{tuple(expected[n])})" for n in expected
                       if given.get(n) is not None and tuple(given[n]) != tuple(expected[n])],
        "not plain numbers": list(not_numbers),
    }
    return [f"{kind}: " + ", ".join(names) for kind, names in kinds.items() if names]


def _float64_copy(value: Any) -> np.ndarray:
    """A float64 array of `value`: numbers, arrays, or a torch tensor (a torch state_dict)."""
    if all(hasattr(value, m) for m in ("detach", "cpu", "numpy")):  # torch.Tensor, duck-typed
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=np.float64)


def _is_parameter(value: Any) -> TypeGuard[Tensor | Value]:
    """A `Parameter` or a `Value` is a parameter, frozen or not; another node (a `Tensor`)
    only while it requires a gradient."""
    return isinstance(value, (Parameter, Value)) or (isinstance(value, Node)
                                                     and value.requires_grad)


class Module:
    """Base class: subclass it, create parameters and sub-modules in `__init__`, write `forward`.

    * `scope_kind`: "network", "layer", "neuron" or "block" (a class attribute);
    * `scope_name`: the attribute path the parent gave it ("layers.0", "layers.0.neurons.2"),
      or the class name for a module on its own;
    * `named_parameters()`, `parameters()`, `zero_grad()`;
    * `state_dict()` / `load_state_dict()`: the parameters as float64 numpy arrays by name;
    * as in PyTorch: `modules()` / `named_modules()`, `apply(fn)`, `train()` / `eval()` (the
      `training` flag; no layer here acts differently in training, see docs/pytorch.md) and
      `register_forward_hook(hook)`.

    Sub-modules are found in attributes that hold a `Module` or a list/tuple of `Module`s;
    parameters in attributes that hold a `Parameter` or a `Value`, or a list of `Value`s (a
    neuron's weights), frozen (`requires_grad=False`) or not, as PyTorch keeps a frozen
    parameter; another `Tensor` is a parameter only while it requires a gradient (a constant
    otherwise).  `requires_grad_(False)` freezes every parameter (PyTorch's);
    `state_requires_grad()` says which state entries are frozen.  Assign a list whole
    (`self.layers = [...]`); a list changed in place later is not renamed.
    """

    scope_kind: str = "block"
    training: bool = True  # set on every module by train() / eval()

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name.startswith("_"):
            return
        path = self.__dict__.get("_path", "")
        if isinstance(value, Module):
            value._rename(_join(path, name))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Module):
                    item._rename(_join(path, f"{name}.{i}"))

    # -- names ------------------------------------------------------------------------------
    @property
    def scope_name(self) -> str:
        """The name of this module's scope in the graph (its path, or the class name at the top)."""
        return self.__dict__.get("_path", "") or type(self).__name__

    def _rename(self, path: str) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_scope", None)
        for name, child in self.named_children():
            child._rename(_join(path, name))

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(attribute name, sub-module) for each direct sub-module; list items as "name.i"."""
        for name, value in self.__dict__.items():
            if name.startswith("_"):
                continue
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self) -> list[Module]:
        return [child for _, child in self.named_children()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("" or `prefix`) and every sub-module below
        it, parents first; a module reachable twice is given once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(_join(name, n), c) for n, c in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module below it, parents first (as PyTorch's)."""
        for _, module in self.named_modules():
            yield module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn(m)` on every sub-module, then on this module (PyTorch's order); returns
        self, e.g. `net.apply(init_weights)`."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        """Set `training` to `mode` on this module and every sub-module; returns self.

        As PyTorch's `train()`.  No layer of this package behaves differently in training and in
        evaluation (there is no dropout or batch normalisation), so the flag only tells your own
        modules which mode they are in.
        """
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """`train(False)`: evaluation mode (see `train`); returns self."""
        return self.train(False)

    # -- parameters ---------------------------------------------------------------------------
    def _own_parameters(self) -> Iterator[tuple[str, Tensor | Value]]:
        for name, value in self.__dict__.items():
            if name.startswith("_"):
                continue
            if _is_parameter(value):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if _is_parameter(item):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor | Value]]:
        """(dotted name, parameter) for every parameter of this module and its sub-modules; a
        parameter shared by two modules is given once, under its first name (as in PyTorch)."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield _join(module_name, name), p

    def parameters(self) -> list[Tensor | Value]:
        """Every learnable `Value` or `Parameter`, frozen ones too (as PyTorch's; an optimizer
        skips a tensor whose gradient is None), in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter; returns self (PyTorch's)."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (before the next `backward`): None for a
        `Tensor` (an array of 0s with `set_to_none=False`), 0.0 for a `Value`."""
        zero_grads(self.parameters(), set_to_none)

    # -- state --------------------------------------------------------------------------------
    def _state(self, prefix: str) -> Iterator[tuple[str, np.ndarray, Module, str]]:
        """(full name, array copy, owning module, local name) for every state entry.

        Override `_own_state`/`_load_own_state` (and set `_state_covers_children`) to store
        several parameters as one array, as a scalar `Layer` stores its neurons' weights as a
        weight matrix.
        """
        for name, array in self._own_state().items():
            yield _join(prefix, name), array, self, name
        if not getattr(self, "_state_covers_children", False):
            for name, child in self.named_children():
                yield from child._state(_join(prefix, name))

    def _own_state(self) -> State:
        state: State = {}
        for name, value in self.__dict__.items():
            if name.startswith("_"):
                continue
            if _is_parameter(value):
                state[name] = np.array(value.data, dtype=np.float64)
            elif isinstance(value, (list, tuple)) and value and all(
                    isinstance(v, Value) for v in value):
                state[name] = np.array([v.data for v in value], dtype=np.float64)
        return state

    def _own_nodes(self, name: str) -> Sequence[Node]:
        """The parameter nodes behind the own state entry `name` (one, or a list's Values)."""
        value = self.__dict__[name]
        return [value] if isinstance(value, Node) else list(value)

    def _load_own_state(self, name: str, array: np.ndarray) -> None:
        value = self.__dict__[name]
        if isinstance(value, Value):
            value.data = float(array)
        elif isinstance(value, Node):
            value.data = np.array(array, dtype=value.data.dtype)
        else:
            for v, x in zip(value, array.tolist()):
                v.data = float(x)

    def state_dict(self) -> State:
        """Every parameter array by name, frozen ones too (as PyTorch's), as float64 copies
        (changing them changes nothing)."""
        return {name: array for name, array, _, _ in self._state("")}

    def state_requires_grad(self) -> dict[str, bool]:
        """Each `state_dict()` name -> whether training changes it (False: frozen).  An entry
        of several `Value`s (a scalar layer's weight matrix) is frozen when all of them are.
        `nn.save`, `nn.load`, `to_torch` and `from_torch` carry these flags across."""
        return {name: any(node.requires_grad for node in owner._own_nodes(local))
                for name, _, owner, local in self._state("")}

    def set_state_requires_grad(self, flags: dict[str, bool]) -> None:
        """Freeze (False) or unfreeze (True) the state entries named in `flags`, e.g.
        `{"0.weight": False}`; names the module does not have are refused, nothing changed."""
        owners = {name: (owner, local) for name, _, owner, local in self._state("")}
        unknown = [name for name in flags if name not in owners]
        if unknown:
            raise ValueError(f"set_state_requires_grad of {type(self).__name__}: no state "
                             f"entry {', '.join(map(repr, unknown))}; it has "
                             f"{', '.join(owners) or 'none'}")
        for name, flag in flags.items():
            owner, local = owners[name]
            for node in owner._own_nodes(local):
                node.requires_grad = bool(flag)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set the parameters from arrays by name (as `state_dict()` gives them; torch tensors,
        as a torch `state_dict()` gives them, are read too).

        Refuses missing, extra, mis-shaped and non-numeric entries, naming them; the module is
        then left unchanged.
        """
        entries = list(self._state(""))
        expected = {name: array.shape for name, array, _, _ in entries}
        arrays = {}
        not_numbers = []
        for name in expected:
            if name in state:
                try:
                    arrays[name] = _float64_copy(state[name])
                except (TypeError, ValueError, OverflowError):  # 10**400 overflows
                    not_numbers.append(name)
        problems = state_problems(
            expected, {**dict.fromkeys(state), **{n: a.shape for n, a in arrays.items()}},
            not_numbers)
        if problems:
            raise ValueError(f"load_state_dict of {type(self).__name__}: " + "; ".join(problems)
                             + "; nothing was loaded")
        for name, _, owner, local in entries:
            owner._load_own_state(local, arrays[name])

    # -- running ------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        scope = self.__dict__.get("_scope")
        if scope is None:  # made once, and again after a rename (see _rename)
            scope = Scope(self.scope_name, self.scope_kind)
            object.__setattr__(self, "_scope", scope)
        previous = enter_scope(scope)  # as `with name_scope(scope):`, without the object
        try:
            output = self.forward(*args, **kwargs)
        finally:
            exit_scope(previous)
        hooks = self.__dict__.get("_forward_hooks")
        if hooks:
            for hook in list(hooks.values()):
                replaced = hook(self, args, output)
                if replaced is not None:
                    output = replaced
        return output

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
                              ) -> ForwardHookHandle:
        """Call `hook(module, inputs, output)` after every forward of this module (PyTorch's
        forward hook); a non-None return replaces the output.  `handle.remove()` removes it."""
        if not callable(hook):
            raise TypeError(f"register_forward_hook needs a callable, got {type(hook).__name__}")
        hooks = self.__dict__.get("_forward_hooks")
        if hooks is None:
            hooks = {}
            object.__setattr__(self, "_forward_hooks", hooks)
        handle = ForwardHookHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ForwardHookHandle:
    """What `register_forward_hook` returns: `remove()` takes the hook off again."""

    _next_id = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(self._next_id)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> ForwardHookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
