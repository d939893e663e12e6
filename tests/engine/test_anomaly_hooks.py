"""Anomaly mode names the op and the user's line at the first NaN/inf; hooks see (and may
replace) each gradient as it arrives, which is how a learner watches δ reach each unit (§4-3)."""

from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest

from tinygrad_edu.engine.ops import divide
from tinygrad_edu import (AnomalyError, Function, Tensor, Value, detect_anomaly, grad,
                          name_scope, record_sites, weighted_input)

HERE = os.path.basename(__file__)


def _next_line() -> int:
    return inspect.currentframe().f_back.f_lineno + 1


class Sqrt(Function):
    """√x: finite at 0, but its derivative 1/(2√x) is inf there."""

    @staticmethod
    def forward(ctx, x):
        r = x ** 0.5
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, grad):
        (r,) = ctx.saved_values
        return grad * divide(0.5, r)  # 1/(2√x), inf at 0


# -- anomaly mode: forward -----------------------------------------------------------------------

def test_log_of_a_negative_number_names_op_and_line():
    x = Value(-1.0)
    with detect_anomaly():
        with pytest.raises(AnomalyError) as e:
            line = _next_line()
            (x * 2.0).log()
    msg = str(e.value)
    assert msg.startswith("log: forward result holds NaN or inf")
    assert f"{HERE}:{line} in test_log_of_a_negative_number_names_op_and_line" in msg


def test_zero_over_zero_on_tensors():
    a = Tensor([1.0, 0.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as e:
        line = _next_line()
        _ = a / (a * 0.0)
    assert "div: forward result" in str(e.value) and f"{HERE}:{line}" in str(e.value)


def test_exp_overflow_is_an_anomaly():
    with detect_anomaly(), pytest.raises(AnomalyError, match="exp: forward result"):
        Value(800.0).exp()


def test_outside_anomaly_mode_nan_just_propagates():
    y = Value(-1.0).log() * 2.0
    assert math.isnan(y.data)
    assert y.created_at is None


# -- anomaly mode: backward ----------------------------------------------------------------------

def test_inf_gradient_in_backward_names_the_op_that_made_it():
    x = Value(0.0)
    with detect_anomaly():
        line = _next_line()
        r = Sqrt.apply(x)  # forward 0.0 is fine
        y = r * 3.0 + 1.0
        assert y.data == 1.0
        with pytest.raises(AnomalyError) as e:
            y.backward()
    msg = str(e.value)
    assert msg.startswith("Sqrt:") and "gradient" in msg and f"{HERE}:{line}" in msg


def test_pow_one_half_at_zero_in_backward_on_tensors():
    x = Tensor([4.0, 0.0], requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = (x ** 0.5).sum()
        with pytest.raises(AnomalyError) as e:
            y.backward()
    assert str(e.value).startswith("pow:") and f"{HERE}:{line}" in str(e.value)


def test_the_graph_built_in_anomaly_mode_can_be_checked_after():
    x = Value(0.0)
    with detect_anomaly():
        y = Sqrt.apply(x)
    y.backward()  # outside the block: no check, the inf goes through
    assert x.grad == math.inf


def test_anomaly_mode_is_restored_after_an_error():
    with pytest.raises(AnomalyError):
        with detect_anomaly():
            Value(-1.0).log()
    y = Value(-1.0).log()  # no error now
    assert math.isnan(y.data) and y.created_at is None


def test_record_sites_records_without_raising():
    with record_sites():
        line = _next_line()
        y = Value(-1.0).log()
    assert math.isnan(y.data)
    assert y.created_at.endswith(f"{HERE}:{line} in test_record_sites_records_without_raising")


# -- hooks ---------------------------------------------------------------------------------------

def test_leaf_hook_sees_the_gradient_and_can_replace_it():
    x = Value(3.0)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * x).backward()
    assert seen == [6.0] and x.grad == 6.0
    x.zero_grad()
    x.register_hook(lambda g: g * 10.0)
    (x * x).backward()
    assert seen == [6.0, 6.0] and x.grad == 60.0


def test_intermediate_hook_replacement_flows_to_the_inputs():
    x = Value(2.0)
    h = x * x  # dh/dx = 4
    h.register_hook(lambda g: g * 0.5)
    y = h * 3.0
    y.backward()
    assert h.grad == 1.5  # the stored gradient is the replaced one
    assert x.grad == 1.5 * 4.0


def test_removed_hook_is_not_called():
    t = Tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = t.register_hook(lambda g: calls.append(g.copy()))
    (t * t).sum().backward()
    handle.remove()
    handle.remove()  # twice is harmless
    (t * t).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [2.0, 4.0])
    np.testing.assert_array_equal(t.grad, [4.0, 8.0])


def test_several_hooks_run_in_order_each_seeing_the_previous_result():
    x = Value(1.0)
    log = []
    x.register_hook(lambda g: (log.append(("first", g)), g + 1.0)[1])
    x.register_hook(lambda g: log.append(("second", g)))
    (x * 5.0).backward()
    assert log == [("first", 5.0), ("second", 6.0)] and x.grad == 6.0


def test_hook_on_a_tensor_gets_the_summed_gradient_once():
    a = Tensor([1.0, -1.0], requires_grad=True)
    h = a * 2.0
    calls = []
    h.register_hook(lambda g: calls.append(g.copy()))
    (h.sum() + (h * h).sum()).backward()  # two users of h: one call with the total
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 1.0 + 2 * h.data)


