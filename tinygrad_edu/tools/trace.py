"""What a tool wants of an op and the engine never needs: name scopes (the module path, for
drawings that box a neuron or a layer), call sites (the user's file and line) and anomaly mode
(stop at the first NaN or inf).  Each attaches to the engine's one hook point,
`engine.graph.recording`, and writes on the op's record (`node.grad_fn`), never on the node.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Any, NamedTuple
from collections.abc import Iterator

import numpy as np

from ..engine.graph import Node, recording


class Scope(NamedTuple):
    """One level of the module path an op was recorded in: a name and a kind ("network",
    "layer", "neuron", or "block" for anything else)."""

    name: str
    kind: str = "block"


class _Path(threading.local):
    scopes: tuple[Any, ...] = ()  # the module path of the name scopes open in this thread


_path = _Path()


class name_scope:  # noqa: N801 - used as a function: `with name_scope("layers.0", "layer"):`
    """Tag every op recorded inside the block with `Scope(name, kind)` (nested: a path), kept
    as `node.scope`; `nn.Module.__call__` opens one per module."""

    def __init__(self, name: str | Scope, kind: str = "block") -> None:
        self.scope = name if isinstance(name, Scope) else Scope(name, kind)

    def __enter__(self) -> None:
        self.previous = enter_scope(self.scope)

    def __exit__(self, *exc: Any) -> None:
        exit_scope(self.previous)


def enter_scope(scope: Scope) -> tuple[Any, ...]:
    """Open `scope`; returns what `exit_scope` needs.  The outermost one starts the tagging."""
    outer = _path.scopes
    _path.scopes = outer + (scope,)
    tagging = None
    if not outer:
        tagging = recording(_tag_scope)
        tagging.__enter__()
    return outer, tagging


def exit_scope(previous: tuple[Any, ...]) -> None:
    outer, tagging = previous
    _path.scopes = outer
    if tagging is not None:
        tagging.__exit__(None, None, None)


def _tag_scope(node: Node) -> None:
    node.grad_fn.scope = _path.scopes  # type: ignore[union-attr]


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode at the first NaN or inf an op makes, forward or backward."""


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    node.grad_fn.created_at = _user_frame()  # type: ignore[union-attr]


def record_sites() -> recording:
    """Record where each op is made (`node.created_at`), without anomaly mode's checks, so
    `check_graph` can name the file and line of the op that disagrees."""
    return recording(_tag_site)


def _finite(x: Any) -> bool:
    x = x.data if isinstance(x, Node) else x
    return x is None or bool(np.all(np.isfinite(x)))


def _where(node: Node) -> str:
    return getattr(node.grad_fn, "created_at", None) or "<created outside detect_anomaly()>"


def _check_forward(node: Node) -> None:
    _tag_site(node)
    if not _finite(node.data):
        raise AnomalyError(f"{node.grad_fn.name()}: forward result holds NaN or inf; "  # type: ignore[union-attr]
                           f"the op was created at {_where(node)}")


def _check_backward(node: Node, grads: tuple[Any, ...]) -> None:
    if not all(_finite(g) for g in grads):
        raise AnomalyError(f"{node.grad_fn.name()}: a gradient holds NaN or inf; "  # type: ignore[union-attr]
                           f"the op was created at {_where(node)}")


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Record where each op is made, and stop at the first NaN or inf, forward or backward,
    with an `AnomalyError` naming the op and the user's file and line.  It slows every op."""
    with recording(_check_forward, _check_backward):
        yield
