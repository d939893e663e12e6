"""interop: our networks in PyTorch and PyTorch's in ours give the same outputs and the same
gradients of C_T on the book's data, to 1e-12 in float64 (skipped without torch, except the
message that says how to install it)."""

import inspect
import sys

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn
from tinygrad_edu.book.ch5_cnn import BookCNN
from tinygrad_edu.book.network import cost, demon_network
from tinygrad_edu.datasets import book_digits_4x3, book_digits_6x6
from tinygrad_edu.interop import TORCH_CPU_INSTALL, from_torch, to_torch

TOL = dict(rtol=1e-12, atol=1e-12)


def test_a_missing_torch_is_named_with_the_cpu_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    for convert in (to_torch, from_torch):
        with pytest.raises(ImportError, match="needs PyTorch") as info:
            convert(nn.Linear(2, 1))
        assert TORCH_CPU_INSTALL in str(info.value) and "/whl/cpu" in TORCH_CPU_INSTALL


torch = pytest.importorskip("torch")


def ours_grads(net):
    """∂C_T/∂p of the MLP's weight matrices and bias vectors, in state_dict order (on the scalar
    engine gathered from the neurons' Values)."""
    if net.engine == "tensor":
        return [p.grad for p in net.parameters()]
    return [g for layer in net.layers for g in (
        np.array([[w.grad for w in n.w] for n in layer.neurons]),
        np.array([n.b.grad for n in layer.neurons]))]


def torch_cost_and_grads(tmodel, X, T):
    x = torch.tensor(X)
    a = tmodel(x)
    C_T = 0.5 * ((torch.tensor(T) - a) ** 2).sum()
    C_T.backward()
    return a.detach().numpy(), C_T.item(), [p.grad.numpy() for p in tmodel.parameters()]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, **TOL)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("init", ["book-4-4", "book-3-5-solved"])
def test_the_demon_network_in_torch(engine, init):
    X, T = book_digits_4x3(one_hot=True)
    net = demon_network(engine, init=init)
    tnet = to_torch(net)
    assert [type(m).__name__ for m in tnet] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    assert all(p.dtype == torch.float64 for p in tnet.parameters())
    a, C_T, grads = torch_cost_and_grads(tnet, X, T)
    np.testing.assert_allclose(a, net.predict(X), **TOL)
    ours = cost(net, X, T)
    ours.backward()
    assert float(ours.data) == pytest.approx(C_T, rel=1e-12)
    assert_same(ours_grads(net), grads)
    # the torch state_dict holds the same numbers as ours, under torch's names
    mine = list(net.state_dict().values())
    assert_same(mine, [v.numpy() for v in tnet.state_dict().values()])


def test_the_books_cnn_in_torch():
    X, T = book_digits_6x6(one_hot=True)
    net = BookCNN.from_init("book-5-4")
    tnet = to_torch(net)
    assert [type(m).__name__ for m in tnet] == ["Conv2d", "Sigmoid", "MaxPool2d", "Flatten",
                                                "Linear", "Sigmoid"]
    a, C_T, (gF, gbF, gWo, gbo) = torch_cost_and_grads(tnet, X.reshape(-1, 1, 6, 6), T)
    np.testing.assert_allclose(a, net(X).data, **TOL)
    ours_C_T, grads = net.gradients(X, T)
    assert ours_C_T == pytest.approx(C_T, rel=1e-12)
    assert ours_C_T == pytest.approx(12.544462, abs=1e-6)  # the book's §5-4 start
    assert_same([grads["F"], grads["bF"], grads["Wo"], grads["bo"]],
                [gF.reshape(3, 3, 3), gbF, gWo.reshape(3, 3, 2, 2), gbo])


def cnn(seed=0):
    """A CNN of every convertible kind of layer, with seeded weights, on 6x6 images."""
    rng = np.random.default_rng(seed)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, activation="relu", seed=seed),
                        nn.MaxPool2d(2), nn.Conv2d(4, 2, 2, stride=(1, 2), seed=seed + 1),
                        nn.Tanh(), nn.Flatten(), nn.Linear(4, 5, "leaky_relu"),
                        nn.Linear(5, 3), nn.Hardtanh(), nn.Linear(3, 3, "sigmoid"))
    net.load_state_dict({k: rng.standard_normal(v.shape) for k, v in net.state_dict().items()})
    return net


