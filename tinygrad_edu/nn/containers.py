"""Containers and the do-nothing module, PyTorch's `ModuleList` and `Identity`.

    self.hidden = nn.ModuleList([nn.Linear(12, 3, "sigmoid") for _ in range(2)])

A `ModuleList` names its modules "0", "1", ... (parameters "hidden.0.weight"), as PyTorch's, so
their state_dict names match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .module import Module

__all__ = ["ModuleList", "Identity"]


def _module(m: Any) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"ModuleList holds Modules, got {type(m).__name__}")
    return m


class ModuleList(Module):
    """A list of modules whose parameters belong to the module that holds it.

    It has no `forward`: loop over it in your own module's `forward`."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        self._modules: list[Module] = []
        self.extend(modules or [])

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self._modules):
            yield str(i), m

    def _renamed(self) -> None:
        """Give every module its name again ("0", "1", ...) after the list changed."""
        self._rename(self.__dict__.get("_path", ""))

    def append(self, module: Module) -> ModuleList:
        self._modules.append(_module(module))
        self._renamed()
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        self._modules.extend(_module(m) for m in modules)
        self._renamed()
        return self

    def insert(self, index: int, module: Module) -> None:
        self._modules.insert(index, _module(module))
        self._renamed()

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._modules[index])
        return self._modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self._modules[index] = _module(module)
        self._renamed()

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)

    def __repr__(self) -> str:
        rows = "".join(f"  ({i}) {m!r}\n" for i, m in enumerate(self._modules))
        return "ModuleList(\n" + rows + ")"


class Identity(Module):
    """Returns its input as it is (a placeholder layer, as PyTorch's `nn.Identity`); any
    arguments given to it are ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, input: Any) -> Any:
        return input

    def __repr__(self) -> str:
        return "Identity()"
