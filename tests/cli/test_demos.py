"""Every demo runs (quickly) and writes its pictures into the folder it is given."""

import importlib.util
import runpy
from pathlib import Path

import pytest

DEMOS = sorted((Path(__file__).resolve().parents[2] / "demos").glob("*.py"))
PICTURES = {
    "ch1_example1_neuron": ["firing.png", "activations.png"],
    "ch1_demons": ["demons.png", "training_images.png", "patterns.png", "bias_of_the_heart.png"],
    "ch2_gradient_descent": ["descent.png"],
    "ch3_solver_training": ["cost.png", "hidden_weights.png"],
    "ch4_backprop": ["cost.png"],
    "cnn_book": ["filters.png"],
    "digits": ["misclassified.png"],
    "graph_of_a_neuron": ["neuron_backward.gv", "neuron_backward.svg"],
    "newton_method": [],  # prints a table, writes nothing
    "watch_delta": [],  # prints each δ as it arrives, writes nothing
}
NEEDS = {"digits": "sklearn"}
SLOW = {"digits", "cnn_book", "ch1_example1_neuron", "ch1_demons", "ch3_solver_training",
        "ch4_backprop"}  # 0.3 s or more each


def test_every_demo_is_listed():
    assert {d.stem for d in DEMOS} == set(PICTURES)


@pytest.mark.parametrize("demo", [pytest.param(d, marks=pytest.mark.slow) if d.stem in SLOW
                                  else d for d in DEMOS], ids=lambda d: d.stem)
def test_demo_runs_and_writes_its_pictures(demo, tmp_path, capsys):
    if demo.stem in NEEDS:
        pytest.importorskip(NEEDS[demo.stem])
    if demo.stem == "graph_of_a_neuron":
        import shutil
        if shutil.which("dot") is None:
            pytest.skip("Graphviz's dot program is not installed")
    namespace = runpy.run_path(str(demo), run_name="demo")
    namespace["main"]([str(tmp_path), "--quick"])
    out = capsys.readouterr().out
    expected = PICTURES[demo.stem]
    if importlib.util.find_spec("matplotlib") is None:  # the PNGs need it; the rest does not
        if any(name.endswith(".png") for name in expected):
            assert "matplotlib" in out and "pip install" in out, out  # says how to get them
        expected = [name for name in expected if not name.endswith(".png")]
    for name in expected:
        data = (tmp_path / name).read_bytes()
        if name.endswith(".png"):
            assert data[:4] == b"\x89PNG", name
        else:
            assert b"digraph" in data or b"<svg" in data, name
