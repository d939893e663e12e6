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
    assert [(r.x1, r.x2, r.z, r.y) for r in rows] == [
        (0, 0, -4.0, 0), (0, 1, -1.0, 0), (1, 0, 1.0, 1), (1, 1, 4.0, 1)]
    assert "y = u(z)" in ch1_neuron.format_table(rows)
    # θ = 9 makes it an AND of nothing: it never fires; θ = 0 always fires (u(0) = 1).
    assert [r.y for r in ch1_neuron.example1_table(theta=9)] == [0, 0, 0, 0]
    assert [r.y for r in ch1_neuron.example1_table(theta=0)] == [1, 1, 1, 1]


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_set_demons_classify_all_64(engine):
    report = ch1_demons.classify_all(engine=engine)
    assert report.correct == 64
    assert report.C_T == pytest.approx(1.0639827283844812, rel=1e-12)
    X, y = book_digits_4x3()
    np.testing.assert_array_equal(report.predicted, y)
    first_zero = report.hidden[0]  # image No.1: a clean "0", A and C excited, B calm
    assert first_zero[0] > 0.99 and first_zero[2] > 0.99 and first_zero[1] < 0.01


def test_without_biases_the_demons_cannot_tell():
    reports = ch1_demons.why_biases_matter("tensor")
    assert reports["with biases"].correct == 64
    without = reports["without biases"]
    assert without.correct == 32 and np.all(without.predicted == 0)
    assert without.C_T == pytest.approx(23.93182232177771, rel=1e-12)
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
