"""Smoke test of benchmarks/ (issue 6): the harness imports, every reference runs once at the
smallest size and agrees with the numpy references, and the numpy references' gradients agree
with finite differences (float64, central differences). Parts whose optional package is
missing are skipped. No assertion here is about speed (a loaded machine must not fail a test):
the timings themselves are the business of `python -m benchmarks`. The runs of whole workloads
are marked slow."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from benchmarks import compat, registry, suite, tinygrad_edu_slots
from benchmarks import w1_book_network as w1
from benchmarks import w2_scalar_graphs as w2
from benchmarks import w3_digits_mlp as w3
from benchmarks import w4_ops as w4
from benchmarks.__main__ import parse_args
from benchmarks.harness import Budget, Result, fill_ratios, fmt_time, markdown_table, text_table, time_calls
from benchmarks.registry import Case
from benchmarks.runner import run_timed_case

TINY = Budget(quick=True, repeats=2, warmup=0, min_repeat_s=0.0, step_repeat_s=0.0, scalar_ops=200, scalar_repeats=1)


def central_difference(f, params: dict[str, np.ndarray], name: str, index: tuple[int, ...], h: float = 1e-6) -> float:
    """(f(θ + h e) − f(θ − h e)) / 2h for one parameter θ = params[name][index]."""
    saved = params[name][index]
    params[name][index] = saved + h
    up = f(params)
    params[name][index] = saved - h
    down = f(params)
    params[name][index] = saved
    return (up - down) / (2 * h)


# ------------------------------------------------------------ W1


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_w1_numpy_delta_method_matches_finite_differences(activation: str) -> None:
    problem = w1.book_problem(activation)
    params = {k: v.copy() for k, v in problem.init.items()}
    grads = w1.gradients(params, problem.X, problem.T, activation)
    cost = lambda p: w1.cost(p, problem.X, problem.T, activation)  # noqa: E731
    for name, index in [("W2", (0, 5)), ("W2", (2, 11)), ("b2", (1,)), ("W3", (1, 2)), ("b3", (0,))]:
        fd = central_difference(cost, params, name, index)
        assert grads[name][index] == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, index)
    assert all(np.abs(g).max() > 1e-3 for g in grads.values())  # the checks above are not 0 == 0


def test_w1_book_data_and_one_step_lower_the_cost() -> None:
    problem = w1.book_problem("sigmoid")
    assert problem.X.shape == (64, 12) and problem.T.shape == (64, 2)
    assert problem.T[:32, 0].all() and problem.T[32:, 1].all()  # images 1-32 are "0", 33-64 "1"
    assert problem.init["W2"][0, 0] == 0.49 and problem.eta == 0.2
    before = w1.cost(problem.init, problem.X, problem.T, "sigmoid")
    after = w1.cost(w1.expected_after_one_step(problem), problem.X, problem.T, "sigmoid")
    assert after < before


@pytest.mark.parametrize(
    "activation, impl, package",
    [("sigmoid", "torch", "torch"), ("sigmoid", "dezero", "dezero"), ("relu", "micrograd", "micrograd")],
)
@pytest.mark.slow
def test_w1_references_agree_with_numpy_after_one_step(activation: str, impl: str, package: str) -> None:
    try:
        compat.require(package)
    except compat.Unavailable as exc:
        pytest.skip(str(exc))
    entry = next(e for e in registry.entries("W1", activation) if e.impl == impl)
    problem = w1.book_problem(activation)
    w1.check_one_step(entry.factory(problem), problem)  # raises if any parameter is off by > 1e-9


@pytest.mark.slow
def test_w1_run_times_every_available_reference() -> None:
    rows = w1.run(TINY)
    numpy_rows = [r for r in rows if r.impl == w1.NUMPY]
    assert len(numpy_rows) == 2 and all(r.status == "ok" and r.median_s > 0 for r in numpy_rows)
    assert not [r for r in rows if r.status == "error"], [r.notes for r in rows if r.status == "error"]
    sigmoid_numpy = next(r for r in numpy_rows if "sigmoid" in r.case)
    assert sigmoid_numpy.ratio == 1.0 and sigmoid_numpy.peak_bytes > 0


# ------------------------------------------------------------ W2


@pytest.mark.parametrize("shape", w2.SHAPES)
def test_w2_graphs_give_the_exact_gradient(shape: str) -> None:
    pytest.importorskip("micrograd")
    for n in (1, 2, 51):
        graph = w2.micrograd_graph(shape, n)
        assert graph.backward(graph.build()) == pytest.approx(w2.expected_grad(shape, n), rel=1e-12)
    assert w2.expected_grad("fanout", 8) == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 1
    assert w2.op_count("fanout", 100_000) == 199_999


@pytest.mark.slow
def test_w2_run_reports_per_op_times_and_doubling() -> None:
    pytest.importorskip("micrograd")
    rows = [r for r in w2.run(TINY) if r.impl == "micrograd"]
    assert len(rows) == 4 and all(r.status == "ok" for r in rows)
    for r in rows:  # reported, whatever the numbers are (memory, unlike time, does not vary)
        assert math.isfinite(r.median_s) and r.median_s > 0
        assert 100 < r.extra["peak_bytes_per_op"] < 100_000
        assert math.isfinite(r.extra["doubling"]) and r.extra["doubling"] > 0


# ------------------------------------------------------------ W3


def test_w3_numpy_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(0, 0.3, (128, 64)), "b1": rng.normal(0, 0.3, 128),
              "W2": rng.normal(0, 0.3, (10, 128)), "b2": rng.normal(0, 0.3, 10)}
    X, Y = rng.random((5, 64)), np.eye(10)[[3, 1, 4, 1, 5]]
    grads = w3.mlp_gradients(params, X, Y)
    loss = lambda p: w3.mlp_loss(p, X, Y)  # noqa: E731
    for name, index in [("W1", (7, 20)), ("b1", (90,)), ("W2", (3, 17)), ("b2", (4,))]:
        fd = central_difference(loss, params, name, index)
        assert grads[name][index] == pytest.approx(fd, rel=1e-6, abs=1e-9), (name, index)


def test_w3_numpy_adam_matches_pytorch_formula_first_step() -> None:
    p = {"w": np.array([1.0, -2.0])}
    adam = w3.NumpyAdam(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    adam.step({"w": np.array([0.5, -4.0])})
    # t = 1: m̂ = g, v̂ = g², so each parameter moves by lr · g / (|g| + eps) ≈ lr · sign(g)
    assert p["w"] == pytest.approx([0.9, -1.9], abs=1e-7)


@pytest.mark.slow
def test_w3_torch_learns_the_same_numbers_as_numpy() -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    problem = w3.digits_problem()
    assert problem.X_train.shape == (1347, 64) and problem.X_test.shape == (450, 64)
    batches = problem.batches(0)
    assert len(batches) == 43 and sum(len(b) for b in batches) == 1347
    ref, tor = w3.numpy_trainer(problem), w3.torch_trainer(problem)
    ref.train_epoch(batches[:5])
    tor.train_epoch(batches[:5])
    for name, want in ref.params().items():
        assert np.abs(want - problem.init[name]).max() > 1e-3  # five Adam steps moved it
        np.testing.assert_allclose(tor.params()[name], want, atol=1e-12)
    accuracy = np.mean(ref.predict(problem.X_test) == problem.y_test)
    assert 0.15 < accuracy < 0.95  # learning (chance is 0.1), far from done


# ------------------------------------------------------------ W4


@pytest.mark.parametrize("op", w4.OPS)
def test_w4_numpy_backward_matches_finite_differences(op: str) -> None:
    inputs = w4.inputs_for(op, "tiny")
    grads = w4.numpy_forward_backward(op, inputs)
    assert len(grads) == len(inputs)
    loss = lambda p: float(np.sum(w4.numpy_forward(op, tuple(p[str(i)] for i in range(len(inputs))))))  # noqa: E731
    params = {str(i): x.copy() for i, x in enumerate(inputs)}
    for i, x in enumerate(inputs):
        index = (1,) * x.ndim
        assert grads[i][index] == pytest.approx(central_difference(loss, params, str(i), index), rel=1e-6)


@pytest.mark.parametrize("op", w4.OPS)
def test_w4_torch_agrees_with_numpy_on_tiny_inputs(op: str) -> None:
    pytest.importorskip("torch")
    inputs = w4.inputs_for(op, "tiny")
    for backward in (False, True):
        got = w4.torch_op(op, inputs, backward)()
        want = w4.numpy_forward_backward(op, inputs) if backward else w4.numpy_forward(op, inputs)
        got_t, want_t = (got, want) if backward else ((got,), (want,))
        for g, w in zip(got_t, want_t):
            np.testing.assert_allclose(compat.as_numpy(g), w, rtol=1e-12)


# ------------------------------------------------------------ harness, runner, slots, CLI


@pytest.mark.slow
def test_runner_marks_skipped_unfilled_wrong_and_times_the_rest() -> None:
    case = Case("T0", "smoke", "smoke case", ("ref",), target="<= 2x ref", target_ratio=2.0)

    def missing(_: object) -> object:
        raise compat.Unavailable("nothing here")

    def unfilled(_: object) -> object:
        raise NotImplementedError

    registry.register("T0", "smoke", "ref")(lambda x: (lambda: x))
    registry.register("T0", "smoke", "missing")(missing)
    registry.register("T0", "smoke", "unfilled")(unfilled)
    registry.register("T0", "smoke", "wrong")(lambda x: (lambda: x + 1))
    registry.register("T0", "smoke", "tinygrad_edu fake")(lambda x: (lambda: x))

    def check(fn) -> list[str]:
        assert fn() == 41, "wrong answer"
        return ["checked"]

    rows = run_timed_case(case, TINY, build=lambda e: e.factory(41), check=check, call=lambda fn: fn)
    status = {r.impl: (r.status, r.notes) for r in rows}
    assert status["ref"] == ("ok", ["checked"])
    assert status["missing"] == ("skipped", ["nothing here"])
    assert status["unfilled"] == ("skipped", ["slot not filled"])
    assert status["wrong"][0] == "error" and "wrong answer" in status["wrong"][1][0]
    fake = next(r for r in rows if r.impl == "tinygrad_edu fake")
    assert fake.ratio is not None and fake.reference == "ref" and fake.meets_target in (True, False)
    assert "smoke case" in text_table(rows) and markdown_table(rows).count("\n") == len(rows) + 1


@pytest.mark.slow
def test_harness_timing_and_formatting() -> None:
    calls = []
    budget = Budget(True, 3, 1, 0.001, 0.01, 1, 1)
    timing = time_calls(lambda: calls.append(1), budget)
    assert len(timing.per_call) == 3 and timing.number > 1 and timing.slowest_call is None
    assert len(calls) == 1 + 4 * timing.number  # calibration, then 1 warm-up and 3 repeats
    assert timing.steadiness >= 1.0 and timing.median > 0
    # the 5th call naps 8 ms: it falls in a kept repeat whether a repeat holds 1, 2 or 3 calls
    naps = iter([0.002] * 4 + [0.008] + [0.002] * 100)
    slow = time_calls(lambda: time.sleep(next(naps)), budget, min_repeat_s=0.003)
    assert len(slow.per_call) == 3  # calls of >= 1 ms are clocked one by one too
    # a nap lasts at least as long as asked: these lower bounds hold on any machine, however
    # loaded (an upper bound would not)
    assert slow.slowest_call > 0.0079 and slow.max == slow.slowest_call
    assert min(slow.per_call) > 0.0019
    assert [fmt_time(x) for x in (3.8e-5, 4.12e-7, 1.25, 0.0123)] == ["38.0 µs", "412 ns", "1.25 s", "12.3 ms"]
    rows = [Result("W", "c", "a", median_s=2.0), Result("W", "c", "b", median_s=5.0)]
    fill_ratios(rows, ("missing", "a"))
    assert [r.ratio for r in rows] == [1.0, 2.5] and rows[1].reference == "a"


def test_tinygrad_edu_slots_are_registered() -> None:
    impls = {(e.workload, e.case, e.impl) for e in registry.all_entries()}
    for key in [("W1", "sigmoid", "tinygrad_edu Tensor"), ("W1", "sigmoid", "tinygrad_edu Value"),
                ("W1", "relu", "tinygrad_edu Value"), ("W2", "graphs", "tinygrad_edu Value"),
                ("W3", "mlp", "tinygrad_edu Tensor"), ("W4", "ops", "tinygrad_edu Tensor")]:
        assert key in impls


def test_tinygrad_edu_slots_compute_what_numpy_computes() -> None:
    """The engine's rows pass the checks every implementation passes before it is timed."""
    for activation, slot in [("sigmoid", tinygrad_edu_slots.w1_tensor),
                             ("sigmoid", tinygrad_edu_slots.w1_value_sigmoid),
                             ("relu", tinygrad_edu_slots.w1_value)]:
        problem = w1.book_problem(activation)
        w1.check_one_step(slot(problem), problem)  # parameters after one step to 1e-9
    for shape in ("chain", "fanout"):
        graph = tinygrad_edu_slots.w2_value(shape, 300)
        assert math.isclose(graph.backward(graph.build()), w2.expected_grad(shape, 300),
                            rel_tol=1e-12)


def test_cli_options() -> None:
    args = parse_args(["--quick", "--only", "w1,W3", "--only", "W4", "--markdown"])
    assert args.quick and args.markdown and args.only == ["W1", "W3", "W4"]
    assert set(suite.WORKLOADS) == {"W1", "W2", "W3", "W4"}
    with pytest.raises(SystemExit):
        parse_args(["--only", "W9"])
