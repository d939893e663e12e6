"""The notebooks, one per chapter (notebooks/): committed without outputs, each starts by
installing the package when it is missing, and each runs top to bottom and prints the book's
numbers.  And the library is notebook-friendly: no backend switched, tqdm.auto bars."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
nbformat = pytest.importorskip("nbformat")


def read(path: str):
    return nbformat.read(path, as_version=4)


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
        first = next(c for c in nb.cells if c.cell_type == "code").source
        assert "import tinygrad_edu" in first and "%pip install tinygrad_edu" in first, path
        assert first.index("try:") < first.index("except ImportError:") < first.index("%pip")


def run(path: str, monkeypatch, tmp_path) -> tuple[str, set[str]]:
    """Execute the notebook in a fresh kernel; (all text it printed, the mime types it showed)."""
    from nbclient import NotebookClient

    # the kernel imports this checkout (not whatever tinygrad_edu is installed)
    monkeypatch.setenv("PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = read(path)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text, kinds = [], set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (path, out.get("ename"), out.get("evalue"))
            if out.output_type == "stream":
                text.append(out.text)
            else:
                kinds.update(out.get("data", {}))
    return "".join(text), kinds


def number(pattern: str, text: str) -> list[float]:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return [float(g) for g in m.groups()]


NUM = r"(-?[\d.]+(?:e[-+]?\d+)?)"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p)[:3] for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_and_shows_the_books_numbers(path, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib", reason="the notebooks draw with matplotlib (the plot extra)")
    text, kinds = run(path, monkeypatch, tmp_path)
    chapter = int(os.path.basename(path)[2])
    assert "image/png" in kinds or "image/svg+xml" in kinds  # graphs and plots inline
    if chapter == 1:  # Example 1 fires for (1, 0) and (1, 1); the demons judge 62 of 64
        assert "fires for [(1, 0), (1, 1)]" in text
        assert "with biases: C_T = 2.257811, 62/64" in text
        assert "without biases: C_T = 21.907774, 32/64" in text
        assert "σ(0) = 0.5, σ'(0) = 0.25" in text
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


def test_no_module_switches_the_backend_and_bars_are_tqdm_auto():
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
