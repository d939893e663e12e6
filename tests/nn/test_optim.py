"""optim: SGD with weight decay and Nesterov momentum, Adam with L2, AdamW, state_dict, StepLR,
and what a parameter list may hold; trajectories equal PyTorch's to 1e-12 where it is installed."""

import copy

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value
from tinygrad_edu.optim import SGD, Adam, AdamW, RMSprop, StepLR

W0 = np.array([[1.0, -2.0, 0.5], [0.3, 3.0, -0.7]])
B0 = np.array([0.2, -0.1])
X = np.random.default_rng(5).standard_normal((8, 3))


def ours_loss(w, b):
    """A small problem with a curved cost: Σ tanh(X Wᵀ + b)³ + Σ W⁴/4."""
    return ((Tensor(X) @ w.T + b).tanh() ** 3).sum() + 0.25 * (w ** 4).sum()


def trajectory(make_opt, steps=8, lr_schedule=None):
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    opt = make_opt([w, b])
    sched = lr_schedule(opt) if lr_schedule else None
    path = []
    for _ in range(steps):
        opt.zero_grad()
        ours_loss(w, b).backward()
        opt.step()
        if sched:
            sched.step()
        path.append(np.concatenate([w.data.ravel(), b.data]))
    return np.array(path)


def torch_trajectory(make_opt, steps=8, lr_schedule=None):
    torch = pytest.importorskip("torch")
    w = torch.tensor(W0.copy(), requires_grad=True)
    b = torch.tensor(B0.copy(), requires_grad=True)
    opt = make_opt(torch.optim, [w, b])
    sched = lr_schedule(torch.optim.lr_scheduler, opt) if lr_schedule else None
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (torch.tanh(torch.tensor(X) @ w.T + b) ** 3).sum() + 0.25 * (w ** 4).sum()
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        path.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    return np.array(path)


SETTINGS = {
    "sgd weight_decay": ("SGD", dict(lr=0.05, weight_decay=0.1)),
    "sgd momentum + weight_decay": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    "sgd nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd nesterov + weight_decay": ("SGD", dict(lr=0.05, momentum=0.5, nesterov=True,
                                               weight_decay=0.2)),
    "adam": ("Adam", dict(lr=0.1)),
    "adam L2": ("Adam", dict(lr=0.1, weight_decay=0.05)),
    "adamw default decay": ("AdamW", dict(lr=0.1)),
    "adamw": ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.3)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop centered": ("RMSprop", dict(lr=0.02, alpha=0.9, centered=True)),
    "rmsprop momentum + weight_decay": ("RMSprop", dict(lr=0.01, momentum=0.8,
                                                        weight_decay=0.1, eps=1e-6)),
    "rmsprop all": ("RMSprop", dict(lr=0.01, alpha=0.95, momentum=0.5, centered=True,
                                    weight_decay=0.05)),
}
OURS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop}


@pytest.mark.parametrize("name", SETTINGS)
def test_trajectories_equal_torchs(name):
    kind, kw = SETTINGS[name]
    theirs = torch_trajectory(lambda optim, ps: getattr(optim, kind)(ps, **kw))
    ours = trajectory(lambda ps: OURS[kind](ps, **kw))
    assert np.abs(ours[-1] - np.concatenate([W0.ravel(), B0])).max() > 1e-2  # it moved
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_step_lr_equals_torchs():
    kw = dict(lr=0.2, momentum=0.9)
    ours = trajectory(lambda ps: SGD(ps, **kw), steps=9,
                      lr_schedule=lambda opt: StepLR(opt, step_size=3, gamma=0.5))
    theirs = torch_trajectory(lambda optim, ps: optim.SGD(ps, **kw), steps=9,
                              lr_schedule=lambda sched, opt: sched.StepLR(opt, 3, gamma=0.5))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_step_lr_schedule():
    opt = SGD(Value(1.0), lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(5):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01], rel=1e-15)
    assert opt.param_groups[0]["lr"] == opt.lr == pytest.approx(0.01)
    again = StepLR(SGD(Value(1.0), lr=1.0), step_size=7)
    again.load_state_dict(sched.state_dict())
    assert again.state_dict() == sched.state_dict()
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)


