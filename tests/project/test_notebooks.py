"""The notebooks, one per chapter (notebooks/): committed without outputs; each starts by importing
the package, installing the checkout it sits in when it is missing there, or saying in one line how
to install it; each runs top to bottom, from a copy outside the checkout with the built wheel
installed in a fresh venv, prints the book's numbers and shows no warning.  And the library is
notebook-friendly: no backend switched, tqdm.auto bars only where ipywidgets can draw them."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
nbformat = pytest.importorskip("nbformat")
#: the one line a notebook prints when tinygrad_edu is neither installed nor in a checkout
HOW_TO_INSTALL = ("tinygrad_edu is not installed: clone its repository and run "
                  'pip install -e ".[notebooks]" in it')


def read(path: str):
    return nbformat.read(path, as_version=4)


def first_cell(path: str) -> str:
    return next(c for c in read(path).cells if c.cell_type == "code").source


def test_one_notebook_per_chapter_committed_without_outputs():
    chapters = sorted(int(re.match(r"ch(\d)_", os.path.basename(p)).group(1))
                      for p in NOTEBOOKS)
    assert chapters == [1, 2, 3, 4, 5]
    for path in NOTEBOOKS:
        nb = read(path)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (path, cell.source)
    assert len({first_cell(path) for path in NOTEBOOKS}) == 1  # one first cell for all


def test_no_package_name_that_pypi_does_not_have():
    """tinygrad_edu is installed from its repository: no `pip install tinygrad_edu`, no
    `tinygrad_edu[extra]` in a notebook, a doc, a hint of the package or a demo."""
    paths = [*glob.glob(os.path.join(ROOT, "*.md")), *NOTEBOOKS,
             *glob.glob(os.path.join(ROOT, "docs", "*.md")),
             *glob.glob(os.path.join(ROOT, "demos", "*.py")),
             *glob.glob(os.path.join(ROOT, "tinygrad_edu", "**", "*.py"), recursive=True)]
    wrong = re.compile(r"pip install (-U |--upgrade )?tinygrad[-_]edu|tinygrad[-_]edu\[")
    found = [f"{os.path.relpath(p, ROOT)}: {m.group(0)}" for p in paths
             for m in wrong.finditer(open(p, encoding="utf-8").read())]
    assert found == []


def run_first_cell(cwd: Path) -> subprocess.CompletedProcess:
    """The notebooks' first cell as IPython runs it, in a Python that sees no installed package
    (-S: no site-packages); `%pip` is recorded, with IPython's {name} expansion, not run."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(first_cell(NOTEBOOKS[0]))
    fake = textwrap.dedent("""
        import sys
        class Shell:
            def run_line_magic(self, magic, line):
                print("%" + magic, line.format(**sys._getframe(1).f_globals))
        get_ipython = Shell
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-S", "-c", fake + code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_first_cell_installs_the_checkout_it_sits_in(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "tinygrad_edu").mkdir()
    (tmp_path / "tinygrad_edu" / "__init__.py").write_text('__version__ = "9.9"\n')
    done = run_first_cell(tmp_path / "notebooks")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f'%pip install -q -e "{tmp_path}[notebooks]"',
                                        "tinygrad_edu 9.9"]


def test_first_cell_says_in_one_line_how_to_install(tmp_path):
    done = run_first_cell(tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == f"ImportError: {HOW_TO_INSTALL}"


# ----------------------------------------------------------------------------------------------
# every notebook, run from a copy outside the checkout, with the wheel in a fresh venv
# ----------------------------------------------------------------------------------------------


def build_wheel(work: Path) -> Path:
    """The wheel of this checkout, built from a copy of what it needs (the checkout stays clean)
    with the setuptools at hand (no build isolation: nothing downloaded)."""
    src = work / "src"
    shutil.copytree(os.path.join(ROOT, "tinygrad_edu"), src / "tinygrad_edu",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(os.path.join(ROOT, name), src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(work / "dist"), str(src)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (work / "dist").glob("*.whl")
    return wheel


def fresh_venv(work: Path, wheel: Path) -> Path:
    """A venv with the wheel as its only tinygrad_edu.  Its other packages (numpy, matplotlib,
    ipykernel, ...) are this Python's, reached through a .pth file that adds their folders to
    sys.path: fast and offline.  Those folders' own .pth files are not read, so an editable
    install of the checkout there stays out of sight."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    target = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    target, str(wheel)], check=True, capture_output=True, timeout=300)
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    Path(target, "the_tests_packages.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory):
    """The name of a Jupyter kernel that runs the fresh venv's Python, and where it looks."""
    pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib", reason="the notebooks draw with matplotlib")
    work = tmp_path_factory.mktemp("notebooks")
    python = fresh_venv(work, build_wheel(work))
    spec = work / "jupyter" / "kernels" / "tinygrad-edu-wheel"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "the wheel in a fresh venv", "language": "python"}))
    return "tinygrad-edu-wheel", work


