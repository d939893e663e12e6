"""Versions on memory: a saved operand changed in place before backward is refused by name.

A layer's gradient ∂C/∂W = δᵀ X (§4-3) reads the data batch X the forward saw.  Changing X in
place between forward and backward, on the tensor or through any view of its memory (reshape,
.T, a slice, detach()), would give the gradient of numbers the forward never used, so backward
raises, naming the op.  An optimizer step after backward stays legal.  And `x ** 0` passes an
infinite upstream gradient on as 0, as PyTorch does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, no_grad

X0 = np.arange(12.0).reshape(4, 3) / 10


def weight() -> Tensor:
    return Tensor(np.array([[0.5, -1.0, 0.25], [1.0, 0.5, -0.5]]), requires_grad=True)


def forward(W: Tensor, X: Tensor) -> Tensor:
    """C = Σ σ(X Wᵀ): matmul saves X (the data, no gradient) for ∂C/∂W = δᵀ X."""
    return (X @ W.T).sigmoid().sum()


def expected_grad(W: Tensor) -> np.ndarray:
    a = 1.0 / (1.0 + np.exp(-(X0 @ W.data.T)))
    return (a * (1 - a)).T @ X0


def data_minus_one(X: Tensor) -> None:
    X.data -= 1


def in_place_under_no_grad(X: Tensor) -> None:
    with no_grad():
        X -= 1


def through(view: Callable[[Tensor], Tensor], how: Callable[[Tensor], None]) -> Callable:
    return lambda X: how(view(X))


VIEWS = {
    "reshape": lambda X: X.reshape(3, 4),
    "reshape-1": lambda X: X.reshape(-1),
    ".T": lambda X: X.T,
    "slice": lambda X: X[0:2],
    "detach": lambda X: X.detach(),
}
def in_place(X: Tensor) -> None:
    X -= 1  # X needs no gradient: in place even outside no_grad(), as in PyTorch


DIRECT = {"X.data -= 1": data_minus_one, "no_grad: X -= 1": in_place_under_no_grad,
          "X -= 1": in_place}
CHANGES = dict(DIRECT)
for view_name, view in VIEWS.items():
    for how_name, how in DIRECT.items():
        CHANGES[f"{view_name} then {how_name}"] = through(view, how)


def test_unchanged_data_gives_the_right_gradient() -> None:
    W, X = weight(), Tensor(X0.copy())
    forward(W, X).backward()
    assert np.abs(W.grad - expected_grad(W)).max() <= 1e-12


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_data_changed_in_place_before_backward_raises_naming_the_op(change: str) -> None:
    W, X = weight(), Tensor(X0.copy())
    assert not X.requires_grad
    cost = forward(W, X)
    CHANGES[change](X)
    assert X.data[0, 0] != X0[0, 0] or X.data[0, 1] != X0[0, 1]  # the change reached X
    with pytest.raises(RuntimeError, match=r"^matmul: .*changed in place") as e:
        cost.backward()
    assert "(4, 3)" in str(e.value)  # the operand is named by its shape
    assert W.grad is None  # nothing wrong was stored


def test_a_saved_result_changed_in_place_raises() -> None:
    """σ's rule reads its result a = σ(z) (σ' = a(1 − a)): changing a in place is refused."""
    W = weight()
    a = (Tensor(X0) @ W.T).sigmoid()
    cost = a.sum()
    with no_grad():
        a -= 1.0
    with pytest.raises(RuntimeError, match="changed in place"):
        cost.backward()
    assert W.grad is None


def test_view_changed_by_index_assignment_is_seen() -> None:
    W, X = weight(), Tensor(X0.copy())
    cost = forward(W, X)
    v = X.reshape(12)
    v.data[3] = 7.0  # an element of the view's memory: X[1, 0]
    v.data = v.data  # the same array assigned back: counted as a change
    assert X.data[1, 0] == 7.0
    with pytest.raises(RuntimeError, match="matmul"):
        cost.backward()


def test_new_memory_for_the_data_is_not_a_change() -> None:
    """`X.data = new_array` gives X new memory: the op keeps the array it saw."""
    W, X = weight(), Tensor(X0.copy())
    cost = forward(W, X)
    X.data = X0 - 1.0
    cost.backward()
    assert np.abs(W.grad - expected_grad(W)).max() <= 1e-12


def test_a_copy_changed_in_place_is_not_a_change() -> None:
    W, X = weight(), Tensor(X0.copy())
    cost = forward(W, X)
    c = Tensor(X.data.copy())
    c.data -= 1
    cost.backward()
    assert np.abs(W.grad - expected_grad(W)).max() <= 1e-12


def test_weight_changed_before_backward_raises() -> None:
    W, X = weight(), Tensor(X0.copy())
    cost = forward(W, X)
    with no_grad():
        W -= 0.1
    with pytest.raises(RuntimeError, match="changed in place"):
        cost.backward()


def test_optimizer_step_after_backward_stays_legal() -> None:
    """Gradient descent (§2-11): backward, then W ← W − η ∂C/∂W in place, then a new forward."""
    W, X, lr = weight(), Tensor(X0.copy()), 0.5
    before = W.data.copy()
    losses = []
    for _ in range(3):
        W.zero_grad()
        cost = forward(W, X)
        losses.append(cost.item())
        cost.backward()
        g = expected_grad(W)
        assert np.abs(W.grad - g).max() <= 1e-12  # the gradient at the current W
        with no_grad():
            W -= lr * W.grad
        assert not W.grad_fn and W.requires_grad
    assert np.abs(W.data - before).max() > 0.01
    assert losses[0] != losses[1] != losses[2]
    W.data -= 0.0  # `.data -= ` after backward: legal too
    forward(W, X).backward()


# -- x ** 0: an infinite upstream gradient gives 0 ---------------------------------------------

BASES = [1.0, 2.0, 0.0, -3.0]


def test_tensor_pow_zero_passes_inf_on_as_zero() -> None:
    x = Tensor(BASES, requires_grad=True)
    y = x ** 0
    (y * math.inf).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_pow_zero_with_a_hook_returning_inf() -> None:
    x = Tensor(BASES, requires_grad=True)
    y = x ** 0.0
    y.register_hook(lambda g: g * math.inf)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("base", BASES)
def test_value_pow_zero_passes_inf_on_as_zero(base: float) -> None:
    x = Value(base)
    (x ** 0 * math.inf).backward()
    assert x.grad == 0.0
    x = Value(base)
    (x ** Value(0.0, requires_grad=False) * math.inf).backward()
    assert x.grad == 0.0


def pow_tensor_exponent() -> tuple[list[float], Tensor]:
    """x ** b with b a Tensor, b = 0 at three places, an infinite upstream gradient."""
    x = Tensor(BASES, requires_grad=True)
    b = Tensor([0.0, 1.0, 0.0, 0.0])
    (x ** b * math.inf).sum().backward()
    return x.grad.tolist(), x


def test_tensor_exponent_zero_passes_inf_on_as_zero() -> None:
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        got, _ = pow_tensor_exponent()
    assert got == [0.0, math.inf, 0.0, 0.0]  # b = 0: 0; x = 2, b = 1: ∞ · 1 · 2⁰


def test_tensor_exponent_zero_gives_no_numpy_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got, _ = pow_tensor_exponent()
    assert got == [0.0, math.inf, 0.0, 0.0]


def test_pow_zero_against_torch() -> None:
    torch = pytest.importorskip("torch")
    tx = torch.tensor(BASES, dtype=torch.float64, requires_grad=True)
    (tx ** 0 * math.inf).sum().backward()
    x = Tensor(BASES, requires_grad=True)
    (x ** 0 * math.inf).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()

    tx = torch.tensor(BASES, dtype=torch.float64, requires_grad=True)
    (tx ** torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=torch.float64) * math.inf).sum().backward()
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        got, _ = pow_tensor_exponent()
    assert got == tx.grad.tolist()


def test_a_value_weight_is_updated_in_place_under_no_grad() -> None:
    from tinygrad_edu import Value, no_grad

    w, x = Value(1.0), Value(2.0)
    (w * x).backward()
    before = w
    with no_grad():
        w -= 0.1 * w.grad  # the weight itself changes, as a Tensor's does
    assert w is before and w.data == pytest.approx(0.8) and w.requires_grad
    w.zero_grad()
    (w * x).backward()
    assert w.grad == 2.0
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0


def test_only_ops_that_read_what_they_saved_refuse_a_change() -> None:
    # as in PyTorch: `+` and `sum` read nothing of their operands in backward, a product does
    X = Tensor(np.ones((2, 3)))
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    added = (X + W).sum()
    multiplied = (X * W).sum()
    with no_grad():
        X -= 1.0
    added.backward()
    assert W.grad.tolist() == [[1.0] * 3] * 2
    with pytest.raises(RuntimeError, match="mul: "):
        multiplied.backward()
