"""check_graph: every op's backward checked where it sits; a planted wrong op is named, with its
input shapes, its module path, and the file and line that created it."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

from tinygrad_edu import (Function, GraphReport, Tensor, Value, check_graph, detect_anomaly,
                          name_scope, record_sites, weighted_input)

HERE = os.path.basename(__file__)


class BadSquare(Function):
    """x² whose backward forgot the factor 2: the op a learner might write by mistake."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_values
        return grad * x


class GoodSquare(BadSquare):
    """x², with the factor 2 its backward needs."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_values
        return grad * 2.0 * x


def _line() -> int:
    """The line number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


def _tensor_net(square: type[Function], sites: bool = True):
    """A 4-3-2 network on 8 samples, with `square` planted after the hidden layer."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((8, 4)))
    W1 = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b1 = Tensor(rng.standard_normal(3), requires_grad=True)
    W2 = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    t = rng.uniform(size=(8, 2))
    switch = record_sites() if sites else name_scope("net", "network")
    with switch, name_scope("MLP", "network"):
        with name_scope("layers.0", "layer"):
            a1 = (X @ W1.T + b1).sigmoid()
        with name_scope("layers.1", "layer"):
            line = _line()
            z2 = square.apply(a1) @ W2.T
            a2 = z2.sigmoid()
        C_T = (0.5 * (t - a2) ** 2).sum()
    return C_T, line


def test_a_correct_network_passes():
    C_T, _ = _tensor_net(GoodSquare)
    report = check_graph(C_T)
    assert isinstance(report, GraphReport)
    assert bool(report) and report.failures == [] and report.first_failure is None
    # transpose, matmul, add, sigmoid | GoodSquare, transpose, matmul, sigmoid | sub, pow, mul, sum
    assert [c.name for c in report] == ["transpose", "matmul", "add", "sigmoid", "GoodSquare",
                                        "transpose", "matmul", "sigmoid", "sub", "pow", "mul",
                                        "sum"]
    assert all(c.max_error < 1e-7 for c in report)
    assert str(report).startswith("check_graph: all 12 op(s) agree with finite differences "
                                  "(eps=1e-06, atol=1e-05, rtol=0.001)")


def test_a_planted_wrong_function_is_named_with_shapes_scope_and_line():
    C_T, line = _tensor_net(BadSquare)
    report = check_graph(C_T)
    assert not report
    first = report.first_failure
    assert first.name == "BadSquare" and first.status == "mismatch" and first.position == 5
    assert first.input_shapes == ("(8, 3)",)
    assert first.scope == "MLP/layers.1"
    assert first.created_at.endswith(f"{HERE}:{line} in _tensor_net")
    assert len(report.failures) == 1  # the ops around it are fine
    text = str(report)
    assert "op 5 of 12, 'BadSquare', disagrees" in text
    assert "inputs: (8, 3)" in text and "module: MLP/layers.1" in text
    assert f"{HERE}:{line}" in text
    # backward gives v·x, the truth is 2 v·x: the reported numbers differ by a factor 2
    detail = first.detail
    bp = float(detail.split("backward gives ")[1].split(",")[0])
    fd = float(detail.split("finite differences give ")[1].split(" ")[0])
    assert fd == pytest.approx(2 * bp, rel=1e-6)


def test_without_recorded_sites_the_report_says_how_to_get_them():
    C_T, _ = _tensor_net(BadSquare, sites=False)
    report = check_graph(C_T)
    assert report.first_failure.created_at is None
    assert "record_sites()" in str(report) and "detect_anomaly()" in str(report)


def test_scalar_network_under_detect_anomaly():
    """The same mistake in a Value network: a 2-2-1 net of units z = w·x + b."""
    w = [[Value(0.3), Value(-0.8)], [Value(1.1), Value(0.4)]]
    b = [Value(0.1), Value(-0.2)]
    v, c = [Value(0.7), Value(-1.3)], Value(0.05)
    with detect_anomaly():
        a = [weighted_input(wi, [0.5, 1.0], bi).sigmoid() for wi, bi in zip(w, b)]
        line = _line()
        h = [a[0] * 1.0, BadSquare.apply(a[1])]
        out = weighted_input(v, h, c).sigmoid()
        C = 0.5 * (1.0 - out) ** 2
    report = check_graph(C)
    assert [c.name for c in report.failures] == ["BadSquare"]
    assert report.first_failure.input_shapes == ("scalar",)
    assert f"{HERE}:{line}" in str(report)


def test_first_disagreeing_op_is_the_one_nearest_the_inputs():
    x = Tensor([0.3, -0.2], requires_grad=True)
    with record_sites():
        line = _line()
        y = BadSquare.apply(x.exp())
        z = BadSquare.apply(y.tanh()).sum()
    report = check_graph(z)
    assert [c.position for c in report.failures] == [2, 4]
    assert f"{HERE}:{line}" in str(report) and "1 more op(s) disagree: op 4 'BadSquare'" in str(
        report)


def test_corners_are_accepted_between_the_one_sided_slopes():
    x = Value(0.0)
    # relu at 0 (slopes 0 and 1), hard_tanh at ±1, hard_sigmoid at -2, step at 0 (zero rule)
    y = x.relu() + (x + 1.0).hard_tanh() + (x - 1.0).hard_tanh() + (x - 2.0).hard_sigmoid() + \
        (x * 3.0).step() + x.leaky_relu(0.1)
    report = check_graph(y)
    assert report, str(report)
    assert sum(c.corners for c in report) == 6
    # ties in max share the gradient equally: exactly the central difference, no corner needed
    t = Tensor([[1.0, 1.0, 0.5], [2.0, -1.0, 2.0]], requires_grad=True)
    report = check_graph(t.max(axis=1).sum())
    assert report and report.checks[0].corners == 0 and report.checks[0].max_error < 1e-9


def test_a_wrong_rule_at_a_corner_is_still_caught():
    class BadReLU(Function):
        @staticmethod
        def forward(ctx, z):
            return max(z, 0.0)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0  # outside [0, 1]: no one-sided slope justifies it

    assert not check_graph(BadReLU.apply(Value(0.0)))


def test_surrogate_gradients_are_skipped_and_listed():
    x = Tensor([0.5, -0.5], requires_grad=True)
    report = check_graph((x.step("ste") + x.step("sigmoid") + x.step()).sum())
    assert report
    assert [c.status for c in report][:2] == ["skipped", "skipped"]
    assert "step: surrogate gradient by design" in str(report)


def test_an_operand_modified_in_place_is_reported_stale():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data *= 3.0  # an in-place update after the forward: backward would use stale numbers
    report = check_graph(y)
    assert report.first_failure.name == "mul" and report.first_failure.status == "stale"
    assert "modified in place" in str(report)


def test_float32_graphs_are_checked_in_float64():
    x = Tensor(np.array([0.1, 0.7, -0.3], dtype=np.float32), requires_grad=True)
    report = check_graph((x.sigmoid() * x.tanh()).sum())
    assert report and report.n_ops == 4
    assert all(c.max_error < 1e-6 for c in report)  # float32 differences would be ~1e-2


def test_large_inputs_use_random_directions():
    rng = np.random.default_rng(1)
    A = Tensor(rng.standard_normal((30, 20)), requires_grad=True)  # 600 elements > 100
    assert check_graph((A @ A.T).sum())
    bad = check_graph(BadSquare.apply(A).sum())
    assert "along random direction 1" in bad.first_failure.detail


@pytest.mark.slow
def test_deep_graph_is_walked_iteratively():
    x = Value(0.1)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0001
    report = check_graph(y)
    assert report and report.n_ops == 10000


def test_a_leaf_has_nothing_to_check():
    report = check_graph(Value(1.0))
    assert report and report.n_ops == 0
    with pytest.raises(TypeError):
        check_graph(1.0)


def test_the_book_demon_network_on_the_scalar_engine():
    """§3-5's 12-3-2 network at its initial parameters, all 64 images: every op agrees."""
    from tinygrad_edu.datasets import book_digits_4x3, book_nn_params

    X, T = book_digits_4x3(one_hot=True)
    p = book_nn_params("3-5-initial")
    W2 = [[Value(w) for w in row] for row in p["W2"]]
    b2 = [Value(b) for b in p["b2"]]
    W3 = [[Value(w) for w in row] for row in p["W3"]]
    b3 = [Value(b) for b in p["b3"]]
    C_T = Value(0.0, requires_grad=False)
    for x, t in zip(X[:8], T[:8]):
        a2 = [weighted_input(w, list(x.ravel()), b).sigmoid() for w, b in zip(W2, b2)]
        a3 = [weighted_input(w, a2, b).sigmoid() for w, b in zip(W3, b3)]
        C_T = C_T + sum(0.5 * (tk - ak) ** 2 for tk, ak in zip(t, a3))
    report = check_graph(C_T)
    assert report, str(report)