def test_hooks_run_under_grad_too():
    x = Value(0.5)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    s = 1 / (1 + math.exp(-0.5))
    assert grad(x.sigmoid(), x)[0] == pytest.approx(s * (1 - s))
    assert seen and x.grad == 0.0


def test_register_hook_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)


def test_hooks_deliver_the_book_delta_of_each_unit():
    """A 2-2-1 sigmoid net: hooks on each weighted input z receive ∂C/∂z = δ, equal to the
    book's formulas (§4-3): δ_out = (a - t) a(1 - a), δ_i = δ_out w_i a_i(1 - a_i)."""
    x, t = [0.4, 0.9], 1.0
    W = [[0.1, -0.3], [0.6, 0.2]]
    b = [0.05, -0.1]
    v, c = [0.7, -0.5], 0.2
    deltas: dict[str, float] = {}
    order: list[str] = []

    def watch(name):
        def hook(g):
            deltas[name] = g
            order.append(name)
        return hook

    Wv = [[Value(w) for w in row] for row in W]
    with name_scope("net", "network"):
        z_hidden = [weighted_input(w, x, Value(bi)) for w, bi in zip(Wv, b)]
        for name, z in zip("AB", z_hidden):
            z.register_hook(watch(name))
        a_hidden = [z.sigmoid() for z in z_hidden]
        z_out = weighted_input([Value(w) for w in v], a_hidden, Value(c))
        z_out.register_hook(watch("out"))
        a_out = z_out.sigmoid()
        C = 0.5 * (t - a_out) ** 2
    C.backward()
    a_o = a_out.data
    d_out = (a_o - t) * a_o * (1 - a_o)
    assert deltas["out"] == pytest.approx(d_out, rel=1e-12)
    for i, name in enumerate("AB"):
        a_i = a_hidden[i].data
        assert deltas[name] == pytest.approx(d_out * v[i] * a_i * (1 - a_i), rel=1e-12)
    assert order[0] == "out" and sorted(order[1:]) == ["A", "B"]  # δ travels backwards
    # ∂C/∂w = δ · a(previous): the weights' gradients follow from the watched δ
    assert Wv[1][0].grad == pytest.approx(deltas["B"] * x[0], rel=1e-12)


def test_watch_delta_demo_runs(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "demos" / "watch_delta.py"
    spec = importlib.util.spec_from_file_location("watch_delta", path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    arrivals = demo.main([])
    out = capsys.readouterr().out
    assert "delta" in out
    # every unit of the hidden and output layers reports once, the outputs first
    assert len(arrivals) == 5 and arrivals[0][0].startswith("layers.1")
    assert all(a[0].startswith("layers.0") for a in arrivals[2:])
    # and they are the book's δ (§4-3) for image No.1 at the §4-4 start values
    from tinygrad_edu.book.delta import nn_forward
    from tinygrad_edu.datasets import book_digits_4x3, book_nn_params

    X, T = book_digits_4x3(one_hot=True)
    p = book_nn_params("4-4-initial")
    f = nn_forward(p, X[:1])
    d3 = (f.a3[0] - T[0]) * f.a3[0] * (1 - f.a3[0])
    d2 = (p["W3"].T @ d3) * f.a2[0] * (1 - f.a2[0])
    got = dict(arrivals)
    expected = {"layers.1/0": d3[0], "layers.1/1": d3[1], "layers.0/A": d2[0],
                "layers.0/B": d2[1], "layers.0/C": d2[2]}
    assert got == pytest.approx(expected, rel=1e-12)


# -- the tools' hook point: recorders -------------------------------------------------------------

def test_a_recorder_sees_every_op_recorded_in_its_block_and_nothing_else():
    from tinygrad_edu import recording

    seen = []
    x = Tensor([1.0, 2.0], requires_grad=True)
    before = x * 2.0
    with recording(seen.append):
        y = (x * 3.0).exp()
        with name_scope("layer"):
            z = y.sum()
        from tinygrad_edu import no_grad
        with no_grad():
            x * 5.0  # nothing is recorded, so no recorder runs
    after = x * 4.0
    assert [n.grad_fn.name() for n in seen] == ["mul", "exp", "sum"]
    assert seen[1] is y and seen[2] is z
    assert z.scope == (name_scope("layer").scope,) and y.scope == () == after.scope
    assert all(n is not before and n is not after for n in seen)


def test_tools_data_lives_only_on_the_nodes_a_recorder_tagged():
    x = Tensor([1.0, 2.0], requires_grad=True)
    plain = x * 2.0
    with record_sites():
        tagged = x * 2.0
    assert vars(plain) == {} and "created_at" not in vars(plain.grad_fn)  # nothing for tools
    assert vars(tagged) == {} and vars(tagged.grad_fn)["created_at"] == tagged.created_at
    assert tagged.created_at.startswith(__file__) and plain.created_at is None


def test_recorders_belong_to_one_thread():
    import threading

    from tinygrad_edu import recording

    seen, other = [], []
    x = Tensor([1.0], requires_grad=True)
    started, done = threading.Event(), threading.Event()

    def worker():
        started.wait()
        other.append(x * 2.0)
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    with recording(seen.append):
        started.set()
        done.wait()
        mine = x * 3.0
    t.join()
    assert seen == [mine]
