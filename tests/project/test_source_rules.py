"""The package's source holds no import cycle, no private numpy, no op-name switch in drawings.

Scanned with `ast`, relative imports resolved: the engine (engine/) imports nothing else of the
package; no module imports numpy's private modules, builds arrays from strides or bypasses a
constructor with `object.__new__`; the import graph of the whole package is acyclic; and viz/
(the drawings and the backward player) asks each op for its symbol and local derivative
(`ctx.symbol`, `ctx.local_derivative`) instead of switching on op names.  Each scanner is first
shown to find what it looks for.
"""

from __future__ import annotations

import ast
from pathlib import Path
from collections.abc import Iterator

import pytest

import tinygrad_edu
from tinygrad_edu import Function, Value

PKG = Path(tinygrad_edu.__file__).resolve().parent


def package_files() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in package_files()}


def is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING"
            or isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_run(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements a module runs when it is imported (not those for type checkers
    only, nor those inside functions, which run later)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not is_type_checking(node):
                yield from imports_run(node.body)
            yield from imports_run(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse,
                          node.finalbody):
                yield from imports_run(block)


def imported_modules(module: str, nodes: Iterator[ast.Import | ast.ImportFrom]) -> set[str]:
    """The package's modules that these import statements of `module` name, relative imports
    resolved (`from . import ops` is the module ops; `from .engine import Node` the package)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
            continue
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[:len(parts) - node.level + 1])
            target = base + ("." + node.module if node.module else "")
        else:
            target = node.module or ""
        for a in node.names:
            sub = f"{target}.{a.name}"
            found.add(sub if sub in MODULES else target)
    return {m for m in found if m in MODULES and m != module}


def import_graph() -> dict[str, set[str]]:
    return {m: imported_modules(m, imports_run(ast.parse(p.read_text(encoding="utf-8")).body))
            for m, p in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules (first = last), or None: depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            for nxt in stack[-1]:
                if state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(sorted(graph[nxt])))
                    break
            else:
                state[path.pop()] = 2
                stack.pop()
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_is_resolved() -> None:
    graph = import_graph()
    assert "tinygrad_edu.engine.graph" in graph["tinygrad_edu.engine.function"]
    assert "tinygrad_edu.engine.ops" in graph["tinygrad_edu.engine.tensor"]  # from . import ops
    assert "tinygrad_edu.engine" in graph["tinygrad_edu"]
    # graph.py imports function.py for type checkers only: not an import that runs
    assert "tinygrad_edu.engine.function" not in graph["tinygrad_edu.engine.graph"]


def test_no_import_cycle_in_the_package() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_engine_imports_nothing_else_of_the_package() -> None:
    engine = {m for m in MODULES if m == "tinygrad_edu.engine" or m.startswith(
        "tinygrad_edu.engine.")}
    outside = {}
    for m in engine:
        tree = ast.parse(MODULES[m].read_text(encoding="utf-8"))
        nodes = (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
        wrong = imported_modules(m, nodes) - engine
        if wrong:
            outside[m] = sorted(wrong)
    assert len(engine) >= 7
    assert not outside, f"engine/ imports from the package outside engine/: {outside}"


def forbidden(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Private numpy, arrays built from strides, constructor bypasses: (line, what)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(("numpy._", "numpy.core")):
                    yield node.lineno, f"import {a.name}"
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").startswith(("numpy._", "numpy.core")):
                yield node.lineno, f"from {node.module} import"
            for a in node.names:
                if a.name.startswith("_extobj") or a.name == "as_strided":
                    yield node.lineno, f"import {a.name}"
        elif isinstance(node, ast.Attribute):
            numpy_core = node.attr == "core" and isinstance(node.value, ast.Name) and (
                node.value.id in ("np", "numpy"))
            if numpy_core or node.attr in ("_core", "as_strided") or node.attr.startswith(
                    "_extobj"):
                yield node.lineno, f".{node.attr}"
            if node.attr == "__new__" and isinstance(node.value, ast.Name) and (
                    node.value.id == "object"):
                yield node.lineno, "object.__new__"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr == "ndarray"):
            if len(node.args) >= 5 or any(k.arg in ("strides", "buffer") for k in node.keywords):
                yield node.lineno, "np.ndarray(..., strides)"
        elif isinstance(node, ast.Name) and node.id.startswith("_extobj"):
            yield node.lineno, node.id


def test_scan_for_private_numpy_finds_what_it_looks_for() -> None:
    bad = ("from numpy._core import umath\nimport numpy.core.multiarray\n"
           "t = object.__new__(T)\na = np.ndarray((2,), float, buf, 0, (8,))\n"
           "b = np.lib.stride_tricks.as_strided(x, (2,), (8,))\nc = np._core._extobj_contextvar\n")
    assert len({line for line, _ in forbidden(ast.parse(bad))}) == 6
    assert list(forbidden(ast.parse("a = np.ndarray\nb = np.zeros((2,))\n"))) == []


def test_no_private_numpy_strides_or_constructor_bypass() -> None:
    found = {}
    for path in package_files():
        hits = list(forbidden(ast.parse(path.read_text(encoding="utf-8"))))
        if hits:
            found[str(path.relative_to(PKG))] = hits
    assert not found, f"private numpy, hand-built arrays or object.__new__: {found}"


# -- drawings ask the op -----------------------------------------------------------------------

def op_names() -> set[str]:
    """The name of every op the package defines (its `Function` subclasses)."""
    names, todo = set(), list(Function.__subclasses__())
    while todo:
        fn = todo.pop()
        names.add(fn.name())
        todo.extend(fn.__subclasses__())
    return names


def switches_on(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """Op names compared, used as dict keys or as match cases: a switch on the op's name."""
    def literals(node: ast.AST) -> list[str]:
        items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
        return [x.value for x in items if isinstance(x, ast.Constant) and x.value in names]
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                hits += [(node.lineno, s) for s in literals(side)]
        elif isinstance(node, ast.Dict):
            hits += [(node.lineno, s) for k in node.keys if k is not None for s in literals(k)]
        elif isinstance(node, ast.MatchValue):
            hits += [(node.lineno, s) for s in literals(node.value)]
    return hits


def test_switch_scan_finds_a_switch() -> None:
    names = {"mul", "sigmoid", "add"}
    code = ('if ctx.name() == "mul": pass\nif name in ("add", "x"): pass\n'
            'D = {"sigmoid": 1}\nlabel = "mul"\n')
    assert sorted(s for _, s in switches_on(ast.parse(code), names)) == ["add", "mul", "sigmoid"]


def test_viz_and_player_hold_no_switch_on_op_names() -> None:
    names = op_names()
    assert {"mul", "add", "sigmoid", "matmul", "sum", "pow"} <= names
    viz = sorted((PKG / "viz").glob("*.py"))
    assert (PKG / "viz" / "player.py") in viz and (PKG / "viz" / "graph.py") in viz
    found = {p.name: hits for p in viz
             if (hits := switches_on(ast.parse(p.read_text(encoding="utf-8")), names))}
    assert not found, f"viz switches on op names: {found}"


def test_viz_and_player_ask_the_op() -> None:
    """What they draw comes from the op: its symbol and its local derivative as text."""
    graph_src = (PKG / "viz" / "graph.py").read_text(encoding="utf-8")
    player_src = (PKG / "viz" / "player.py").read_text(encoding="utf-8")
    assert "ctx.symbol" in graph_src and ".local_derivative(" in player_src
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    z = w * x
    assert z.grad_fn is not None and z.grad_fn.symbol == "×"
    assert z.grad_fn.local_derivative(0, ["w", "x"]) == "x"  # ∂(w·x)/∂w = x
    assert z.grad_fn.local_derivative(1, ["w", "x"]) == "w"


def test_modules_freed_of_cycles_keep_their_behaviour() -> None:
    """lr_scheduler no longer imports optim at run time; factories and nn take the public
    Tensor from habits.py, not from the package root."""
    from tinygrad_edu import nn, optim, zeros
    w = Value(1.0)
    sched = optim.lr_scheduler.StepLR(optim.SGD([w], lr=0.5), step_size=1, gamma=0.1)
    sched.step()
    assert abs(sched.optimizer.lr - 0.05) <= 1e-15
    with pytest.raises(TypeError, match="StepLR needs an Optimizer"):
        optim.lr_scheduler.StepLR(object(), step_size=1)  # type: ignore[arg-type]
    assert type(zeros(2)) is tinygrad_edu.Tensor
    assert type(nn.functional.relu(zeros(2))) is tinygrad_edu.Tensor
