"""The book's worked examples, chapters 1 to 4, give the book's numbers on both engines."""

import numpy as np
import pytest

from tinygrad_edu.book import ch1_demons, ch1_neuron, ch2_gradient_descent, ch3_training
from tinygrad_edu.book import ch4_backprop
from tinygrad_edu.book.network import (book_to_state_dict, demon_network, evaluate,
                                       state_dict_to_book)
from tinygrad_edu.datasets import book_digits_4x3, book_nn_params

ENGINES = ["scalar", "tensor"]


def test_example1_mcculloch_pitts_table():
    rows = ch1_neuron.example1_table()
    # the sums w·x = 0, 3, 5, 8 compared with θ = 4: the neuron fires for (1, 0) and (1, 1)
    assert [(r.x1, r.x2, r.s, r.z, r.y) for r in rows] == [
        (0, 0, 0.0, -4.0, 0), (0, 1, 3.0, -1.0, 0), (1, 0, 5.0, 1.0, 1), (1, 1, 8.0, 4.0, 1)]
    text = ch1_neuron.format_table(rows)
    assert "compared with θ = 4" in text
    assert " 0  1 |             3 | 3 < 4: rests" in text
    assert " 1  0 |             5 | 5 ≥ 4: fires" in text
    # θ = 9 makes it an AND of nothing: it never fires; θ = 0 always fires (0 reaches 0).
    assert [r.y for r in ch1_neuron.example1_table(theta=9)] == [0, 0, 0, 0]
    assert [r.y for r in ch1_neuron.example1_table(theta=0)] == [1, 1, 1, 1]


def test_the_neuron_fires_when_the_sum_reaches_theta():
    """§1-2: by the book's definition the neuron fires when w·x reaches θ (w·x >= θ); some
    texts fire only above θ.  No input of Example 1 sums to 4, so only another θ tells them apart:
    with θ = 5 the input (1, 0) sums to exactly 5."""
    reaches = ch1_neuron.example1_table(theta=5.0)
    exceeds = ch1_neuron.example1_table(theta=5.0, rule="exceeds")
    assert [r.s for r in reaches] == [0.0, 3.0, 5.0, 8.0]
    assert [r.y for r in reaches] == [0, 0, 1, 1]
    assert [r.y for r in exceeds] == [0, 0, 0, 1]
    assert "5 ≤ 5: rests" in ch1_neuron.format_table(exceeds, theta=5.0, rule="exceeds")
    # away from the threshold the two rules agree
    assert [r.y for r in ch1_neuron.example1_table(rule="exceeds")] == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="rule"):
        ch1_neuron.example1_table(rule="above")