def test_every_layer_kind_to_torch_and_back():
    X, T = book_digits_6x6(one_hot=True)
    X = X.reshape(-1, 1, 6, 6)
    net = cnn()
    tnet = to_torch(net)
    a, C_T, grads = torch_cost_and_grads(tnet, X, T)
    x = Tensor(X)
    out = net(x)
    np.testing.assert_allclose(out.data, a, **TOL)
    (0.5 * ((Tensor(T) - out) ** 2).sum()).backward()
    assert_same([p.grad for p in net.parameters()], grads)
    back = from_torch(tnet)
    assert [type(m).__name__ for m in back.layers] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "Tanh", "Flatten", "Linear", "LeakyReLU",
        "Linear", "Hardtanh", "Linear", "Sigmoid"]
    assert_same(list(back.state_dict().values()), list(net.state_dict().values()))
    np.testing.assert_allclose(back(X).data, out.data, **TOL)


def test_a_single_layer_converts_to_its_torch_layer():
    layer = nn.Linear(3, 2)
    layer.load_state_dict({"weight": np.arange(6.0).reshape(2, 3), "bias": np.array([1.0, -1.0])})
    t = to_torch(layer)
    assert type(t) is torch.nn.Linear and t.weight.dtype == torch.float64
    np.testing.assert_array_equal(t.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert type(to_torch(nn.Conv2d(1, 2, 3))) is torch.nn.Conv2d
    assert type(to_torch(nn.MaxPool2d(2))) is torch.nn.MaxPool2d
    assert type(to_torch(nn.Sigmoid())) is torch.nn.Sigmoid
    pair = to_torch(nn.Linear(3, 2, "tanh"))
    assert [type(m) for m in pair] == [torch.nn.Linear, torch.nn.Tanh]


def test_a_torch_network_in_ours():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, bias=False), torch.nn.Sigmoid(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Sequential(torch.nn.Linear(12, 6), torch.nn.ReLU()),  # nested
        torch.nn.Linear(6, 3), torch.nn.Sigmoid()).double()
    X, T = book_digits_6x6(one_hot=True)
    X = X.reshape(-1, 1, 6, 6)
    a, C_T, grads = torch_cost_and_grads(tnet, X, T)
    net = from_torch(tnet)
    assert net.layers[0].bias is None and isinstance(net.layers[4], nn.Sequential)
    out = net(X)
    np.testing.assert_allclose(out.data, a, **TOL)
    (0.5 * ((Tensor(T) - out) ** 2).sum()).backward()
    assert_same([p.grad for p in net.parameters()], grads)


def test_a_linear_layer_without_bias_both_ways():
    if inspect.signature(nn.Linear).parameters.get("bias") is None or \
            inspect.signature(nn.Linear).parameters["bias"].default is not True:
        pytest.skip("nn.Linear has no bias=False yet")
    t = torch.nn.Linear(4, 2, bias=False).double()
    ours = from_torch(t)
    assert ours.bias is None and list(ours.state_dict()) == ["weight"]
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(ours(x).data, t(torch.tensor(x)).detach().numpy(), **TOL)
    back = to_torch(ours)
    assert back.bias is None
    np.testing.assert_array_equal(back.weight.detach().numpy(), t.weight.detach().numpy())


@pytest.mark.parametrize("module, named", [
    (lambda: torch.nn.BatchNorm1d(3), "BatchNorm1d at BatchNorm1d"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()),
     "Dropout at Sequential.1"),
    (lambda: torch.nn.Conv2d(1, 1, 3, dilation=2), "dilation=(2, 2)"),
    (lambda: torch.nn.Conv2d(1, 1, 3, padding="same"), "padding='same'"),
    (lambda: torch.nn.MaxPool2d(2, ceil_mode=True), "ceil_mode=True"),
    (lambda: torch.nn.Flatten(0), "start_dim=0"),
    (lambda: type("MyLinear", (torch.nn.Linear,), {})(2, 2), "MyLinear"),
])
def test_from_torch_refuses_what_it_cannot_convert_naming_it(module, named):
    with pytest.raises((TypeError, ValueError)) as info:
        from_torch(module())
    assert named in str(info.value)
    with pytest.raises(ValueError, match="negative_slope"):
        from_torch(torch.nn.LeakyReLU(0.2))


def test_to_torch_refuses_what_it_cannot_convert_naming_it():
    with pytest.raises(TypeError, match="'step' at Sequential.0"):
        to_torch(nn.Sequential(nn.Linear(2, 2, "step")))
    with pytest.raises(TypeError, match="Neuron at Neuron"):
        to_torch(nn.Neuron(2))
    with pytest.raises(TypeError, match="needs a torch.nn.Module"):
        from_torch(nn.Linear(2, 2))


