"""The command line, run in-process: options, JSON output, one-line errors, engines agree."""

import json

import numpy as np
import pytest

from tinygrad_edu.cli import COMMANDS, main


def run_json(tmp_path, *options):
    out = tmp_path / "run.json"
    assert main(["demon", "--quiet", "--json", str(out), *options]) == 0
    return json.loads(out.read_text())


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for name in COMMANDS:
        assert name in text
    assert main([]) == 0


@pytest.mark.parametrize("argv0, name", [("/venv/bin/tinygrad-edu", "tinygrad-edu"),
                                         ("/src/tinygrad_edu/__main__.py",
                                          "python -m tinygrad_edu")])
def test_help_names_the_program_as_it_was_started(argv0, name, capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", [argv0, "--help"])
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: {name} [-h]")


def test_demon_json_and_engines_agree_on_every_step(tmp_path, capsys):
    opts = ["--init", "random", "--seed", "3", "--lr", "0.5", "--steps", "5"]
    scalar = run_json(tmp_path, "--engine", "scalar", *opts)
    tensor = run_json(tmp_path, "--engine", "tensor", *opts)
    assert len(scalar["cost"]) == len(tensor["cost"]) == 6
    np.testing.assert_allclose(scalar["cost"], tensor["cost"], rtol=0, atol=1e-9)
    assert scalar["cost"][-1] < scalar["cost"][0]
    assert set(scalar["params"]) == {"layers.0.weight", "layers.0.bias", "layers.1.weight",
                                     "layers.1.bias"}
    assert np.shape(scalar["params"]["layers.0.weight"]) == (3, 12)
    np.testing.assert_allclose(scalar["params"]["layers.0.weight"],
                               tensor["params"]["layers.0.weight"], atol=1e-12)
    out = capsys.readouterr().out
    assert "hidden unit A" in out and "legend" in out and "images correct" in out


def test_demon_book_4_4_start_gives_the_books_descent(tmp_path):
    result = run_json(tmp_path, "--engine", "tensor", "--init", "book-4-4", "--lr", "0.2",
                      "--steps", "50")
    assert result["cost"][0] == pytest.approx(20.254494686138486, rel=1e-13)
    assert result["cost"][1] == pytest.approx(14.427276998361448, rel=1e-13)
    assert result["cost"][50] == pytest.approx(0.23673529144259237, rel=1e-12)
    assert result["accuracy"] == 1.0


def test_demon_steps_0_evaluates_the_solver_optimum(tmp_path, capsys):
    result = run_json(tmp_path, "--engine", "scalar", "--init", "book-3-5-solved", "--steps", "0")
    assert result["cost"] == [pytest.approx(1.0452109503695356e-07, rel=1e-9)]
    assert result["accuracy"] == 1.0
    assert "no training" in capsys.readouterr().out


def test_demon_defaults_reach_64_of_64_on_the_tensor_engine(tmp_path):
    result = run_json(tmp_path, "--engine", "tensor")
    assert result["accuracy"] == 1.0 and len(result["cost"]) == 31
    assert result["cost"][-1] < 0.11


@pytest.mark.slow
def test_demon_writes_pictures_or_says_it_skipped(tmp_path, capsys):
    folder = tmp_path / "pics"
    assert main(["demon", "--quiet", "--engine", "tensor", "--steps", "3", "--out",
                 str(folder)]) == 0
    out = capsys.readouterr().out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "pictures skipped" in out
    else:
        assert (folder / "cost.png").read_bytes()[:4] == b"\x89PNG"
        assert (folder / "hidden_weights.png").stat().st_size > 1000


@pytest.mark.parametrize("options, fragment", [
    (["--engine", "gpu"], "invalid choice"),
    (["--init", "zeros"], "neither one of book-3-5"),
    (["--format", "png"], "--format chooses the formats of --render"),
    (["--image", "0"], "numbered 1 to 64"),
    (["--lr", "-1"], "positive"),
    (["--lr", "abc"], "expected a number"),
    (["--steps", "-3"], "0 or more"),
    (["--seed", "x"], "whole number"),
    (["--bogus"], "unrecognized"),
    (["--json", "/no/such/folder/x.json"], "does not exist"),
])
def test_bad_options_give_one_line_errors(options, fragment, capsys):
    assert main(["demon", "--quiet", *options]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and fragment in lines[0]
    assert "Traceback" not in captured.err


def test_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert main(["demon", "--quiet", "--steps", "0", "--out", str(f)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_without_matplotlib_the_command_line_says_what_it_skipped(tmp_path, capsys,
                                                                     monkeypatch):
    import sys

    from tinygrad_edu.book import pictures

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert not pictures.have_matplotlib()
    with pytest.raises(pictures.MatplotlibMissing, match="pip install matplotlib"):
        pictures.plot_cost_curve([2.0, 1.0], tmp_path / "c.png")
    assert main(["demon", "--quiet", "--engine", "tensor", "--steps", "2", "--out",
                 str(tmp_path / "pics")]) == 0
    assert "pictures skipped: matplotlib is not installed" in capsys.readouterr().out
    assert not (tmp_path / "pics").exists()


def test_demon_hand_set_demons_run_evaluate_and_draw(tmp_path, capsys):
    """§1-5/§1-6: --init demons evaluates the hand-set network (no training unless asked)."""
    result = run_json(tmp_path, "--init", "demons", "--render", str(tmp_path / "draw"),
                      "--format", "gv", "--image", "33")
    assert result["cost"] == [pytest.approx(2.2578111797218474, rel=1e-12)]
    assert result["accuracy"] == 62 / 64 and result["steps"] == 0  # No.63, No.64 judged wrong
    out = capsys.readouterr().out
    assert "start: the hand-set demons" in out and "62/64 images correct" in out
    # the output units' weights are in the report: 0 likes A and C, 1 likes B
    assert "output unit |  from A  from B  from C |    bias" in out
    assert "          0 |  +10.00   -5.00  +10.00 |  -10.00" in out
    drawn = sorted(p.name for p in (tmp_path / "draw").iterdir())
    assert drawn == ["demon_graph_scalar_image33.gv", "demon_graph_tensor_batch.gv",
                     "demon_network.gv"]
    network = (tmp_path / "draw" / "demon_network.gv").read_text(encoding="utf-8")
    assert "the hand-set demons; activations for image No.33" in network
    assert "learned" not in network and "after training" not in network


@pytest.mark.slow
def test_demon_hand_set_pictures_say_hand_set(tmp_path):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "pics"
    assert main(["demon", "--quiet", "--init", "demons", "--out", str(folder)]) == 0
    assert (folder / "hidden_weights.png").read_bytes()[:4] == b"\x89PNG"
    assert not (folder / "cost.png").exists()  # nothing was trained


@pytest.mark.parametrize("writer", ["json", "npz"])
def test_demon_init_from_a_file_of_weights(tmp_path, capsys, writer):
    """Weights written by --json (or nn.save) start the next run: set them by hand, run, draw."""
    from tinygrad_edu import nn
    from tinygrad_edu.book.ch1_demons import demon_params
    from tinygrad_edu.book.network import demon_network

    params = demon_params()
    params["W2"][0, 0] = -2.5  # a learner's own change: A now dislikes pixel 1
    model = demon_network("tensor", params)
    if writer == "json":
        path = tmp_path / "mine.json"
        path.write_text(json.dumps({"params": {k: v.tolist() for k, v in
                                               model.state_dict().items()}}))
    else:
        path = tmp_path / "mine.npz"
        nn.save(model, path)
    result = run_json(tmp_path, "--init", str(path), "--engine", "scalar")
    X, T = __import__("tinygrad_edu.datasets", fromlist=["x"]).book_digits_4x3(one_hot=True)
    a = model.predict(X)
    assert result["cost"] == [pytest.approx(0.5 * np.sum((T - a) ** 2), rel=1e-12)]
    assert result["params"]["layers.0.weight"][0][0] == -2.5
    assert f"start: the weights in {path}" in capsys.readouterr().out
    # and a run's own --json output can start the next run, which then trains on
    again = run_json(tmp_path, "--init", str(tmp_path / "run.json"), "--steps", "2")
    assert again["cost"][0] == pytest.approx(result["cost"][0], rel=1e-12)
    assert len(again["cost"]) == 3 and again["cost"][2] < again["cost"][0]


@pytest.mark.parametrize("content, fragment", [
    (b'{"cost": [1.0]}', 'no "params"'),
    (b'{"params": {"layers.0.weight": [[1, 2]]}}', "missing"),
    (b"not an npz file", "not a numpy .npz file"),
    (b"{broken json", "cannot load weights"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),  # no RecursionError traceback
    (b'{"params": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    (b"[1, 2, 3]", "not a weights file: its JSON is a list"),
    (b'{"params": [1, 2]}', 'no "params" object'),
    (b'{"params": {"layers.0.weight": "abc"}}', "not plain numbers: layers.0.weight"),
    (b'{"params": {"W2": [[1e999]]}}', "mis-shaped: layers.0.weight"),
])
def test_demon_init_from_a_bad_file_is_one_line(tmp_path, capsys, content, fragment):
    path = tmp_path / "weights.bin"
    path.write_bytes(content)
    assert main(["demon", "--quiet", "--init", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and str(path) in err[0]


def _demon_state(**changes):
    from tinygrad_edu.book.ch1_demons import demon_params
    from tinygrad_edu.book.network import demon_network

    state = demon_network("tensor", demon_params()).state_dict()
    for name, (index, value) in changes.items():
        state[name][index] = value
    return state


@pytest.mark.parametrize("writer", ["json", "json-null", "npz"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_demon_init_refuses_non_finite_weights_in_one_line(tmp_path, capsys, writer, bad):
    from tinygrad_edu.book.network import demon_network
    from tinygrad_edu.nn import save

    state = _demon_state(**{"layers.1.bias": (1, bad)})
    path = tmp_path / f"weights.{writer}"
    if writer == "npz":
        model = demon_network("tensor", "random")
        model.load_state_dict(state)
        save(model, path)
    else:
        params = {k: v.tolist() for k, v in state.items()}
        if writer == "json-null":
            params["layers.1.bias"][1] = None  # what --json writes for a NaN
        path.write_text(json.dumps({"params": params}))  # Python writes NaN/Infinity tokens
    assert main(["demon", "--quiet", "--init", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]
    assert "layers.1.bias hold NaN, infinite or null numbers" in err[0]


def test_demon_init_refuses_a_number_too_big_for_a_float(tmp_path, capsys):
    path = tmp_path / "big.json"
    params = {k: v.tolist() for k, v in _demon_state().items()}
    text = json.dumps({"params": params}).replace("[[", "[[" + "9" * 400 + ", ", 1)
    path.write_text(text)
    assert main(["demon", "--quiet", "--init", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot load weights" in err[0]


def _strict_json(text):
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_demon_json_is_strict_json_with_null_for_a_diverged_cost(tmp_path):
    """A run that diverges (η = 1e308) has inf/NaN costs and weights: written as null."""
    out = tmp_path / "run.json"
    assert main(["demon", "--quiet", "--engine", "tensor", "--init", "book-4-4", "--lr", "1e308",
                 "--steps", "3", "--json", str(out)]) == 0
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    record = _strict_json(text)
    assert record["cost"][0] == pytest.approx(20.254494686, rel=1e-9)  # the start is finite
    assert record["cost"][1:] == [None, None, None]  # then C_T is inf or NaN: null
    assert record["params"]["layers.0.weight"][0] == [None] * 12
    # such a record cannot start the next run: --init refuses its nulls
    assert main(["demon", "--quiet", "--init", str(out)]) == 2


def test_write_json_turns_every_non_finite_number_into_null(tmp_path):
    from tinygrad_edu.cli.options import write_json

    path = tmp_path / "r.json"
    write_json(str(path), {"a": [1.0, float("nan"), [float("inf"), np.float64("-inf")]],
                           "b": {"c": float("nan")}, "d": 2})
    assert _strict_json(path.read_text()) == {"a": [1.0, None, [None, None]], "b": {"c": None},
                                              "d": 2}
