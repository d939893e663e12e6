"""The PyTorch habits of nn: modules(), apply(), train()/eval(), forward hooks, activation and
loss modules, summary(); each compared with torch where it is installed."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, nn
from tinygrad_edu.book.network import demon_network
from tinygrad_edu.losses import mse, softmax_cross_entropy, squared_error


def cnn():
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.Sigmoid(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(12, 3, "sigmoid"))


def test_modules_named_modules_and_apply():
    net = cnn()
    assert [type(m).__name__ for m in net.modules()] == [
        "Sequential", "Conv2d", "Sigmoid", "MaxPool2d", "Flatten", "Linear"]
    assert [name for name, _ in net.named_modules()] == [
        "", "0", "1", "2", "3", "4"]  # torch's names
    scalar = demon_network("scalar")
    assert [name for name, _ in scalar.named_modules()][:3] == [
        "", "layers.0", "layers.0.neurons.0"]
    assert len(list(scalar.modules())) == 1 + 2 + 5
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Conv2d", "Sigmoid", "MaxPool2d", "Flatten", "Linear", "Sequential"]

    def zero_biases(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            m.bias.data[...] = 0.0
    net.apply(zero_biases)
    assert not net.layers[0].bias.data.any() and not net.layers[4].bias.data.any()


def test_modules_and_apply_visit_in_torchs_order():
    pytest.importorskip("torch")
    from tinygrad_edu.interop import to_torch
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1), nn.Tanh()))
    tnet = to_torch(net)

    def kinds(modules):
        return [type(m).__name__ for m in modules]
    assert kinds(net.modules()) == kinds(tnet.modules())
    ours, theirs = [], []
    net.apply(ours.append)
    tnet.apply(theirs.append)
    assert kinds(ours) == kinds(theirs)
    tnet.eval()
    net.eval()
    assert [m.training for m in net.modules()] == [m.training for m in tnet.modules()]


def test_a_shared_layer_is_one_module_and_its_weights_one_parameter():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(net.modules())) == 3
    assert len(net.parameters()) == 2
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]


def test_train_and_eval_set_the_flag_everywhere():
    net = demon_network("scalar")
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.layers[0].train(False)
    assert net.training and not net.layers[0].neurons[2].training


def test_forward_hooks_see_and_may_replace_the_output():
    net = cnn()
    seen = []
    handle = net.layers[3].register_forward_hook(
        lambda module, inputs, output: seen.append((type(module).__name__, inputs[0].shape,
                                                    output.shape)))
    net(np.zeros((5, 1, 6, 6)))
    assert seen == [("Flatten", (5, 3, 2, 2), (5, 12))]
    handle.remove()
    net(np.zeros((5, 1, 6, 6)))
    assert len(seen) == 1
    with net.layers[4].register_forward_hook(lambda m, i, out: out * 0.0):
        assert not net(np.ones((2, 1, 6, 6))).data.any()
    assert net(np.ones((2, 1, 6, 6))).data.all()  # removed when the block ended
    with pytest.raises(TypeError, match="callable"):
        net.register_forward_hook(3)


@pytest.mark.parametrize("module, method", [(nn.ReLU, "relu"), (nn.Sigmoid, "sigmoid"),
                                            (nn.Tanh, "tanh"), (nn.LeakyReLU, "leaky_relu"),
                                            (nn.Hardtanh, "hard_tanh")])
def test_activation_modules_are_their_ops(module, method):
    z = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(module()(Tensor(z)).data, getattr(Tensor(z), method)().data)
    np.testing.assert_array_equal(module()(z).data, getattr(Tensor(z), method)().data)
    assert module()(Value(0.5)).data == getattr(Value(0.5), method)().data
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, module.__name__)()(torch.tensor(z)).numpy()
    np.testing.assert_allclose(module()(z).data, theirs, rtol=1e-15, atol=0)


def test_activation_modules_refuse_settings_they_do_not_have():
    with pytest.raises(ValueError, match="negative_slope"):
        nn.LeakyReLU(0.2)
    with pytest.raises(ValueError, match="bounds"):
        nn.Hardtanh(0.0, 6.0)


A = np.array([[0.2, 0.9], [0.7, 0.4], [0.5, 0.5]])
T = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])


def test_loss_modules_are_the_losses():
    assert nn.MSELoss()(Tensor(A), T).item() == pytest.approx(mse(Tensor(A), T).item(), rel=1e-15)
    assert nn.MSELoss("sum")(Tensor(A), T).item() == pytest.approx(
        2 * squared_error(Tensor(A), T).item(), rel=1e-15)
    z, labels = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]]), [2, 0]
    assert nn.CrossEntropyLoss()(Tensor(z), labels).item() == pytest.approx(
        softmax_cross_entropy(Tensor(z), labels).item(), rel=1e-15)
    assert nn.CrossEntropyLoss(reduction="sum")(Tensor(z), labels).item() == pytest.approx(
        softmax_cross_entropy(Tensor(z), labels, "sum").item(), rel=1e-15)
    values = [[Value(x) for x in row] for row in A.tolist()]
    assert nn.MSELoss()(values, T).data == pytest.approx(np.mean((A - T) ** 2), rel=1e-14)
    with pytest.raises(ValueError, match="'none' is not supported"):
        nn.MSELoss(reduction="none")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_loss_modules_match_torch(reduction):
    torch = pytest.importorskip("torch")
    a = Tensor(A, requires_grad=True)
    nn.MSELoss(reduction)(a, T).backward()
    ta = torch.tensor(A, requires_grad=True)
    loss = torch.nn.MSELoss(reduction=reduction)(ta, torch.tensor(T))
    loss.backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    z = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0], [0.1, 0.2, 0.3]])
    zz = Tensor(z, requires_grad=True)
    ours = nn.CrossEntropyLoss(reduction)(zz, [2, 0, 1])
    ours.backward()
    tz = torch.tensor(z, requires_grad=True)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(tz, torch.tensor([2, 0, 1]))
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(zz.grad, tz.grad.numpy(), rtol=1e-12)


def test_summary_prints_layers_shapes_and_parameters(capsys):
    text = nn.summary(cnn(), (96, 1, 6, 6))
    assert capsys.readouterr().out == text + "\n"
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "parameters"]
    assert lines[1].split() == ["0", "Conv2d", "(96,", "3,", "4,", "4)", "30"]
    assert lines[4].split() == ["3", "Flatten", "(96,", "12)", "0"]
    assert lines[5].split() == ["4", "Linear", "(96,", "3)", "39"]
    assert lines[-1] == "total: 69 parameters"
    scalar = nn.summary(demon_network("scalar"), (12,), file=None).splitlines()
    assert scalar[1].split() == ["layers.0", "Layer", "(3,)", "39"]
    assert scalar[2].split() == ["layers.0.neurons.0", "Neuron", "()", "13"]
    assert scalar[2].startswith("  ")  # a neuron sits inside its layer
    assert scalar[-1] == "total: 47 parameters"
    net = cnn()
    nn.summary(net, (1, 1, 6, 6))
    assert not net.layers[0]._forward_hooks  # the hooks summary added are gone


def test_summary_parameter_counts_equal_torchs():
    pytest.importorskip("torch")
    from tinygrad_edu.interop import to_torch
    net = cnn()
    total = int(nn.summary(net, (2, 1, 6, 6)).splitlines()[-1].split()[1])
    assert total == sum(p.numel() for p in to_torch(net).parameters())
