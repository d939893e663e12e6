"""Start values from one generator: `tinygrad_edu.manual_seed(s)` seeds every layer's draw."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.random import generator


def weights(*layers):
    return [p.data.copy() for layer in layers for p in layer.parameters()]


@pytest.mark.parametrize("make", [lambda: nn.Linear(4, 4), lambda: nn.Conv2d(2, 3, 3)],
                         ids=["Linear", "Conv2d"])
def test_two_layers_start_differently_and_a_seeded_run_repeats(make):
    tg.manual_seed(5)
    a, b = make(), make()
    assert not np.array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.bias.data, b.bias.data)
    tg.manual_seed(5)
    again_a, again_b = make(), make()
    for x, y in zip(weights(a, b), weights(again_a, again_b)):
        np.testing.assert_array_equal(x, y)
    tg.manual_seed(6)
    assert not np.array_equal(make().weight.data, a.weight.data)


def test_the_draw_is_pytorchs_range_from_the_one_generator():
    tg.manual_seed(11)
    layer = nn.Linear(3, 5)
    bound = 1 / np.sqrt(3)
    expected = np.random.default_rng(11)
    np.testing.assert_array_equal(layer.weight.data, expected.uniform(-bound, bound, (5, 3)))
    np.testing.assert_array_equal(layer.bias.data, expected.uniform(-bound, bound, 5))
    conv = nn.Conv2d(1, 2, 2)  # the next numbers of the same stream
    bound = 1 / np.sqrt(4)
    np.testing.assert_array_equal(conv.weight.data, expected.uniform(-bound, bound, (2, 1, 2, 2)))


def test_a_seed_or_rng_of_its_own_and_given_weights_leave_the_stream_alone():
    tg.manual_seed(3)
    first = nn.Linear(4, 4).weight.data
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 4, seed=0).weight.data,
                                  nn.Linear(4, 4, seed=0).weight.data)  # own seed: same start
    nn.Conv2d(1, 1, 2, rng=np.random.default_rng(1))
    nn.Linear(2, 2, weight=np.eye(2), bias_value=np.zeros(2))  # the book's way: set by hand
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.data, first)


def test_a_sequential_of_seeded_layers_repeats_its_outputs():
    x = np.random.default_rng(0).standard_normal((2, 3))

    def run():
        tg.manual_seed(42)
        net = nn.Sequential(nn.Linear(3, 4, "tanh"), nn.Linear(4, 2))
        return net(x).data

    np.testing.assert_array_equal(run(), run())


def test_manual_seed_is_public_returns_the_generator_and_refuses_non_integers():
    assert "manual_seed" in tg.__all__
    assert tg.manual_seed(1) is generator()
    for bad in (1.5, "1", -1, True, None):
        with pytest.raises(TypeError, match="whole number >= 0"):
            tg.manual_seed(bad)


def test_against_torch_two_layers_differ_there_too():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t1, t2 = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)
    tg.manual_seed(0)
    o1, o2 = nn.Linear(4, 4), nn.Linear(4, 4)
    assert not torch.equal(t1.weight, t2.weight)  # torch's behaviour ...
    assert not np.array_equal(o1.weight.data, o2.weight.data)  # ... is ours
    bound = 1 / np.sqrt(4)  # and the same range
    for w in (t1.weight.detach().numpy(), o1.weight.data):
        assert np.all(np.abs(w) <= bound)
