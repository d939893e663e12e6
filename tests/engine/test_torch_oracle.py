"""The same expressions in tinygrad_edu and in PyTorch give the same gradients (skipped without torch)."""
import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, concatenate, stack, weighted_input

torch = pytest.importorskip("torch")


def both(f, *arrays):
    """Run f on tinygrad_edu Tensors and on torch tensors; return (ours, theirs) grads and outputs."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(ours, "tg")
    g = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(g)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = f(theirs, "torch")
    tout.backward(torch.tensor(g))
    assert np.allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(ours, theirs):
        assert np.allclose(a.grad, b.grad.numpy(), rtol=1e-11, atol=1e-12)


def act(t, name, lib):
    if lib == "tg":
        return getattr(t, name)()
    F = torch.nn.functional
    return {"exp": torch.exp, "log": torch.log, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "relu": torch.relu, "leaky_relu": F.leaky_relu,
            "hard_tanh": F.hardtanh}[name](t)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "relu", "leaky_relu", "hard_tanh"])
def test_activations_match_torch(rng, name):
    x = rng.uniform(-3, 3, (4, 5))
    x[0, :3] = [0.0, 1.0, -1.0]  # the corners: both libraries take the flat side's derivative
    both(lambda ts, lib: act(ts[0], name, lib), x)


def test_hard_sigmoid_matches_its_torch_composition(rng):
    # away from the corners ±2: torch.clamp passes the gradient at the bounds, we take the
    # flat side's 0 there (pinned in engine/test_activations.py)
    x = rng.uniform(-3, 3, (3, 4))
    both(lambda ts, lib: ts[0].hard_sigmoid() if lib == "tg"
         else torch.clamp(0.25 * ts[0] + 0.5, 0.0, 1.0) * 1.0, x)


def test_mlp_layer_and_costs(rng):
    X, W, b, T = rng.random((6, 12)), rng.standard_normal((3, 12)), rng.standard_normal(3), rng.random((6, 3))

    def f(ts, lib):
        x, w, bb, t = ts
        a = (x @ w.T + bb).sigmoid()
        return (0.5 * (t - a) ** 2).sum(axis=1)

    both(f, X, W, b, T)


def test_softmax_family_and_reductions(rng):
    x = rng.standard_normal((3, 4, 5))

    def f(ts, lib):
        t = ts[0]
        if lib == "tg":
            return t.log_softmax(axis=1).sum(axis=2) + t.softmax(axis=-1).max(axis=2) * t.mean(axis=(1, 2), keepdims=True)[:, :, 0]
        return (torch.log_softmax(t, 1).sum(2) + torch.softmax(t, -1).amax(2)
                * t.mean(dim=(1, 2), keepdim=True)[:, :, 0])

    both(f, x)


def test_shapes_indexing_and_joins(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))

    def f(ts, lib):
        x, y = ts
        if lib == "tg":
            j = concatenate([x, y], axis=1)
            s = stack([x, y], axis=0)
            return (j.permute(2, 0, 1).reshape(4, -1)[:, [0, 3, 3, 5]] ** 2).sum(axis=0) + s[1, 0, 0, 0] / (s[0, 1].sum() + 10)
        j = torch.cat([x, y], 1)
        s = torch.stack([x, y], 0)
        return (j.permute(2, 0, 1).reshape(4, -1)[:, [0, 3, 3, 5]] ** 2).sum(0) + s[1, 0, 0, 0] / (s[0, 1].sum() + 10)

    both(f, a, b)


def test_batched_matmul(rng):
    both(lambda ts, lib: ts[0] @ ts[1], rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2)))
    both(lambda ts, lib: ts[0] @ ts[1], rng.standard_normal(4), rng.standard_normal((3, 4, 2)))


def test_scalar_engine_matches_torch(rng):
    w = rng.standard_normal(4)
    x = rng.random(4)
    vs = [Value(float(v)) for v in w]
    z = weighted_input(vs, x.tolist(), 0.3)
    c = 0.5 * (1.0 - z.tanh()) ** 2 + (z / 3).exp().log() + z.relu() * z.sigmoid()
    c.backward()
    tw = torch.tensor(w, requires_grad=True)
    tz = (tw * torch.tensor(x)).sum() + 0.3
    tc = 0.5 * (1.0 - torch.tanh(tz)) ** 2 + torch.log(torch.exp(tz / 3)) + torch.relu(tz) * torch.sigmoid(tz)
    tc.backward()
    assert c.data == pytest.approx(tc.item(), rel=1e-13)
    assert np.allclose([v.grad for v in vs], tw.grad.numpy(), rtol=1e-12)