# -- frozen parameters, torch's names, into= and dtype= ------------------------------------------
def test_requires_grad_goes_to_torch_and_comes_back():
    net = cnn()
    net[0].requires_grad_(False)
    net[6].bias.requires_grad = False
    tnet = to_torch(net)
    frozen = {"0.weight", "0.bias", "6.bias"}
    ours = net.state_requires_grad()
    assert {k for k, trained in ours.items() if not trained} == frozen
    # torch counts the layer activations ours hold inside a layer: our 6 is torch's 8
    named = dict(tnet.named_parameters())
    assert {k for k, p in named.items() if not p.requires_grad} == {"0.weight", "0.bias", "8.bias"}
    back = from_torch(tnet)
    assert sum(not trained for trained in back.state_requires_grad().values()) == 3
    assert back[0].weight.requires_grad is False and back[0].bias.requires_grad is False
    # torch side: a frozen layer trains not, a trainable one trains, on both sides alike
    X, T = book_digits_6x6(one_hot=True)
    (0.5 * ((torch.tensor(T) - tnet(torch.tensor(X.reshape(-1, 1, 6, 6)))) ** 2).sum()).backward()
    assert named["0.weight"].grad is None and named["3.weight"].grad is not None
    assert named["8.bias"].grad is None and named["8.weight"].grad is not None


def test_a_frozen_torch_parameter_stays_frozen_in_ours_and_back():
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 2))
    t[0].weight.requires_grad_(False)
    ours = from_torch(t)
    assert ours.state_requires_grad() == {"0.weight": False, "0.bias": True, "2.weight": True,
                                          "2.bias": True}
    assert list(ours.state_dict()) == list(t.state_dict())  # the frozen one kept, as torch keeps it
    np.testing.assert_array_equal(ours.state_dict()["0.weight"], t[0].weight.detach().numpy())
    again = to_torch(ours)
    assert [p.requires_grad for p in again.parameters()] == [False, True, True, True]


def test_sequential_names_parameters_as_torch_and_loads_its_state_dict():
    torch.manual_seed(1)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2),
                            torch.nn.Sigmoid()).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid())
    assert list(ours.state_dict()) == list(t.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in t.named_parameters()]
    ours.load_state_dict(t.state_dict())  # torch tensors, torch's names: loaded as they are
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(ours(x).data, t(torch.tensor(x)).detach().numpy(), **TOL)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_torch_weights_load_into_our_mlp(engine):
    X, T = book_digits_4x3(one_hot=True)
    torch.manual_seed(2)
    t = torch.nn.Sequential(torch.nn.Linear(12, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2),
                            torch.nn.Sigmoid()).double()
    t[2].bias.requires_grad_(False)
    net = demon_network(engine, init="random", seed=4)
    assert from_torch(t, into=net) is net
    np.testing.assert_allclose(net.predict(X), t(torch.tensor(X)).detach().numpy(), **TOL)
    assert net.state_requires_grad()["layers.1.bias"] is False
    assert net.state_requires_grad()["layers.1.weight"] is True
    # what to_torch makes of an MLP comes back into an MLP too
    other = demon_network(engine, init="random", seed=9)
    from_torch(to_torch(net), into=other)
    np.testing.assert_allclose(other.predict(X), net.predict(X), **TOL)


def test_torch_weights_load_into_the_books_cnn():
    X, T = book_digits_6x6(one_hot=True)
    solved = BookCNN.from_init("book-5-4-solved")
    t = to_torch(solved)
    net = BookCNN.from_init("random", seed=3)
    from_torch(t, into=net)
    np.testing.assert_allclose(net(X).data, solved(X).data, **TOL)
    assert net.correct(X, T) == solved.correct(X, T)


def test_a_torch_module_of_other_layers_is_refused_into_a_model_unchanged():
    net = demon_network("tensor", init="book-4-4")
    before = net.state_dict()
    t = torch.nn.Sequential(torch.nn.Linear(12, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2),
                            torch.nn.Sigmoid()).double()
    with pytest.raises(TypeError, match=r"into=MLP.*ReLU.*does not have the layers of the MLP"):
        from_torch(t, into=net)
    for name, array in before.items():
        np.testing.assert_array_equal(net.state_dict()[name], array)


def test_to_torch_in_float32_runs_torchs_own_float32_input():
    X, T = book_digits_6x6(one_hot=True)
    net = BookCNN.from_init("book-5-4")
    t32 = to_torch(net, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in t32.parameters())
    x = torch.tensor(X.reshape(-1, 1, 6, 6), dtype=torch.float32)  # torch's default dtype
    out = t32(x)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.detach().numpy(), net(X).data, rtol=0, atol=1e-6)
    with pytest.raises(RuntimeError):  # the float64 default needs float64 input, as torch says
        to_torch(net)(x)
    with pytest.raises(TypeError, match="floating torch dtype"):
        to_torch(net, dtype=torch.int64)
    with pytest.raises(TypeError, match="floating torch dtype"):
        to_torch(net, dtype="int64")
    assert next(to_torch(net, dtype="float32").parameters()).dtype == torch.float32  # numpy's name
