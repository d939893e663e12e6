"""PyTorch's idioms side by side with torch (float64, values and gradients to 1e-10): the
factories, the ops as functions, nn.functional, the new modules, clip_grad_norm_, the
schedulers' learning rates, nn.init's bounds and spreads, map-style datasets in DataLoader.
Each test skips where torch is not installed; tests/nn/test_habits.py runs without it."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, nn, optim

TOL = dict(rtol=1e-10, atol=1e-10)
RNG = np.random.default_rng(21)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
M = RNG.standard_normal((4, 2))
P = RNG.uniform(0.05, 0.95, (3, 4))  # probabilities, for binary cross-entropy
T01 = RNG.integers(0, 2, (3, 4)).astype(float)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours.data if isinstance(ours, Tensor) else ours),
                               theirs.detach().numpy(), **TOL)


FACTORIES = {  # float64 in both (PyTorch's default is float32, ours float64)
    "zeros": lambda m: m.zeros(2, 3, dtype=m.float64),
    "zeros tuple": lambda m: m.zeros((2, 3), dtype=m.float64),
    "ones": lambda m: m.ones(4, dtype=m.float64, requires_grad=True),
    "full": lambda m: m.full((2, 2), 1.5, dtype=m.float64),
    "eye": lambda m: m.eye(3, dtype=m.float64),
    "eye n m": lambda m: m.eye(2, 4, dtype=m.float64),
    "arange": lambda m: m.arange(0.0, 2.0, 0.25, dtype=m.float64),
    "arange end": lambda m: m.arange(5.0, dtype=m.float64),
    "linspace": lambda m: m.linspace(-1.0, 1.0, 7, dtype=m.float64),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_equal_torchs(torch, name):
    ours, theirs = FACTORIES[name](tg), FACTORIES[name](torch)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float64
    assert ours.requires_grad == theirs.requires_grad
    close(ours, theirs)


@pytest.mark.parametrize("kind", ["zeros_like", "ones_like", "randn_like", "rand_like"])
def test_like_factories_take_shape_and_dtype(torch, kind):
    x32 = Tensor(A.astype(np.float32))
    ours = getattr(tg, kind)(x32)
    theirs = getattr(torch, kind)(torch.tensor(A.astype(np.float32)))
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)[6:]
    if kind in ("zeros_like", "ones_like"):
        close(ours, theirs)
    full = tg.full_like(Tensor(A), 2.5)
    close(full, torch.full_like(torch.tensor(A), 2.5))


def test_from_numpy_shares_memory_as_torchs(torch):
    a, b = A.copy(), A.copy()
    ours, theirs = tg.from_numpy(a), torch.from_numpy(b)
    a[0, 0] = b[0, 0] = 42.0
    close(ours, theirs)
    assert ours.data[0, 0] == 42.0


def with_grads(m, *arrays):
    """The arrays as leaves that require a gradient, in tinygrad_edu (m = tg) or torch."""
    if m is tg:
        return [Tensor(a.copy(), requires_grad=True) for a in arrays]
    return [m.tensor(a.copy(), requires_grad=True) for a in arrays]


def weighted_sum(out, m):
    """Σ out ⊙ W, W fixed: a cost whose gradient reaches every element of out differently."""
    w = np.linspace(-1.0, 2.0, int(np.prod(out.shape))).reshape(tuple(out.shape))
    return (out * (Tensor(w) if m is tg else m.tensor(w))).sum()


def function_cases(torch):
    """name -> (inputs, f(m, tensors) written once for both libraries, `m` tg or torch)."""
    Fm = {tg: F, torch: torch.nn.functional}
    return {
        "exp": ((A,), lambda m, x: m.exp(x)),
        "log": ((P,), lambda m, x: m.log(x)),
        "sigmoid": ((A,), lambda m, x: m.sigmoid(x)),
        "tanh": ((A,), lambda m, x: m.tanh(x)),
        "relu": ((A,), lambda m, x: m.relu(x)),
        "softmax": ((A,), lambda m, x: m.softmax(x, dim=1)),
        "log_softmax": ((A,), lambda m, x: m.log_softmax(x, dim=0)),
        "matmul": ((A, M), lambda m, x, y: m.matmul(x, y)),
        "cat": ((A, B), lambda m, x, y: m.cat([x, y], dim=1)),
        "stack": ((A, B), lambda m, x, y: m.stack([x, y], dim=1)),
        "where": ((A, B), lambda m, x, y: m.where(x > y, x, y)),
        "where number": ((A,), lambda m, x: m.where(x > 0, x, 0.5)),
        "F.relu": ((A,), lambda m, x: Fm[m].relu(x)),
        "F.sigmoid": ((A,), lambda m, x: Fm[m].sigmoid(x)),
        "F.tanh": ((A,), lambda m, x: Fm[m].tanh(x)),
        "F.softmax": ((A,), lambda m, x: Fm[m].softmax(x, dim=-1)),
        "F.log_softmax": ((A,), lambda m, x: Fm[m].log_softmax(x, dim=1)),
        "F.linear": ((A, M.T.copy(), B[0, :2].copy()), lambda m, x, w, b: Fm[m].linear(x, w, b)),
        "F.linear no bias": ((A, M.T.copy()), lambda m, x, w: Fm[m].linear(x, w)),
        "F.mse_loss": ((A, B), lambda m, x, t: Fm[m].mse_loss(x, t)),
        "F.mse_loss sum": ((A, B), lambda m, x, t: Fm[m].mse_loss(x, t, reduction="sum")),
        "F.cross_entropy": ((A,), lambda m, z: Fm[m].cross_entropy(
            z, Tensor(np.array([0, 3, 1])) if m is tg else m.tensor([0, 3, 1]))),
        "F.binary_cross_entropy": ((P, T01), lambda m, a, t: Fm[m].binary_cross_entropy(a, t)),
        "F.binary_cross_entropy weight sum": ((P, T01, B), lambda m, a, t, w:
                                              Fm[m].binary_cross_entropy(a, t, w.detach(),
                                                                         reduction="sum")),
    }


CASES = ["exp", "log", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "cat",
         "stack", "where", "where number", "F.relu", "F.sigmoid", "F.tanh", "F.softmax",
         "F.log_softmax", "F.linear", "F.linear no bias", "F.mse_loss", "F.mse_loss sum",
         "F.cross_entropy", "F.binary_cross_entropy", "F.binary_cross_entropy weight sum"]


@pytest.mark.parametrize("name", CASES)
def test_functions_equal_torchs_in_value_and_gradient(torch, name):
    arrays, f = function_cases(torch)[name]
    ours_in, theirs_in = with_grads(tg, *arrays), with_grads(torch, *arrays)
    ours, theirs = f(tg, *ours_in), f(torch, *theirs_in)
    close(ours, theirs)
    weighted_sum(ours, tg).backward()
    weighted_sum(theirs, torch).backward()
    for x, tx in zip(ours_in, theirs_in):
        if tx.grad is not None:
            assert x.grad is not None and np.abs(x.grad).max() > 0
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), **TOL)


def test_modules_equal_torchs(torch):
    x, tx = with_grads(tg, A)[0], with_grads(torch, A)[0]
    close(nn.Softmax(dim=0)(x), torch.nn.Softmax(dim=0)(tx))
    close(nn.Identity(54, unused=1)(x), torch.nn.Identity(54, unused=1)(tx))
    close(nn.BCELoss()(Tensor(P), T01), torch.nn.BCELoss()(torch.tensor(P), torch.tensor(T01)))
    close(nn.BCELoss(reduction="sum")(Tensor(P), T01),
          torch.nn.BCELoss(reduction="sum")(torch.tensor(P), torch.tensor(T01)))
    drop, tdrop = nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval()
    close(drop(x), tdrop(tx))  # evaluation: the input as it is


def test_dropout_in_training_scales_the_survivors_as_torchs(torch):
    x, tx = Tensor(np.abs(A) + 1.0), torch.tensor(np.abs(A) + 1.0)
    ours, theirs = nn.Dropout(0.25)(x).data, torch.nn.Dropout(0.25)(tx).numpy()
    for out, inp in ((ours, x.data), (theirs, tx.numpy())):
        kept = out != 0
        np.testing.assert_allclose(out[kept], inp[kept] / 0.75, **TOL)


def test_module_list_names_parameters_as_torch(torch):
    class Net(nn.Module):
        def __init__(self):
            self.hidden = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.ModuleList([torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)])

    ours, theirs = Net().state_dict(), TorchNet().state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_torchs(torch, norm_type, max_norm):
    ours, theirs = with_grads(tg, A, M), with_grads(torch, A, M)
    for p, tp in zip(ours, theirs):
        p.grad, tp.grad = p.data * 3.0, tp.detach() * 3.0
    total = nn.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(t_total.item(), rel=1e-12)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), **TOL)


SCHEDULES = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingLR eta_min": lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedulers_give_torchs_learning_rates(torch, name):
    opt = optim.SGD(Tensor(A, requires_grad=True), lr=0.3)
    topt = torch.optim.SGD([torch.tensor(A, requires_grad=True)], lr=0.3)
    sched = SCHEDULES[name](optim.lr_scheduler, opt)
    tsched = SCHEDULES[name](torch.optim.lr_scheduler, topt)
    ours, theirs = [sched.get_last_lr()[0]], [tsched.get_last_lr()[0]]
    for _ in range(20):  # past T_max: the cosine comes back up
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        ours.append(sched.get_last_lr()[0])
        theirs.append(tsched.get_last_lr()[0])
        assert opt.lr == ours[-1]
    np.testing.assert_allclose(ours, theirs, **TOL)
    assert len(set(np.round(ours, 12))) > 3  # the rate changed


@pytest.mark.parametrize("nonlinearity", ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu",
                                          "leaky_relu"])
def test_calculate_gain_equals_torchs(torch, nonlinearity):
    assert nn.init.calculate_gain(nonlinearity) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)
    if nonlinearity == "leaky_relu":
        assert nn.init.calculate_gain(nonlinearity, 0.2) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, 0.2), rel=1e-15)


INITS = {
    "uniform_": lambda i, t: i.uniform_(t, -0.3, 0.7),
    "normal_": lambda i, t: i.normal_(t, 0.5, 2.0),
    "xavier_uniform_": lambda i, t: i.xavier_uniform_(t, gain=2.0),
    "xavier_normal_": lambda i, t: i.xavier_normal_(t),
    "kaiming_uniform_": lambda i, t: i.kaiming_uniform_(t, a=math.sqrt(5)),
    "kaiming_uniform_ relu fan_out": lambda i, t: i.kaiming_uniform_(t, mode="fan_out",
                                                                     nonlinearity="relu"),
    "kaiming_normal_": lambda i, t: i.kaiming_normal_(t, nonlinearity="relu"),
}


@pytest.mark.parametrize("name", INITS)
def test_init_draws_from_torchs_distribution(torch, name):
    """Not torch's numbers (another generator): the same shape, range, mean and spread."""
    tg.manual_seed(0)
    shape = (200, 30, 3, 3)  # a conv weight: fan_in 270, fan_out 1800
    ours = Tensor(np.empty(shape))
    array = ours.data
    assert INITS[name](nn.init, ours) is ours and ours.data is array  # in place
    theirs = INITS[name](torch.nn.init, torch.empty(shape, dtype=torch.float64)).numpy()
    o = ours.data
    assert o.shape == theirs.shape
    if "uniform" in name:  # the bounds: within, and reached to a thousandth of the range
        lo, hi = theirs.min(), theirs.max()
        width = hi - lo
        assert o.min() >= lo - 1e-3 * width and o.max() <= hi + 1e-3 * width
        assert o.min() <= lo + 1e-3 * width and o.max() >= hi - 1e-3 * width
    assert o.mean() == pytest.approx(theirs.mean(), abs=0.02 * theirs.std())
    assert o.std() == pytest.approx(theirs.std(), rel=0.02)


@pytest.mark.parametrize("kind", ["zeros_", "ones_", "constant_"])
def test_constant_inits_equal_torchs(torch, kind):
    args = (0.25,) if kind == "constant_" else ()
    ours = getattr(nn.init, kind)(Tensor(A.copy()), *args)
    close(ours, getattr(torch.nn.init, kind)(torch.tensor(A.copy()), *args))


class Squares(tg.data.Dataset):
    """Example i: (i, i²) as arrays; any index answers, however large (no IndexError)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.array([float(i)]), np.array(float(i) ** 2)


@pytest.mark.parametrize("drop_last", [False, True])
def test_a_map_style_dataset_gives_torchs_batches(torch, drop_last):
    ours = list(tg.data.DataLoader(Squares(), batch_size=4, drop_last=drop_last))
    theirs = list(torch.utils.data.DataLoader(Squares(), batch_size=4, drop_last=drop_last))
    assert len(ours) == len(theirs) == (2 if drop_last else 3)
    for (x, t), (tx, tt) in zip(ours, theirs):
        np.testing.assert_array_equal(x, tx.numpy())
        np.testing.assert_array_equal(t, tt.numpy())
