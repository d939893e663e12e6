"""What a PyTorch user writes first means what it means in PyTorch, or is refused by name.

`values, idx = x.max(dim=1)` is a named pair, `grad` returns a tuple, `w -= lr * w.grad` under
`no_grad()` is gradient descent's step in place (§2-11), and the small idioms (`.float()`,
`.t()`, `.split`, `.var`, `.norm`, ...) give torch's values and gradients to 1e-10 in float64.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, float32, float64, grad, no_grad

X = np.array([[0.3, -1.2, 2.5, 0.7], [-0.4, 1.9, -2.2, 0.1], [1.1, -0.6, 0.9, -1.7]])


# -- max(dim=), min(dim=): the named pair (values, indices) -----------------------------------

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_a_named_pair(name: str, keepdim: bool) -> None:
    x = Tensor(X, requires_grad=True)
    result = getattr(x, name)(dim=1, keepdim=keepdim)
    values, idx = result  # on 3 rows this unpacks the pair, never the rows
    assert values is result.values and idx is result.indices
    assert result._fields == ("values", "indices")
    pick = np.argmax if name == "max" else np.argmin
    want_idx = pick(X, axis=1)
    assert idx.data.tolist() == (want_idx[:, None] if keepdim else want_idx).tolist()
    assert idx.dtype == np.int64 and not idx.requires_grad
    want = X[np.arange(3), want_idx]
    assert values.data.ravel().tolist() == want.tolist()
    values.sum().backward()
    one_hot = np.zeros_like(X)
    one_hot[np.arange(3), want_idx] = 1.0
    assert x.grad.tolist() == one_hot.tolist()


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_pair_against_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    tx = torch.tensor(X, requires_grad=True)
    x = Tensor(X, requires_grad=True)
    for dim in (0, 1, -1):
        t_values, t_idx = getattr(tx, name)(dim=dim)
        values, idx = getattr(x, name)(dim=dim)
        assert values.data.tolist() == t_values.tolist()
        assert idx.data.tolist() == t_idx.tolist()
        (t_values * 2.0).sum().backward()
        (values * 2.0).sum().backward()
        assert x.grad.tolist() == tx.grad.tolist()
    assert getattr(x, name)().item() == getattr(tx, name)().item()  # no dim: the element


# -- grad() returns a tuple, always --------------------------------------------------------------

def test_grad_returns_a_tuple_for_one_input() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x * x).sum()
    g = grad(y, x)
    assert isinstance(g, tuple) and len(g) == 1  # torch.autograd.grad's shape: (dx,)
    assert g[0].tolist() == [[2.0, 4.0], [6.0, 8.0]]  # g[0] is dx, not its first row
    (dx,) = grad((x * x).sum(), [x], create_graph=True)
    assert isinstance(dx, Tensor) and dx.data.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_grad_returns_a_tuple_for_values_and_lists() -> None:
    a, b = Value(3.0), Value(-2.0)
    y = a * a * b
    ga = grad(y, a)
    assert isinstance(ga, tuple) and len(ga) == 1 and ga[0] == -12.0
    both = grad(a * a * b, (a, b))
    assert isinstance(both, tuple) and both == (-12.0, 9.0)
    unused = grad(a * 2.0, [a, b], allow_unused=True)
    assert unused == (2.0, None)


# -- the optimizer's step in place -------------------------------------------------------------

def test_in_place_step_under_no_grad_updates_the_same_leaf() -> None:
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    x = Tensor([1.0, 2.0, 3.0])
    original, memory = w, w.data
    ((w * x).sum() ** 2).backward()  # C = (w·x)², ∂C/∂w = 2(w·x)x
    step = 2 * 4.5 * np.array([1.0, 2.0, 3.0])
    assert w.grad.tolist() == step.tolist()
    lr = 0.01
    with no_grad():
        w -= lr * w.grad
    assert w is original and w.data is memory  # the same tensor, the same array
    assert np.abs(w.data - (np.array([0.5, -1.0, 2.0]) - lr * step)).max() <= 1e-15
    assert w.grad_fn is None and w.requires_grad and w.is_leaf
    w.grad = None
    ((w * x).sum() ** 2).backward()  # the next step works on the updated weight
    assert np.abs(w.grad - 2 * float(w.data @ x.data) * x.data).max() <= 1e-12


@pytest.mark.parametrize("op", ["-=", "+=", "*=", "/="])
def test_in_place_on_a_weight_outside_no_grad_is_refused_naming_no_grad(op: str) -> None:
    w = Tensor([0.5, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"no_grad\(\)") as e:
        exec(f"w {op} 1.0", {}, {"w": w})
    assert op in str(e.value)
    assert w.data.tolist() == [0.5, -1.0]  # untouched


def test_in_place_on_a_result_is_recorded_as_a_new_node() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 3.0
    first = h
    h -= 1.0  # as `h = h - 1`: the result of an op may be changed, its history kept
    assert h is not first and h.grad_fn is not None
    h.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


# -- the small items -----------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [(0, 0), (1, -1), [0, 0]])
def test_sum_over_a_repeated_axis_raises(axis: Any) -> None:
    with pytest.raises(ValueError, match="repeats an axis"):
        Tensor(X).sum(axis=axis)
    with pytest.raises(ValueError, match="repeats an axis"):
        Tensor(X).sum(dim=tuple(axis))


def test_sum_over_two_different_axes_still_works() -> None:
    assert Tensor(X).sum(axis=(0, 1)).item() == pytest.approx(X.sum(), abs=1e-14)


def test_iterating_a_0d_tensor_raises() -> None:
    with pytest.raises(TypeError, match="0-d"):
        list(Tensor(5.0))
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(5.0))
    assert [t.item() for t in Tensor([1.0, 2.0])] == [1.0, 2.0]


def test_numpy_array_of_a_value_is_a_float_array() -> None:
    a = np.array(Value(2.0))
    assert a.dtype == np.float64 and a.shape == () and a == 2.0
    b = np.array([Value(1.5), Value(-0.5)])
    assert b.dtype == np.float64 and b.tolist() == [1.5, -0.5]


@pytest.mark.parametrize(("expr", "op"), [
    (lambda v: v + 10 ** 400, "add"), (lambda v: 10 ** 400 + v, "add"),
    (lambda v: v * 10 ** 400, "mul"), (lambda v: v - 10 ** 400, "sub"),
])
def test_a_huge_python_int_raises_overflow_naming_the_op(expr: Callable, op: str) -> None:
    with pytest.raises(OverflowError, match=rf"^{op}\b"):
        expr(Value(1.0))


# -- the idioms against torch: values and gradients to 1e-10 in float64 --------------------------

def build_cases(lib: Any) -> dict[str, Callable[[Any, Any], Any]]:
    """name -> f(x, m): x a (3, 4) leaf, m a (4, 2) leaf; `lib` gives dtypes (ours or torch's)."""
    f32, f64 = lib
    return {
        "float": lambda x, m: x.float() * 2.0,
        "double": lambda x, m: x.float().double() * 2.0,
        "to(float32)": lambda x, m: x.to(f32).to(f64) * 3.0,
        "to(float64) same": lambda x, m: x.to(f64) * 3.0,
        "pow": lambda x, m: x.pow(3),
        "pow tensor": lambda x, m: (x * x + 1.0).pow(m.t().sum(0, keepdim=True)[:, :4] * 0.0
                                                    + 0.5),
        "t": lambda x, m: x.t() @ x,
        "neg": lambda x, m: x.neg() * x,
        "matmul": lambda x, m: x.matmul(m),
        "expand": lambda x, m: x[:, :1].expand(3, 5) * x.sum(1, keepdim=True),
        "expand -1": lambda x, m: x[:1].expand(2, -1, -1) * 1.5,
        "repeat": lambda x, m: x.repeat(2, 1) * 1.5,
        "repeat more dims": lambda x, m: x.repeat(2, 1, 3) * 0.5,
        "split": lambda x, m: x.split(3, dim=1),
        "split sizes": lambda x, m: x.split([1, 2], dim=0),
        "chunk": lambda x, m: x.chunk(2, dim=1),
        "chunk uneven": lambda x, m: x.chunk(2, dim=0),
        "clamp": lambda x, m: x.clamp(-1.0, 1.0) * x,
        "clamp min": lambda x, m: x.clamp(min=0.0),
        "clamp max": lambda x, m: x.clamp(max=0.5),
        "masked_fill": lambda x, m: x.masked_fill(x > 0.5, -3.0) * x,
        "var": lambda x, m: x.var(),
        "var dim": lambda x, m: x.var(dim=1),
        "var biased keepdim": lambda x, m: x.var(dim=0, unbiased=False, keepdim=True),
        "std": lambda x, m: x.std(),
        "std dim": lambda x, m: x.std(dim=1, keepdim=True),
        "norm": lambda x, m: x.norm(),
        "norm dim": lambda x, m: x.norm(dim=1),
        "norm p=3": lambda x, m: x.norm(p=3, dim=0, keepdim=True),
        "norm p=1": lambda x, m: x.norm(p=1, dim=1),
        "requires_grad_": lambda x, m: x.detach().requires_grad_() * x,
    }


def outputs(result: Any) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def weights(name: str, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return [rng.normal(size=s) for s in shapes]


CASE_NAMES = sorted(build_cases((float32, float64)))
M = np.array([[0.4, -0.8], [1.3, 0.2], [-0.5, 0.9], [0.6, -1.1]])


@pytest.mark.parametrize("name", CASE_NAMES)
def test_idiom_against_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    ours = build_cases((float32, float64))[name]
    theirs = build_cases((torch.float32, torch.float64))[name]
    x, m = Tensor(X, requires_grad=True), Tensor(M, requires_grad=True)
    tx, tm = torch.tensor(X, requires_grad=True), torch.tensor(M, requires_grad=True)
    got, want = outputs(ours(x, m)), outputs(theirs(tx, tm))
    assert len(got) == len(want)
    tol = 1e-10
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == str(w.dtype).removeprefix("torch."), (g.dtype, w.dtype)
        if g.dtype == np.float32:
            tol = 1e-6  # float32 values: compared to float32's precision
        assert np.abs(g.data - w.detach().numpy()).max() <= tol * max(1.0, np.abs(g.data).max())
    cs = weights(name, [g.shape for g in got])
    sum(((g * Tensor(c, dtype=g.dtype)).sum() for g, c in zip(got, cs)), Tensor(0.0)).backward()
    sum((w * torch.tensor(c, dtype=w.dtype)).sum() for w, c in zip(want, cs)).backward()
    for ours_leaf, torch_leaf in ((x, tx), (m, tm)):
        if torch_leaf.grad is None:
            assert ours_leaf.grad is None or not np.any(ours_leaf.grad)
            continue
        assert ours_leaf.grad is not None and ours_leaf.grad.dtype == np.float64
        diff = np.abs(ours_leaf.grad - torch_leaf.grad.numpy()).max()
        assert diff <= tol * max(1.0, np.abs(torch_leaf.grad.numpy()).max()), diff


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_argmin_argmax_against_torch(dim: Any) -> None:
    torch = pytest.importorskip("torch")
    x, tx = Tensor(X), torch.tensor(X)
    kwargs = {} if dim is None else {"dim": dim}
    assert x.argmin(**kwargs).data.tolist() == tx.argmin(**kwargs).tolist()
    assert x.argmax(**kwargs).data.tolist() == tx.argmax(**kwargs).tolist()
    if dim is not None:
        assert x.argmin(dim, keepdim=True).shape == tuple(tx.argmin(dim, keepdim=True).shape)


def test_requires_grad_is_in_place_and_refused_on_a_result() -> None:
    x = Tensor(X)
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_float_and_double_dtypes() -> None:
    x = Tensor(X, requires_grad=True)
    f = x.float()
    assert f.dtype == np.float32 and f.double().dtype == np.float64
    assert x.double() is x and x.to(np.float64) is x and x.to("cpu") is x
    (f * 2.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == np.full_like(X, 2.0).tolist()
    assert math.isclose(f.data[0, 0], np.float32(0.3), rel_tol=0.0)
