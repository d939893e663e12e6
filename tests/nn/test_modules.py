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
    scope = a.grad_fn.scope
    assert [(s.name, s.kind) for s in scope] == [
        ("MLP", "network"), ("layers.1", "layer"), ("layers.1.neurons.0", "neuron")]
    t = MLP([12, 3, 2], engine="tensor")
    with name_scope("outer"):
        out = t(np.ones((2, 12)))
    assert [s.kind for s in out.grad_fn.scope] == ["block", "network", "layer"]


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
    assert "missing: layers.1.bias" in msg and "extra: extra" in msg
    assert "mis-shaped: layers.0.weight (given (12, 3), expected (3, 12))" in msg
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


# -- Linear: start values, bias=False, against torch -------------------------------------------

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_T = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_linear_starts_at_seeded_uniform_values_in_pytorchs_range():
    a, b = Linear(3, 5, seed=0), Linear(3, 5, seed=0)
    bound = 1 / np.sqrt(3)
    for layer in (a, b):
        for p in (layer.weight.data, layer.bias.data):
            assert np.all(np.abs(p) <= bound) and np.unique(p).size == p.size
    np.testing.assert_array_equal(a.weight.data, b.weight.data)  # a seed of its own
    expected = np.random.default_rng(0).uniform(-bound, bound, (5, 3))
    np.testing.assert_array_equal(a.weight.data, expected)  # what the docstring promises
    assert "manual_seed" in Linear.__doc__ and "1/√n_inputs" in Linear.__doc__
    assert not np.array_equal(Linear(3, 5, seed=1).weight.data, a.weight.data)
    rng = np.random.default_rng(7)
    first, second = Linear(3, 3, rng=rng), Linear(3, 3, rng=rng)  # one generator, two draws
    assert not np.array_equal(first.weight.data, second.weight.data)
    wide = Linear(400, 2).weight.data
    assert np.abs(wide).max() <= 1 / 20 and np.abs(wide).max() > 0.9 / 20  # the range is used


def test_xor_trains_from_the_default_start():
    from tinygrad_edu.losses import mse
    from tinygrad_edu.nn import Sequential
    from tinygrad_edu.optim import SGD

    def train(net):
        opt = SGD(net.parameters(), lr=1.0)
        for _ in range(1000):
            opt.zero_grad()
            C = mse(net(Tensor(XOR_X)), XOR_T)
            C.backward()
            opt.step()
        return C.item(), net(Tensor(XOR_X)).data

    loss, out = train(Sequential(Linear(2, 4, "tanh"), Linear(4, 1, "sigmoid")))
    assert loss < 0.05 and np.array_equal(out.round(), XOR_T)
    # the old start, every weight 0: no unit can differ from another, stuck at 0.25
    zeros = Sequential(Linear(2, 4, "tanh", weight=np.zeros((4, 2)), bias_value=np.zeros(4)),
                       Linear(4, 1, "sigmoid", weight=np.zeros((1, 4)), bias_value=np.zeros(1)))
    assert train(zeros)[0] == pytest.approx(0.25, abs=1e-6)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_torch_linear_given_the_same_weights(bias):
    torch = pytest.importorskip("torch")
    ours = Linear(4, 3, bias=bias, seed=5)
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    x = np.random.default_rng(0).normal(size=(2, 5, 4))  # any leading dims, as torch
    xt = torch.tensor(x, requires_grad=True)
    xs = Tensor(x, requires_grad=True)
    w = np.random.default_rng(1).normal(size=(2, 5, 3))
    out = ours(xs)
    (out * w).sum().backward()
    (theirs(xt) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(out.data, theirs(xt).detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-13)
    if bias:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours(x[0, 0]).data, theirs(xt[0, 0]).detach().numpy(),
                               rtol=1e-13)  # one input vector (in,) -> (out,)


def test_linear_without_bias_works_end_to_end(tmp_path):
    from tinygrad_edu.nn import load, save
    from tinygrad_edu.viz import draw_graph

    layer = Linear(3, 2, "tanh", bias=False, weight=[[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    assert layer.bias is None and "bias=False" in repr(layer)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    x = np.array([[0.1, 0.2, 0.3]])
    out = layer(x)
    np.testing.assert_allclose(out.data, np.tanh(x @ layer.weight.data.T), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, (1 - out.data.T ** 2) * x, rtol=1e-14)
    path = tmp_path / "nobias.npz"
    save(layer, path)
    other = Linear(3, 2, "tanh", bias=False, seed=3)
    load(other, path)
    np.testing.assert_array_equal(other.weight.data, layer.weight.data)
    save(Linear(3, 2), tmp_path / "with_bias.npz")
    with pytest.raises(ValueError, match="extra: bias"):
        load(Linear(3, 2, bias=False), tmp_path / "with_bias.npz")
    source = draw_graph(out).source
    assert "W2" in source and "b2" not in source and "z2" in source


def test_linear_refuses_bad_arguments():
    with pytest.raises(TypeError, match="bias_value="):
        Linear(2, 3, bias=np.zeros(3))
    with pytest.raises(ValueError, match="bias=False"):
        Linear(2, 3, bias=False, bias_value=np.zeros(3))
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3\).*expected \(3, 2\)"):
        Linear(2, 3, weight=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\).*expected \(3,\)"):
        Linear(2, 3, bias_value=np.zeros(2))
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\), expected \(\.\.\., 2\)"):
        Linear(2, 3)(np.zeros((4, 5)))


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_mlp_output_activation_none_means_no_activation(engine):
    X, _ = book_digits_4x3()
    plain = MLP([12, 3, 2], activation="sigmoid", output_activation=None, engine=engine, seed=2)
    same = MLP([12, 3, 2], activation="sigmoid", output_activation="same", engine=engine, seed=2)
    default = MLP([12, 3, 2], activation="sigmoid", engine=engine, seed=2)
    assert plain.output_activation == "identity" and same.output_activation == "sigmoid"
    assert default.output_activation == "sigmoid"  # the book's networks: the hidden activation
    state = plain.state_dict()
    hidden = 1 / (1 + np.exp(-(X[:5] @ state["layers.0.weight"].T + state["layers.0.bias"])))
    z = hidden @ state["layers.1.weight"].T + state["layers.1.bias"]
    np.testing.assert_allclose(plain.predict(X[:5]), z, rtol=1e-13)
    np.testing.assert_allclose(same.predict(X[:5]), 1 / (1 + np.exp(-z)), rtol=1e-13)
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([12, 3, 2], output_activation="none")