def run(path: str, venv_kernel, monkeypatch, tmp_path) -> tuple[str, set[str], str]:
    """Execute a copy of the notebook, outside the checkout, in the venv's kernel; (all text it
    printed, the mime types it showed, where it imported tinygrad_edu from).  Fails on an error,
    on anything written to stderr and on a warning."""
    from nbclient import NotebookClient

    kernel, work = venv_kernel
    monkeypatch.setenv("JUPYTER_PATH", str(work / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    copy = tmp_path / os.path.basename(path)
    shutil.copy2(path, copy)
    nb = read(str(copy))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import tinygrad_edu as _t\nprint('imported from', _t.__file__)"))
    NotebookClient(nb, timeout=300, kernel_name=kernel,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text, kinds = [], set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (path, out.get("ename"), out.get("evalue"))
            if out.output_type == "stream":
                assert out.name == "stdout", (path, cell.source, out.text)
                text.append(out.text)
            else:
                kinds.update(out.get("data", {}))
                plain = out.get("data", {}).get("text/plain", "")
                assert "Warning" not in plain, (path, plain)
    printed = "".join(text)
    assert "Warning" not in printed, path
    where = printed.rsplit("imported from ", 1)[1].strip()
    return printed, kinds, where


def number(pattern: str, text: str) -> list[float]:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return [float(g) for g in m.groups()]


NUM = r"(-?[\d.]+(?:e[-+]?\d+)?)"


@pytest.mark.slow  # the wheel, the venv and five notebooks: about a minute on 2 cores
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p)[:3] for p in NOTEBOOKS])
def test_notebook_runs_anywhere_and_shows_the_books_numbers(path, venv_kernel, monkeypatch,
                                                              tmp_path):
    text, kinds, where = run(path, venv_kernel, monkeypatch, tmp_path)
    assert where.startswith(str(venv_kernel[1] / "venv")), where  # the wheel, not the checkout
    chapter = int(os.path.basename(path)[2])
    assert "image/png" in kinds or "image/svg+xml" in kinds  # graphs and plots inline
    if chapter == 1:  # Example 1 fires for (1, 0) and (1, 1); the demons judge 62 of 64
        from tinygrad_edu.book.ch1_demons import why_biases_matter

        assert "fires for [(1, 0), (1, 1)]" in text
        assert "θ = 1: fires for 3 of 4" in text and "θ = 9: fires for 0 of 4" in text
        assert "σ(0) = 0.5, σ'(0) = 0.25" in text
        assert "Hard-Tanh clip(z, -1, 1) = -0.5, the slip max(min(z, 1), 0) = 0.0" in text
        assert text.count("total: 47 parameters") == 1  # summary shows once
        (gap,) = number(rf"and one linear layer: {NUM}", text)
        assert gap < 1e-12  # without a nonlinear activation the network is linear
        for name, report in why_biases_matter().items():  # the 64 images judged
            assert f"{name}: C_T = {report.C_T:.6f}, {report.correct}/64" in text
        (C,) = number(rf"C = ½\(\(t1 − a1\)² \+ \(t2 − a2\)²\) = {NUM}", text)
        from tinygrad_edu.book.ch1_demons import demon_params
        from tinygrad_edu.book.network import demon_network
        from tinygrad_edu.datasets import book_digits_4x3

        X, T = book_digits_4x3(one_hot=True)
        a = [out.data for out in demon_network("scalar", demon_params())(X[0].tolist())]
        assert C == pytest.approx(0.5 * sum((t - ak) ** 2 for t, ak in zip(T[0], a)), rel=1e-2)
        assert "image/svg+xml" in kinds and "image/png" in kinds
    elif chapter == 2:  # (x, y) = 0.8^s (3, 2)
        x, y = number(rf"after 30 steps: x = {NUM}, y = {NUM}", text)
        assert x == pytest.approx(0.8 ** 30 * 3, rel=1e-12)
        assert y == pytest.approx(0.8 ** 30 * 2, rel=1e-12)
        assert "    1   2.40000   1.60000    8.32000" in text
    elif chapter == 3:
        (C_T,) = number(rf"C_T at the §3-5 start = {NUM}, 42/64", text)
        assert C_T == pytest.approx(18.34709352053345, rel=1e-13)
        assert "after training: 64/64 images right" in text
        assert "C_T = 1.0452109503695356e-07, 64/64" in text
    elif chapter == 4:
        one, fifty = number(rf"{NUM} after 1 step, {NUM} after 50", text)
        assert one == pytest.approx(14.427276998361448, rel=1e-12)
        assert fifty == pytest.approx(0.23673529144259237, rel=1e-10)
        for diff in re.findall(r"largest difference (\S+)", text):
            assert float(diff) < 1e-9
        (d2A,) = number(rf"δ arrives at z2\[A\]: {NUM}", text)
        assert d2A == pytest.approx(-0.0002388819, abs=1e-10)
        assert "<BackwardPlayer: 11 steps at the neuron level" in text
        assert "text/html" in kinds  # the player, inline
    else:
        (C_T,) = number(rf"C_T at the §5-4 start = {NUM}, 91/96", text)
        assert C_T == pytest.approx(12.544462370300653, rel=1e-14)
        (by_hand,) = number(rf"by the δ module \(numpy by hand\): {NUM}", text)
        assert by_hand == 12.544462370300653
        one, fifty = number(rf"{NUM} after 1 step, {NUM} after 50", text)
        assert one == pytest.approx(10.846287263653807, rel=1e-12)
        assert fifty == pytest.approx(0.4948883675782767, rel=1e-10)
        assert "after 50 steps: 96/96 right" in text and "text/html" in kinds


