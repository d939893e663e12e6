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