@pytest.mark.parametrize("kind", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_state_dict_resumes_training_exactly(kind):
    kw = {"SGD": dict(lr=0.05, momentum=0.9, nesterov=True), "Adam": dict(lr=0.1),
          "AdamW": dict(lr=0.1), "RMSprop": dict(lr=0.01, momentum=0.5, centered=True)}[kind]
    whole = trajectory(lambda ps: OURS[kind](ps, **kw), steps=6)[-1]
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    opt = OURS[kind]([w, b], **kw)
    for _ in range(3):
        opt.zero_grad()
        ours_loss(w, b).backward()
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["params"] == [0, 1]
    assert set(saved["state"]) == {0, 1}
    if kind.startswith("Adam"):
        assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}  # PyTorch's names
    if kind == "RMSprop":
        assert set(saved["state"][0]) == {"step", "square_avg", "grad_avg", "momentum_buffer"}
    # a fresh optimizer over the parameters where they are now, given the saved state
    w2, b2 = Tensor(w.data.copy(), requires_grad=True), Tensor(b.data.copy(), requires_grad=True)
    opt2 = OURS[kind]([w2, b2], lr=123.0)
    opt2.load_state_dict(saved)
    assert opt2.lr == kw["lr"]
    for _ in range(3):
        opt2.zero_grad()
        ours_loss(w2, b2).backward()
        opt2.step()
    np.testing.assert_array_equal(np.concatenate([w2.data.ravel(), b2.data]), whole)


def test_load_state_dict_refuses_what_does_not_fit():
    w = Tensor(W0.copy(), requires_grad=True)
    opt = Adam([w], lr=0.1)
    opt.zero_grad()
    (w ** 2).sum().backward()
    opt.step()
    saved = opt.state_dict()
    two = [Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)]
    with pytest.raises(ValueError, match="had 1 parameters, this one has 2"):
        Adam(two).load_state_dict(saved)
    with pytest.raises(ValueError, match="exp_avg of parameter 0 has shape"):
        Adam([Tensor(B0, requires_grad=True)]).load_state_dict(saved)
    with pytest.raises(ValueError, match="settings"):
        SGD([Tensor(W0, requires_grad=True)], lr=0.1).load_state_dict(saved)


def test_a_single_tensor_is_one_parameter_and_a_repeated_one_steps_once():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = SGD(w, lr=0.5)  # no list: one parameter (PyTorch refuses this; we accept it)
    assert opt.params == [w]
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.data, [0.0, 0.0])  # w - 0.5 · 2w
    x = Value(3.0)
    opt = SGD([x, x, x], lr=0.1)  # given three times, stepped once
    assert len(opt.params) == 1
    (x * x).backward()
    opt.step()
    assert x.data == pytest.approx(3.0 - 0.1 * 6.0, rel=1e-15)
    with pytest.raises(TypeError, match="parameter groups"):
        SGD([{"params": [x]}], lr=0.1)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="nesterov"):
        SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW([Value(1.0)], weight_decay=-1.0)
    with pytest.raises(ValueError, match="betas"):
        Adam([Value(1.0)], betas=(1.0, 0.9))


def test_value_and_tensor_parameters_follow_the_same_formula():
    """Adam's formula on floats (Values) and in place on arrays (Tensors) give the same path."""
    w0 = [1.0, -2.0, 0.5]
    t = Tensor(w0, requires_grad=True)
    vs = [Value(x) for x in w0]
    opt_t, opt_v = AdamW(t, lr=0.1, weight_decay=0.1), AdamW(vs, lr=0.1, weight_decay=0.1)
    for _ in range(5):
        opt_t.zero_grad(), opt_v.zero_grad()
        (t ** 4 - 3 * t).sum().backward()
        sum(v ** 4 - 3 * v for v in vs).backward()
        opt_t.step(), opt_v.step()
    np.testing.assert_allclose(t.data, [v.data for v in vs], rtol=1e-14)