# ----------------------------------------------------------------------------------------------
# the library in a notebook
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pictures_leave_the_users_matplotlib_backend_alone(tmp_path):
    pytest.importorskip("matplotlib")
    script = textwrap.dedent(f"""
        import sys, types
        import numpy as np
        import matplotlib
        matplotlib.use("svg")          # the user's choice (a notebook's would be "inline")
        from tinygrad_edu.book import ch5_pictures, pictures
        from tinygrad_edu.book.ch5_cnn import BookCNN
        from tinygrad_edu.datasets import book_digits_6x6
        from tinygrad_edu.examples import digits
        X, T = book_digits_6x6(one_hot=True)
        out = {str(tmp_path)!r}
        paths = ch5_pictures.save_pictures(BookCNN.from_init("book-5-4"), out, X[0], "1", X[1], 1)
        paths.append(pictures.plot_activations(out + "/activations.png"))
        data = types.SimpleNamespace(X_test=np.zeros((3, 1, 8, 8)), y_test=np.array([1, 2, 3]))
        paths.append(digits.draw_misclassified(data, np.array([1, 5, 3]), out + "/wrong.png"))
        print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, len(paths))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "False", "5"]
    assert sorted(os.listdir(tmp_path)) == ["activations.png", "feature_maps_1.png",
                                            "filters.png", "test_image.png", "wrong.png"]
    for name in os.listdir(tmp_path):  # whole PNG files, written atomically
        assert open(tmp_path / name, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_no_module_switches_the_backend_and_bars_are_tqdm():
    sources = glob.glob(os.path.join(ROOT, "tinygrad_edu", "**", "*.py"), recursive=True)
    bars = 0
    for path in sources:
        code = open(path, encoding="utf-8").read()
        assert "matplotlib.use(" not in code and "import matplotlib.pyplot" not in code, path
        assert not re.search(r"^\s*(from tqdm import|import tqdm\b)", code, re.M), path
        bars += code.count("from tqdm.auto import tqdm")
    # the bars show as widgets in a notebook: the training loop's (book.network.train, cnn,
    # digits: all run training.fit) and the demon command's
    fit_source = open(os.path.join(ROOT, "tinygrad_edu", "training.py"), encoding="utf-8").read()
    assert "from tqdm.auto import tqdm" in fit_source and bars >= 2


def test_fit_imports_tqdm_auto_only_for_a_bar_that_ipywidgets_can_draw():
    """tqdm.auto without ipywidgets prints a TqdmWarning into a notebook: fit without a bar
    leaves it alone, and a bar without ipywidgets is plain tqdm, with no warning either way."""
    script = textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("error")
        sys.modules["ipywidgets"] = None  # not installed
        from tinygrad_edu import Value
        from tinygrad_edu.optim import SGD
        from tinygrad_edu.training import fit, progress_bar
        w = Value(3.0, requires_grad=True)
        costs = fit(lambda s: w * w, SGD([w], lr=0.25), 2)
        print(costs, "tqdm.auto" in sys.modules)
        with progress_bar(2, "training", True) as bar:
            bar.update(2)
        print(type(bar).__module__, "tqdm.auto" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[9.0, 2.25] False", "tqdm.std False"]
    assert "Warning" not in done.stderr
