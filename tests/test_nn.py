"""nn: modules, names, scopes, state_dict on both engines, seeded initialisation."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, name_scope
from tinygrad_edu.datasets import book_digits_4x3, book_nn_params
from tinygrad_edu.nn import MLP, Layer, Linear, Module, Neuron, Parameter

UNITS = [[str(j) for j in range(1, 13)], ["A", "B", "C"], ["0", "1"]]


def test_neuron_is_the_books_unit():
    n = Neuron(3, "sigmoid", weights=[0.5, -1.0, 2.0], bias=0.25)
    a = n([1.0, 2.0, 0.5])
    z = 0.5 * 1.0 - 1.0 * 2.0 + 2.0 * 0.5 + 0.25
    assert a.data == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-15)
    a.backward()
    s = 1 / (1 + np.exp(-z))
    assert [w.grad for w in n.w] == pytest.approx([s * (1 - s) * x for x in (1.0, 2.0, 0.5)])
    assert n.b.grad == pytest.approx(s * (1 - s))
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    with pytest.raises(ValueError, match="3 weights"):
        n([1.0, 2.0])


def test_mlp_structure_names_and_labels():
    m = MLP([12, 3, 2], engine="scalar", unit_names=UNITS)
    assert isinstance(m.layers[0], Layer) and isinstance(m.layers[0].neurons[0], Neuron)
    assert len(m.parameters()) == 47
    assert m.scope_name == "MLP" and m.layers[1].scope_name == "layers.1"
    assert m.layers[0].neurons[2].scope_name == "layers.0.neurons.2"
    a_neuron = m.layers[0].neurons[0]
    assert a_neuron.w[3].label == "w2[A,4]" and a_neuron.b.label == "b2[A]"
    assert m.layers[1].neurons[1].w[0].label == "w3[1,A]"
    t = MLP([12, 3, 2], engine="tensor")
    assert isinstance(t.layers[0], Linear) and isinstance(t.layers[0].weight, Parameter)
    assert [n for n, _ in t.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert sum(p.data.size for p in t.parameters()) == 47


def test_call_opens_nested_name_scopes():
    m = MLP([12, 3, 2], engine="scalar", unit_names=UNITS)
    a = m([1.0] * 12)[0]
    scope = a._ctx.scope
    assert [(s.name, s.kind) for s in scope] == [
        ("MLP", "network"), ("layers.1", "layer"), ("layers.1.neurons.0", "neuron")]
    t = MLP([12, 3, 2], engine="tensor")
    with name_scope("outer"):
        out = t(np.ones((2, 12)))
    assert [s.kind for s in out._ctx.scope] == ["block", "network", "layer"]


def test_same_seed_same_start_on_both_engines_and_same_outputs():
    X, _ = book_digits_4x3()
    s, t = MLP([12, 3, 2], engine="scalar", seed=3), MLP([12, 3, 2], engine="tensor", seed=3)
    for key, value in s.state_dict().items():
        np.testing.assert_array_equal(value, t.state_dict()[key])
    assert not np.array_equal(s.state_dict()["layers.0.weight"],
                              MLP([12, 3, 2], seed=4).state_dict()["layers.0.weight"])
    np.testing.assert_allclose(s.predict(X), t.predict(X), rtol=0, atol=1e-15)
    outs_s, outs_t = s.layer_outputs(X[5]), t.layer_outputs(X[5])
    assert [o.shape for o in outs_s] == [(12,), (3,), (2,)]
    for a, b in zip(outs_s, outs_t):
        np.testing.assert_allclose(a, b, atol=1e-15)


def test_state_dict_round_trip_between_engines():
    p = book_nn_params("3-5-solved")
    state = {"layers.0.weight": p["W2"], "layers.0.bias": p["b2"],
             "layers.1.weight": p["W3"], "layers.1.bias": p["b3"]}
    X, _ = book_digits_4x3()
    s, t = MLP([12, 3, 2], engine="scalar"), MLP([12, 3, 2], engine="tensor")
    s.load_state_dict(state)
    t.load_state_dict(s.state_dict())
    assert s.layers[0].neurons[1].w[4].data == p["W2"][1, 4]
    np.testing.assert_array_equal(t.layers[0].weight.data, p["W2"])
    np.testing.assert_allclose(s.predict(X), t.predict(X), atol=1e-15)
    copy = s.state_dict()
    copy["layers.0.bias"][0] = 99.0  # a copy: the network does not change
    assert s.layers[0].neurons[0].b.data == p["b2"][0]


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_load_state_dict_refuses_bad_entries_and_changes_nothing(engine):
    m = MLP([12, 3, 2], engine=engine)
    before = m.state_dict()
    bad = dict(before)
    del bad["layers.1.bias"]
    bad["layers.0.weight"] = np.zeros((12, 3))
    bad["extra"] = np.zeros(1)
    with pytest.raises(ValueError) as e:
        m.load_state_dict(bad)
    msg = str(e.value)
    assert "missing layers.1.bias" in msg and "unexpected extra" in msg
    assert "layers.0.weight (shape (12, 3), expected (3, 12))" in msg
    for key, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_zero_grad_and_parameters_on_both_engines():
    X, T = book_digits_4x3(one_hot=True)
    for engine in ["scalar", "tensor"]:
        m = MLP([12, 3, 2], engine=engine)
        out = m(X[:2]) if engine == "tensor" else m(X[0].tolist())[0]
        (out.sum() if engine == "tensor" else out).backward()
        assert any(np.any(np.asarray(p.grad if p.grad is not None else 0.0) != 0)
                   for p in m.parameters())
        m.zero_grad()
        assert all(p.grad is None or p.grad == 0.0 for p in m.parameters())


def test_custom_module_finds_parameters_in_attributes_and_lists():
    class Two(Module):
        def __init__(self):
            self.first = Linear(2, 2, "relu")
            self.rest = [Linear(2, 1)]
            self.scale = Value(2.0)

        def forward(self, x):
            return self.rest[0](self.first(x)) * 1.0

    m = Two()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "first.weight", "first.bias", "rest.0.weight", "rest.0.bias"]
    assert m.rest[0].scope_name == "rest.0"
    assert list(m.state_dict()) == [n for n, _ in m.named_parameters()]
    assert m.state_dict()["scale"].shape == ()
    out = m(Tensor([[1.0, 2.0]]))
    assert out.shape == (1, 1)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="engine"):
        MLP([12, 3, 2], engine="gpu")
    with pytest.raises(ValueError, match="activation"):
        MLP([12, 3, 2], activation="softplus")
    with pytest.raises(ValueError, match="unit_names"):
        MLP([12, 3, 2], unit_names=[["x"], ["A"], ["0"]])


def test_output_activation_and_other_activations_agree_across_engines():
    X, _ = book_digits_4x3()
    for act in ["tanh", "relu", "hard_sigmoid", "hard_tanh", "leaky_relu"]:
        s = MLP([12, 4, 2], activation=act, output_activation="identity", engine="scalar", seed=1)
        t = MLP([12, 4, 2], activation=act, output_activation="identity", engine="tensor", seed=1)
        np.testing.assert_allclose(s.predict(X[:8]), t.predict(X[:8]), atol=1e-14, err_msg=act)