def test_the_book_numbers_pixels_row_by_row():
    """The data's columns p1..p12 are the book's pixels 1 2 3 / 4 5 6 / 7 8 9 / 10 11 12: every
    "1" (No.33-64) has a vertical stroke, every clean "0" (No.1) its left and right columns."""
    X, y = book_digits_4x3()
    np.testing.assert_array_equal(X[0].reshape(4, 3), [[1, 1, 1], [1, 0, 1], [1, 0, 1],
                                                        [1, 1, 1]])
    np.testing.assert_array_equal(X[32].reshape(4, 3), [[0, 1, 0]] * 4)  # No.33, a "1"
    # what the demons like: A the left stroke (4, 7), B the middle (5, 8), C the right (6, 9)
    patterns = ch1_demons.pattern_images()
    assert [tuple(np.flatnonzero(p) + 1) for p in patterns] == [(4, 7), (5, 8), (6, 9)]
    assert np.all(X[0][[3, 6, 5, 8]] == 1) and np.all(X[0][[4, 7]] == 0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_weak_links_leak_and_the_biases_suppress_them():
    """§1-6: no link is cut (0.5 for a pixel a demon does not like).  Reading the clean "0"
    No.1, B sees ten lit pixels through weak links: z = 5 without its bias, so B fires and
    output "1" with it; with b = -10, z = -5 and both stay calm."""
    p = ch1_demons.demon_params()
    assert np.count_nonzero(p["W2"] == 0.5) == 30 and np.count_nonzero(p["W2"] == 10) == 6
    r = ch1_demons.noise_study(level=0.0)
    assert r.zero["without biases"][1] == pytest.approx(sigmoid(5.0), rel=1e-12)     # 0.993
    assert r.zero["with biases"][1] == pytest.approx(sigmoid(-5.0), rel=1e-12)       # 0.0067
    # output "1" = σ(-5 a_A + 10 a_B - 5 a_C + b): the leak reaches it only without the biases
    a = [sigmoid(24.0), sigmoid(5.0), sigmoid(24.0)]       # A and C: 2 bonds and 8 weak links
    assert r.zero_output["without biases"][1] == pytest.approx(
        sigmoid(-5 * a[0] + 10 * a[1] - 5 * a[2]), rel=1e-12)
    assert 0.48 < r.zero_output["without biases"][1] < 0.49
    assert r.zero_output["with biases"][1] < 1e-6 and r.zero_output["with biases"][0] > 0.9999
    # a blank image: nothing leaks, σ(0) = 0.5 without the biases; with them neither output
    np.testing.assert_allclose(r.blank["without biases"], 0.5, rtol=0, atol=1e-15)
    assert r.correct == {"with biases": 62, "without biases": 32}


def test_bias_of_the_heart_ignores_small_noise():
    """A grey on top of the leaks: with b = -10 a faint grey on every white pixel leaves the
    hidden demons calm; without the biases it excites every one of them."""
    r = ch1_demons.noise_study(level=0.3, n=200, seed=0)
    assert np.all(r.blank["with biases"] < 0.01)
    assert np.all(r.blank["without biases"] > 0.85)
    # image No.1, a "0", with the same noise: A and C excited, B calmer only with its bias
    np.testing.assert_array_less([0.99, -1, 0.99], r.zero["with biases"])
    assert r.zero["with biases"][1] < 0.2 and r.zero["without biases"][1] > 0.99
    assert r.correct == {"with biases": 62, "without biases": 32}


def test_output_units_text():
    p = ch1_demons.demon_params()
    assert ch1_demons.output_units_text(p["W3"], p["b3"]).splitlines() == [
        "output unit |  from A  from B  from C |    bias",
        "          0 |  +10.00   -5.00  +10.00 |  -10.00",
        "          1 |   -5.00  +10.00   -5.00 |   -5.00"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_set_demons_judge_62_of_64_and_name_the_two_they_cannot(engine):
    report = ch1_demons.classify_all(engine=engine)
    assert report.correct == 62
    assert report.C_T == pytest.approx(2.2578111797218474, rel=1e-12)
    X, y = book_digits_4x3()
    wrong = tuple(int(n) + 1 for n in np.flatnonzero(report.predicted != y))
    assert wrong == ch1_demons.MISJUDGED == (63, 64)
    # No.63 and No.64: "1"s down a side column, read as one side stroke of a "0" (C, resp. A,
    # alone): output "0" half-excited, output "1" calm: wrong by a margin, not a tie
    for n, side in ((63, 2), (64, 0)):
        assert np.flatnonzero(report.hidden[n - 1] > 0.5).tolist() == [side]
        assert report.output[n - 1][0] == pytest.approx(0.5004, abs=1e-4)
        assert report.output[n - 1][1] < 1e-4
    # every other image is judged by a clear margin
    right = np.delete(np.arange(64), [62, 63])
    margin = np.abs(report.output[right, 0] - report.output[right, 1])
    assert margin.min() > 0.4
    first_zero = report.hidden[0]  # image No.1: a clean "0", A and C excited, B calm
    assert first_zero[0] > 0.99 and first_zero[2] > 0.99 and first_zero[1] < 0.01
    # a blank image excites neither output (output 1's bias is -5, not +5)
    blank = demon_network(engine, ch1_demons.demon_params()).predict(np.zeros(12))
    assert blank[0] < 1e-4 and blank[1] == pytest.approx(sigmoid(-5.0), rel=1e-6)


def test_without_biases_the_demons_cannot_tell():
    reports = ch1_demons.why_biases_matter("tensor")
    assert reports["with biases"].correct == 62
    without = reports["without biases"]
    assert without.correct == 32 and np.all(without.predicted == 0)
    assert without.C_T == pytest.approx(21.907773902798226, rel=1e-12)
    assert np.all(without.hidden >= 0.5)  # with b = 0 an empty image already half-excites


def test_gradient_descent_on_the_paraboloid():
    path = ch2_gradient_descent.descend_paraboloid((3.0, 2.0), 0.1, 30)
    assert len(path) == 31
    assert (path[0].dz_dx, path[0].dz_dy) == (6.0, 4.0)
    assert (path[1].x, path[1].y) == pytest.approx((2.4, 1.6), rel=1e-15)
    for p in path:
        assert p.x == pytest.approx(3 * 0.8 ** p.step, rel=1e-13)
        assert p.y == pytest.approx(2 * 0.8 ** p.step, rel=1e-13)
    assert path[-1].z == pytest.approx(13 * 0.64 ** 30, rel=1e-12)


def test_book_params_map_to_state_dict_names():
    p = book_nn_params("3-5-initial")
    state = book_to_state_dict(p)
    assert {k: v.shape for k, v in state.items()} == {
        "layers.0.weight": (3, 12), "layers.0.bias": (3,),
        "layers.1.weight": (2, 3), "layers.1.bias": (2,)}
    back = state_dict_to_book(demon_network("scalar", p).state_dict())
    for key in p:
        np.testing.assert_array_equal(back[key], p[key])


@pytest.mark.parametrize("engine", ENGINES)
def test_solver_start_and_optimum(engine):
    X, T = book_digits_4x3(one_hot=True)
    C_T, correct = evaluate(demon_network(engine, "book-3-5"), X, T)
    assert C_T == pytest.approx(18.34709352053345, rel=1e-12) and correct == 42
    C_T, correct = ch3_training.solver_optimum(engine)
    assert C_T == pytest.approx(1.0452109503695356e-07, rel=1e-9) and correct == 64


def test_training_from_the_solver_start_reaches_64():
    result = ch3_training.train_from_solver_start("tensor", lr=0.5, steps=60)
    assert result.costs[0] == pytest.approx(18.34709352053345, rel=1e-12)
    assert result.correct == 64
    assert result.costs[-1] < 0.2 and all(np.diff(result.costs[10:]) < 0)


def test_scalar_training_from_the_solver_start_follows_the_tensor_one():
    scalar = ch3_training.train_from_solver_start("scalar", lr=0.5, steps=3)
    tensor = ch3_training.train_from_solver_start("tensor", lr=0.5, steps=3)
    np.testing.assert_allclose(scalar.costs, tensor.costs, rtol=1e-12)


def test_the_test_image_is_a_zero():
    digit, a, judgement = ch3_training.classify_test_image()
    assert digit == judgement == 0
    assert a[0] > 0.99 and a[1] < 0.01


@pytest.mark.parametrize("engine", ENGINES)
def test_section_4_4_first_step(engine):
    costs = ch4_backprop.backprop_descent(engine, lr=0.2, steps=1)
    assert costs[0] == pytest.approx(20.254494686138486, rel=1e-13)
    assert costs[1] == pytest.approx(14.427276998361448, rel=1e-13)


def test_section_4_4_fifty_steps():
    costs = ch4_backprop.backprop_descent("tensor", lr=0.2, steps=50)
    assert len(costs) == 51
    assert costs[50] == pytest.approx(0.23673529144259237, rel=1e-12)
    from tinygrad_edu.book.delta import nn_gradient_descent
    X, T = book_digits_4x3(one_hot=True)
    by_hand, _ = nn_gradient_descent(book_nn_params("4-4-initial"), X, T, 0.2, 50)
    np.testing.assert_allclose(costs, by_hand, rtol=1e-12)


def test_gradients_four_ways_agree_to_1e_10():
    grads = ch4_backprop.gradients_four_ways()
    reference = grads["delta"]
    assert set(grads) == {"delta", "scalar", "tensor", "finite differences"}
    for way, g in grads.items():
        assert g.keys() == reference.keys()
        for key in reference:
            assert g[key].shape == reference[key].shape
            np.testing.assert_allclose(g[key], reference[key], rtol=0, atol=1e-10,
                                       err_msg=f"{way} {key}")
    # the gradient is not trivially small: the agreement means something
    assert max(np.abs(v).max() for v in reference.values()) > 1.0


def test_fitted_units_are_not_captioned_as_the_demons(monkeypatch, tmp_path):
    """§3-5: the units fitting finds are titled 1, 2, 3 with a line saying they need not match
    the demons A, B, C; the hand-set demons keep their names."""
    pytest.importorskip("matplotlib")
    from tinygrad_edu.book import pictures

    drawn = {}

    def keep(fig, path):
        drawn[str(path)] = fig
        return str(path)

    monkeypatch.setattr(pictures, "_save", keep)
    hand = ch1_demons.demon_params()
    fitted = book_nn_params("3-5-solved")
    pictures.plot_hidden_weights(fitted["W2"], tmp_path / "fit.png", fitted["b2"],
                                 (hand["W2"], hand["b2"]))
    pictures.plot_hidden_weights(hand["W2"], tmp_path / "hand.png", hand["b2"],
                                 caption="hand-set demon")
    titles = {name: [ax.get_title() for ax in fig.axes if ax.get_title()]
              for name, fig in drawn.items()}
    fit, own = titles[str(tmp_path / "fit.png")], titles[str(tmp_path / "hand.png")]
    assert [t.split("\n")[0] for t in fit] == [
        "fitted unit 1", "fitted unit 2", "fitted unit 3",
        "hand-set demon A", "hand-set demon B", "hand-set demon C"]
    assert [t.split("\n")[0] for t in own] == [
        "hand-set demon A", "hand-set demon B", "hand-set demon C"]
    note = drawn[str(tmp_path / "fit.png")]._suptitle.get_text()
    assert "fitted units need not match the demons" in note
    assert "need not" not in drawn[str(tmp_path / "hand.png")]._suptitle.get_text()
