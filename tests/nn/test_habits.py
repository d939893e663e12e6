"""PyTorch's habits without torch: the seeded factories, the ops as functions and `where`'s rule,
nn.functional's costs at their edges, ModuleList, Dropout, Identity, nn.init in place,
clip_grad_norm_, RMSprop and the schedulers by hand, map-style datasets in bounded memory, and
`import tinygrad_edu as tg; tg.nn` in a fresh process.  tests/nn/test_pytorch_idioms.py compares
the same idioms with torch."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, Value, gradcheck, nn, optim
from tinygrad_edu.data import DataLoader, Dataset

ROOT = Path(__file__).resolve().parents[2]


# -- the generator and the factories ------------------------------------------------------------
def test_manual_seed_repeats_every_draw_and_draws_differ():
    tg.manual_seed(3)
    first = [tg.randn(2, 3).data, tg.rand(4).data, nn.init.normal_(Tensor(np.zeros(5))).data]
    tg.manual_seed(3)
    again = [tg.randn((2, 3)).data, tg.rand(4).data, nn.init.normal_(Tensor(np.zeros(5))).data]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(tg.randn(2, 3).data, first[0])  # the next draw is new
    assert tg.random.generator() is tg.random.generator()
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(TypeError, match="manual_seed"):
            tg.manual_seed(bad)


def test_random_factories_draw_their_distributions():
    tg.manual_seed(0)
    n = tg.randn(100_000).data
    u = tg.rand(100_000).data
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1.0) < 0.01
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.005
    own = np.random.default_rng(5)
    np.testing.assert_array_equal(tg.randn(3, generator=own).data,
                                  np.random.default_rng(5).standard_normal(3))


def test_factories_shapes_dtypes_and_refusals():
    assert tg.zeros(2, 3).shape == tg.ones((2, 3)).shape == (2, 3)
    assert tg.zeros().shape == () and tg.zeros(0).shape == (0,)
    assert tg.zeros(2, dtype=tg.float32).dtype == np.float32
    assert tg.full((2,), 7).tolist() == [7.0, 7.0]
    assert tg.arange(3).tolist() == [0.0, 1.0, 2.0]
    assert tg.arange(1, 2, 0.5).tolist() == [1.0, 1.5]
    assert tg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    w = tg.randn(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    x32 = Tensor(np.ones((2, 2), dtype=np.float32))
    assert tg.zeros_like(x32).dtype == np.float32 and tg.ones_like(x32, dtype=np.float64).dtype \
        == np.float64
    assert tg.full_like(np.zeros(3), 2.0).tolist() == [2.0] * 3
    for bad in [(2, -1), (2.5,), ("2",)]:
        with pytest.raises(ValueError, match="whole numbers"):
            tg.zeros(*bad)
    with pytest.raises(TypeError, match="float32 or float64"):
        tg.ones(2, dtype=np.int64, requires_grad=True)
    assert tg.ones(2, dtype=np.int64).tolist() == [1, 1]  # integers: indices, no gradient
    with pytest.raises(ValueError, match="step"):
        tg.arange(0, 1, 0)
    with pytest.raises(TypeError, match="numpy array"):
        tg.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="zeros_like"):
        tg.zeros_like(3.0)


# -- the ops as functions -------------------------------------------------------------------------
def test_functions_record_the_methods_op_on_both_engines():
    v = tg.sigmoid(Value(0.0))
    assert isinstance(v, Value) and v.data == 0.5
    t = Tensor([[1.0, -2.0]], requires_grad=True)
    (tg.relu(t) * Tensor([[3.0, 5.0]])).sum().backward()
    assert t.grad.tolist() == [[3.0, 0.0]] and tg.relu(t).tolist() == [[1.0, 0.0]]
    assert tg.exp([0.0, 1.0]).tolist() == [1.0, math.e]
    assert tg.matmul(t, Tensor([[1.0], [1.0]])).tolist() == [[-1.0]]
    assert tg.cat([t, t], dim=1).shape == (1, 4) and tg.stack([t, t], axis=0).shape == (2, 1, 2)
    assert tg.softmax(t, dim=1).sum().item() == pytest.approx(1.0)


def test_where_passes_the_gradient_to_the_chosen_side():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([[10.0], [20.0]], requires_grad=True)  # broadcast to (2, 3)
    out = tg.where(a > 1.5, a, b)
    assert out.tolist() == [[10.0, 2.0, 3.0], [20.0, 2.0, 3.0]]
    (out * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert a.grad.tolist() == [0.0, 7.0, 9.0]
    assert b.grad.tolist() == [[1.0], [4.0]]
    assert tg.where(np.array([True, False]), 1.0, Tensor([5.0, 6.0])).tolist() == [1.0, 6.0]
    x = Tensor([-1.0, 0.5, 2.0])
    assert gradcheck(lambda x: tg.where(x > 0, x * x, -x), [x])
    with pytest.raises(TypeError, match="boolean"):
        tg.where(Tensor([1.0, 0.0]), a[:2], 0.0)
    with pytest.raises(TypeError, match="Tensors"):
        tg.where(True, Value(1.0), 0.0)


def test_where_gives_second_derivatives():
    x = Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    (g,) = tg.grad(tg.where(x > 0, x ** 3, x * 2.0).sum(), [x], create_graph=True)
    assert g.tolist() == [2.0, 0.75, 12.0]
    g.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 12.0]  # 6x where x > 0, 0 where the line is chosen


# -- nn.functional ------------------------------------------------------------------------------
def test_binary_cross_entropy_by_hand_and_at_the_edges():
    a, t = Tensor([0.8, 0.4], requires_grad=True), np.array([1.0, 0.0])
    C = F.binary_cross_entropy(a, t)
    assert C.item() == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-14)
    C.backward()
    np.testing.assert_allclose(a.grad, [-1 / 0.8 / 2, 1 / 0.6 / 2], rtol=1e-14)
    edge = Tensor([0.0, 1.0, 0.0], requires_grad=True)
    C = F.binary_cross_entropy(edge, [0.0, 1.0, 1.0], reduction="sum")
    assert C.item() == 100.0  # ln 0 taken as -100, as PyTorch does
    C.backward()
    assert np.isfinite(edge.grad).all()
    assert nn.BCELoss(weight=np.array([2.0, 0.0]))(Tensor([0.5, 0.5]), [1.0, 1.0]).item() == \
        pytest.approx(math.log(2.0), rel=1e-14)
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(Tensor([1.5]), [1.0])
    with pytest.raises(ValueError, match="shape"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [1.0])
    with pytest.raises(ValueError, match="'none' is not supported"):
        F.mse_loss(Tensor([1.0]), [1.0], reduction="none")


def test_linear_and_mse_loss_by_hand():
    x, W, b = Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0], [1.0, 0.0]]), Tensor([0.5, -1.0])
    assert F.linear(x, W, b).tolist() == [[11.5, 0.0]]
    assert F.mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item() == 5.0
    assert F.mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0], reduction="sum").item() == 10.0


# -- modules --------------------------------------------------------------------------------------
class Tower(nn.Module):
    def __init__(self):
        self.blocks = nn.ModuleList([nn.Linear(2, 3), nn.Identity()])
        self.blocks.append(nn.Linear(3, 1))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.drop(x)


def test_module_list_names_and_holds_its_modules():
    net = Tower()
    assert list(net.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.2.weight",
                                      "blocks.2.bias"]
    assert len(net.parameters()) == 4 and len(net.blocks) == 3
    assert net.blocks[2].scope_name == "blocks.2"
    assert isinstance(net.blocks[:2], nn.ModuleList) and len(net.blocks[:2]) == 2
    twin = Tower()
    twin.load_state_dict(net.state_dict())
    x = np.ones((4, 2))
    np.testing.assert_array_equal(twin.eval()(x).data, net.eval()(x).data)
    with pytest.raises(TypeError, match="Modules"):
        net.blocks.append(lambda x: x)
    with pytest.raises(NotImplementedError):
        net.blocks(x)


def test_dropout_in_training_and_in_evaluation():
    tg.manual_seed(1)
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    drop = nn.Dropout(0.3)
    out = drop(x)
    zero = out.data == 0
    assert abs(zero.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out.data[~zero], 1 / 0.7, rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(zero, 0.0, 1 / 0.7), rtol=1e-15)
    assert drop.eval()(x) is x
    assert nn.Dropout(1.0)(x).data.max() == 0.0
    tg.manual_seed(2)
    a = nn.Dropout(0.5)(x).data
    tg.manual_seed(2)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, a)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


def test_softmax_module_and_identity():
    z = Tensor([[1.0, 2.0], [3.0, 3.0]])
    np.testing.assert_allclose(nn.Softmax(dim=1)(z).data[1], [0.5, 0.5])
    assert nn.Identity()(z) is z
    assert repr(nn.Softmax(0)) == "Softmax(dim=0)"


# -- nn.init and clip_grad_norm_ ------------------------------------------------------------------
def test_init_fills_in_place_within_its_bounds():
    tg.manual_seed(0)
    layer = nn.Linear(5, 3)
    array = layer.weight.data
    nn.init.xavier_uniform_(layer.weight)
    bound = math.sqrt(6 / (5 + 3))
    assert layer.weight.data is array and np.abs(array).max() <= bound
    assert np.abs(array).max() > 0.5 * bound
    nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    assert np.abs(array).max() <= math.sqrt(2) * math.sqrt(3 / 5)
    assert nn.init.zeros_(layer.bias).tolist() == [0.0] * 3
    assert nn.init.constant_(layer.bias, 0.5).tolist() == [0.5] * 3
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(layer.bias)
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_uniform_(layer.weight, mode="fan")
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(TypeError, match="Tensor"):
        nn.init.ones_(Value(1.0))


def test_init_after_a_forward_is_a_change_in_place_that_backward_refuses():
    layer = nn.Linear(2, 2)
    cost = layer(np.ones((1, 2))).sum()
    nn.init.ones_(layer.weight)
    with pytest.raises(RuntimeError, match="changed in place"):
        cost.backward()


def test_clip_grad_norm_by_hand():
    w, v = Tensor([3.0, 0.0], requires_grad=True), Value(4.0)
    w.grad, v.grad = np.array([3.0, 0.0]), 4.0
    total = nn.clip_grad_norm_([w, v], max_norm=1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(w.grad, [3 / (5 + 1e-6), 0.0], rtol=1e-15)
    assert v.grad == pytest.approx(4 / (5 + 1e-6), rel=1e-15)
    assert nn.utils.clip_grad_norm_(v, 10.0, norm_type=math.inf).item() == pytest.approx(v.grad)
    assert v.grad == pytest.approx(4 / (5 + 1e-6), rel=1e-15)  # under max_norm: unchanged


# -- optim ----------------------------------------------------------------------------------------
def test_rmsprop_one_step_by_hand_on_a_value():
    p = Value(1.0)
    opt = optim.RMSprop(p, lr=0.01)
    p.grad = 2.0
    opt.step()
    v = 0.01 * 4.0
    assert p.data == pytest.approx(1.0 - 0.01 * 2.0 / (math.sqrt(v) + 1e-8), rel=1e-15)
    assert opt.state_dict()["state"][0]["square_avg"] == pytest.approx(v)
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop(p, alpha=1.5)


def test_zero_grad_set_to_none_false_keeps_arrays_of_zeros():
    net = nn.Linear(2, 1)
    unused = Tensor(np.ones(3), requires_grad=True)
    net(np.ones((1, 2))).sum().backward()
    opt = optim.SGD([*net.parameters(), unused], lr=0.1)
    array = net.weight.grad
    opt.zero_grad(set_to_none=False)
    assert net.weight.grad is array and array.tolist() == [[0.0, 0.0]]  # in place
    assert unused.grad is None  # no gradient yet: stays None, as in PyTorch
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None
    v = Value(2.0)
    (v * v).backward()
    optim.SGD(v, lr=0.1).zero_grad(set_to_none=False)
    assert v.grad == 0.0


def lrs(sched, n):
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_schedulers_follow_their_formulas():
    def opt():
        return optim.SGD(Value(0.0), lr=0.4)
    assert lrs(optim.StepLR(opt(), step_size=2, gamma=0.5), 4) == pytest.approx(
        [0.4, 0.4, 0.2, 0.2, 0.1])
    assert lrs(optim.lr_scheduler.ExponentialLR(opt(), gamma=0.5), 3) == pytest.approx(
        [0.4, 0.2, 0.1, 0.05])
    cosine = lrs(optim.lr_scheduler.CosineAnnealingLR(opt(), T_max=4, eta_min=0.1), 8)
    assert cosine == pytest.approx([0.4, 0.1 + 0.15 * (1 + math.sqrt(0.5)), 0.25,
                                    0.1 + 0.15 * (1 - math.sqrt(0.5)), 0.1,
                                    0.1 + 0.15 * (1 - math.sqrt(0.5)), 0.25,
                                    0.1 + 0.15 * (1 + math.sqrt(0.5)), 0.4])
    from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR
    assert CosineAnnealingLR is optim.CosineAnnealingLR
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(opt(), T_max=0)
    with pytest.raises(TypeError, match="Optimizer"):
        optim.ExponentialLR([Value(1.0)], gamma=0.5)


def test_a_scheduler_resumes_from_its_state_dict():
    sched = optim.lr_scheduler.ExponentialLR(optim.SGD(Value(0.0), lr=1.0), gamma=0.5)
    sched.step()
    sched.step()
    again = optim.lr_scheduler.ExponentialLR(optim.SGD(Value(0.0), lr=1.0), gamma=0.9)
    again.load_state_dict(sched.state_dict())
    assert again.get_last_lr() == [0.25] and again.gamma == 0.5
    with pytest.raises(ValueError, match="entries"):
        again.load_state_dict({"gamma": 0.5})


# -- data -----------------------------------------------------------------------------------------
class Endless(Dataset):
    """A dataset of a trillion examples whose __getitem__ never raises: only __len__ ends it."""

    def __len__(self):
        return 10 ** 12

    def __getitem__(self, i):
        return {"x": np.full(3, float(i)), "t": i % 2}


class Five(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=float), float(i)


def test_a_map_style_dataset_is_read_one_minibatch_at_a_time():
    loader = DataLoader(Endless(), batch_size=4)
    assert len(loader) == 25 * 10 ** 10
    first = next(iter(loader))
    np.testing.assert_array_equal(first["x"][:, 0], [0.0, 1.0, 2.0, 3.0])
    assert first["t"].tolist() == [0, 1, 0, 1]
    assert isinstance(loader.dataset, Endless)


def test_a_map_style_dataset_shuffled_covers_every_example_once():
    epoch = list(DataLoader(Five(), batch_size=2, shuffle=True, seed=3))
    assert [len(t) for _, t in epoch] == [2, 2, 1]
    order = np.concatenate([t for _, t in epoch])
    assert sorted(order.tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0]
    for x, t in epoch:
        np.testing.assert_array_equal(x[:, 1], t * t)


def test_datasets_that_cannot_be_read_are_refused():
    class NoLength:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="__len__"):
        DataLoader(NoLength())
    with pytest.raises(TypeError, match=r"alone: DataLoader\(dataset\)"):
        DataLoader(Endless(), np.zeros(3))
    with pytest.raises(NotImplementedError, match="__getitem__"):
        next(iter(DataLoader(type("Empty", (Dataset,), {"__len__": lambda self: 3})())))


# -- the package's names --------------------------------------------------------------------------
@pytest.mark.parametrize("first", ["import tinygrad_edu as tg", "import tinygrad_edu.nn",
                                   "import tinygrad_edu.nn.functional",
                                   "import tinygrad_edu.optim.lr_scheduler",
                                   "import tinygrad_edu.functional"])
def test_the_sub_packages_come_with_the_package_in_a_fresh_process(first):
    code = (f"{first}\nimport tinygrad_edu as tg\n"
            "print(tg.nn.ModuleList.__name__, tg.optim.lr_scheduler.StepLR.__name__, "
            "tg.nn.functional.relu is tg.relu, tg.data.Dataset.__name__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ModuleList", "StepLR", "True", "Dataset"]


def test_every_public_name_is_there():
    for module in (tg, nn, optim, F, nn.init, tg.data, tg.factories, tg.functional):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], module.__name__
