"""What an editor sees: the operators and methods are typed, so `Value(1.0) * 2` is a `Value`,
`x @ W` a `Tensor` and `nn.Linear(3, 2)(x)` a `Tensor`, never `Any`.

mypy (the `test` extra pins it) checks a small user's file with `reveal_type` lines against this
source tree, and `mypy --strict tinygrad_edu` keeps to a small, counted number of complaints.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[2]
PKG = "tinygrad_edu.habits"
#: the most errors `mypy --strict tinygrad_edu` may report (the project's own config: none)
STRICT_LIMIT = 20

pytestmark = pytest.mark.skipif(not (ROOT / "tinygrad_edu").is_dir() or not (
    ROOT / "pyproject.toml").exists(), reason="needs the source tree")

SETUP = """\
import numpy as np
from tinygrad_edu import Tensor, Value, nn
x = np.ones((4, 3))
W = Tensor(np.ones((3, 2)), requires_grad=True)
t = Tensor(x)
"""

#: (a user's expression, the type mypy must reveal for it)
CASES = [
    ("Value(1.0) * 2", f"{PKG}.Value"),
    ("2 * Value(1.0)", f"{PKG}.Value"),
    ("1.0 - Value(1.0)", f"{PKG}.Value"),
    ("Value(1.).sigmoid()", f"{PKG}.Value"),
    ("(Value(2.0) ** 2).tanh().relu()", f"{PKG}.Value"),
    ("Tensor(x) @ W", f"{PKG}.Tensor"),
    ("(t + 1).sum()", f"{PKG}.Tensor"),
    ("(2.0 * t - x).exp().T.reshape(2, -1)", f"{PKG}.Tensor"),
    ("nn.Linear(3, 2)(t)", f"{PKG}.Tensor"),
    ("nn.MLP([3, 4, 2], activation='relu')", "tinygrad_edu.nn.mlp.MLP"),
    ("nn.MLP([3, 4, 2], activation='relu')(t)", f"{PKG}.Tensor"),
    ("nn.Sequential(nn.Linear(3, 2))(t)", f"{PKG}.Tensor"),
    ("nn.Linear(3, 2).parameters()", f"list[{PKG}.Tensor | {PKG}.Value]"),
    ("t.max(dim=1)", f"tuple[{PKG}.Tensor, {PKG}.Tensor, fallback={PKG}.MaxResult]"),
    ("t.max(dim=1).indices", f"{PKG}.Tensor"),
    ("t.max()", f"{PKG}.Tensor"),
]


def mypy(*args: str, cache: Path) -> str:
    """mypy's report, run from the source tree with the project's configuration."""
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache),
                           "--config-file", str(ROOT / "pyproject.toml"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def test_an_editor_sees_value_tensor_and_module(tmp_path: Path, cache: Path) -> None:
    snippet = tmp_path / "user.py"
    first = SETUP.count("\n") + 1
    snippet.write_text(SETUP + "".join(f"reveal_type({e})\n" for e, _ in CASES))
    report = mypy(str(snippet), cache=cache)
    revealed = {int(n): t for n, t in re.findall(r"user\.py:(\d+): note: Revealed type is \"(.+)\"",
                                                report)}
    assert len(revealed) == len(CASES), report
    for i, (expr, expected) in enumerate(CASES):
        assert revealed[first + i] == expected, f"{expr}: {revealed[first + i]}"
    assert "error" not in report, report


def test_strict_mypy_keeps_to_its_limit(cache: Path) -> None:
    report = mypy("--strict", "tinygrad_edu", cache=cache)
    found = re.search(r"Found (\d+) errors? in", report)
    errors = int(found.group(1)) if found else 0
    assert found or "Success: no issues found" in report, report
    assert errors <= STRICT_LIMIT, report
