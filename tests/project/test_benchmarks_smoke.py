"""Smoke test of benchmarks/: every implementation runs once at the smallest
size and agrees with the numpy references, the numpy references' gradients agree with finite
differences (float64, central differences), and the tables carry the load and the verdicts.
No assertion here depends on how fast anything runs. Parts whose optional package is missing
are skipped. Whole file: a few seconds."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time

import numpy as np
import pytest

from benchmarks import compat, minimal_engine, registry, scalar_process, suite, tinygrad_edu_slots
from benchmarks import w1_book_network as w1
from benchmarks import w2_scalar_graphs as w2
from benchmarks import w3_digits_mlp as w3
from benchmarks import w4_ops as w4
from benchmarks.__main__ import parse_args
from benchmarks.harness import (Budget, Result, Table, fmt_time, live_graph_cost, markdown_table, paired_ratio,
                                ratio_column, targets_summary, text_table)
from benchmarks.runner import run_entries
from tinygrad_edu.tools.checks import numerical_gradient

TINY = Budget(quick=True, repeats=2, warmup=0, min_repeat_s=0.0, step_repeat_s=0.0, scalar_step_s=0.0,
              linear_sizes=(200,), linear_repeats=(1,), memory_nodes=1000, paired_rounds=3, paired_block_s=0.001)


def central_difference(f, params: dict[str, np.ndarray], name: str, index: tuple[int, ...], h: float = 1e-6) -> float:
    """(f(θ + h e) − f(θ − h e)) / 2h for one parameter θ = params[name][index]."""

    def moved(t: float) -> float:
        one = params[name].copy()
        one[index] += t
        return f({**params, name: one})

    return float(numerical_gradient(moved, 0.0, eps=h))


@pytest.fixture
def frozen_heap():
    """The harness collects garbage between measurements; with the test session's objects
    (torch's among them) moved out of the collector's sight, each collection takes milliseconds."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def no_errors(tables: list[Table]) -> None:
    errors = [(r.impl, r.notes) for t in tables for r in t.rows if r.status == "error"]
    assert not errors, errors


# ------------------------------------------------------------ W1


@pytest.mark.parametrize("case", ["tensor", "scalar"])
def test_w1_numpy_delta_method_matches_finite_differences(case: str) -> None:
    problem = w1.book_problem(case)
    params = {k: v.copy() for k, v in problem.init.items()}
    grads = w1.gradients(params, problem.X, problem.T, problem.activation)
    cost = lambda p: w1.cost(p, problem.X, problem.T, problem.activation)  # noqa: E731
    for name, index in [("W2", (0, 5)), ("W2", (2, 11)), ("b2", (1,)), ("W3", (1, 2)), ("b3", (0,))]:
        fd = central_difference(cost, params, name, index)
        assert grads[name][index] == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, index)
    assert all(np.abs(g).max() > 1e-3 for g in grads.values())  # the checks above are not 0 == 0


def test_w1_book_data_and_one_step_lower_the_cost() -> None:
    problem = w1.book_problem("tensor")
    assert problem.X.shape == (64, 12) and problem.T.shape == (64, 2)
    assert problem.T[:32, 0].all() and problem.T[32:, 1].all()  # images 1-32 are "0", 33-64 "1"
    assert problem.init["W2"][0, 0] == 0.49 and problem.eta == 0.2
    before = w1.cost(problem.init, problem.X, problem.T, "sigmoid")
    after = w1.cost(w1.expected_after_one_step(problem), problem.X, problem.T, "sigmoid")
    assert after < before


@pytest.mark.parametrize("case, impl, package", [
    ("tensor", w1.FLOOR, None), ("tensor", "torch", "torch"), ("tensor", "dezero", "dezero"),
    ("scalar", w1.FLOOR, None), ("scalar", "micrograd", "micrograd"),
    ("tensor", "tinygrad_edu Tensor", None), ("tensor", "tinygrad_edu nn.MLP", None),
    ("scalar", "tinygrad_edu Value", None), ("scalar", "tinygrad_edu nn.MLP", None),
])
def test_w1_implementations_agree_with_numpy_after_one_step(case: str, impl: str, package: str | None) -> None:
    if package:
        try:
            compat.require(package)
        except compat.Unavailable as exc:
            pytest.skip(str(exc))
    entry = next(e for e in registry.entries("W1", case) if e.impl == impl)
    problem = w1.book_problem(case)
    w1.check_one_step(entry.factory(problem), problem)  # raises if any parameter is off by > 1e-9


def test_w1_scalar_graph_counts_its_nodes() -> None:
    """64 images x (3 hidden units x (12 products + 12 sums + relu) + 2 outputs x (3 products +
    3 sums + difference + square)) + 0 + 128 errors summed + the factor ½, and the 47 leaves."""
    problem = w1.book_problem("scalar")
    note = w1.nodes_per_step(minimal_engine.Value, problem, lambda v: v._prev)
    assert note == f"{64 * (3 * 25 + 2 * 8) + 128 + 1 + 47:,} nodes/step"
    assert tinygrad_edu_slots.w1_value(problem).notes == [note]  # the same graph, counted by the engine


def test_w1_tables_have_every_row_and_a_verdict(frozen_heap) -> None:
    tensor = w1.run_tensor(TINY)
    scalar = w1.run_scalar(TINY)
    no_errors([tensor, *scalar])
    assert [t.key for t in scalar] == ["W1 scalar, GC off", "W1 scalar, GC on"]
    numpy_row = next(r for r in tensor.rows if r.impl == w1.NUMPY)
    assert numpy_row.figures["x numpy"] == 1.0 and numpy_row.figures["peak_bytes"] > 0
    ours = next(r for r in tensor.rows if r.impl == w1.TENSOR)
    torch_rail = [">= 1.5x faster than torch"] if compat.version("torch") != "-" else []
    assert [v.target for v in ours.verdicts] == ["<= 1.8x floor", *torch_rail]
    assert any(note.startswith("x floor: median of 3 paired rounds") for note in ours.notes)
    assert 0 < ours.figures["x floor"] < 100
    if torch_rail:
        assert any(note.startswith("torch / this: median of 3 paired rounds") for note in ours.notes)
    for table in scalar:
        assert next(r for r in table.rows if r.impl == w1.FLOOR).figures["x floor"] == 1.0
        assert len(next(r for r in table.rows if r.impl == w1.VALUE).verdicts) == (1 if compat.version("micrograd") != "-" else 0)
    if compat.version("micrograd") != "-":  # the narrow GC-off target is judged on paired rounds
        off, on = (next(r for r in table.rows if r.impl == w1.VALUE) for table in scalar)
        assert any("paired rounds" in note for note in off.notes)
        assert [v.target for v in off.verdicts + on.verdicts] == [
            ">= 0.75x micrograd's speed (mean)", ">= 3.0x faster than micrograd (mean)"]
        assert not any("paired rounds" in note for note in on.notes)


# ------------------------------------------------------------ minimal engine


def test_minimal_engine_scalar_derivatives() -> None:
    V = minimal_engine.Value
    x, w = V(2.0), V(-3.0)
    y = 0.5 * (((w * x + 1.0).relu() - 4.0) ** 2) + (x * x - 1.0) + (0 + x)  # relu is off: w x + 1 = −5
    y.backward()
    assert y.data == pytest.approx(0.5 * 16 + 3 + 2)
    assert (x.grad, w.grad) == (pytest.approx(2 * 2.0 + 1), 0.0)
    z = (V(1.5) * V(2.0) + 0.5).relu()  # relu is on
    assert z.data == 3.5 and z._local == (1.0,)


# ------------------------------------------------------------ W2


@pytest.mark.parametrize("shape", w2.SHAPES)
@pytest.mark.parametrize("impl", [w2.FLOOR, "micrograd", "tinygrad_edu Value"])
def test_w2_graphs_give_the_exact_gradient(shape: str, impl: str) -> None:
    entry = next(e for e in registry.entries("W2", "engine") if e.impl == impl)
    try:
        Value = entry.factory()
    except compat.Unavailable as exc:
        pytest.skip(str(exc))
    for n in (2, 3, 51, 200):
        root, x = w2.build_graph(Value, shape, n)
        root.backward()
        assert x.grad == pytest.approx(w2.expected_grad(shape, n), rel=1e-12), n


@pytest.mark.parametrize("shape", w2.SHAPES)
def test_w2_node_count_is_the_graphs(shape: str) -> None:
    for n in (2, 7, 64):
        root, _ = w2.build_graph(minimal_engine.Value, shape, n)
        assert w1.count_nodes(root, lambda v: v._prev) == w2.node_count(shape, n) + 1  # + the leaf x
    assert w2.expected_grad("fan-out", 16) == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 1


def test_live_graph_cost_counts_the_minimal_engines_objects() -> None:
    """y ← y + x in the minimal engine: per node a __slots__ object and its inputs tuple, both
    tracked, and a float (the local derivatives (1.0, 1.0) are one shared constant).
    sys.getsizeof counts the collector's header of a tracked object."""
    cost = live_graph_cost(lambda: w2.sum_chain(minimal_engine.Value, 5000), 5000)
    assert cost["tracked_per_node"] == pytest.approx(2.0, abs=0.01)
    assert cost["tracked_after_gc"] == pytest.approx(2.0, abs=0.01)
    node = minimal_engine.Value(0.5) + minimal_engine.Value(1.0)
    per_node = sys.getsizeof(node) + sys.getsizeof(node.data) + sys.getsizeof(node._prev)
    assert cost["bytes_per_node"] == pytest.approx(per_node, abs=1)


def test_w2_tables_judge_memory_and_linearity(frozen_heap) -> None:
    tables = w2.run(TINY)
    no_errors(tables)
    memory, linear = tables
    ours = next(r for r in memory.rows if r.impl == w2.VALUE)
    assert [v.target for v in ours.verdicts] == ["<= 340 B/node", "<= 4 GC objects/node"]
    assert {r.case for r in linear.rows} == {f"{s}, n = 200" for s in w2.SHAPES}
    assert all(len(r.verdicts) == (r.impl == w2.VALUE) for r in linear.rows)
    measured = [r for r in linear.rows if r.status == "ok"]  # micrograd may be missing
    assert measured and all(r.figures["backward_2n_over_n"] > 0 for r in measured)


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


@pytest.mark.parametrize("impl", ["torch", "tinygrad_edu Tensor"])
def test_w3_learns_the_same_numbers_as_numpy(impl: str) -> None:
    pytest.importorskip("sklearn")
    if impl == "torch":
        pytest.importorskip("torch")
    problem = w3.digits_problem()
    assert problem.X_train.shape == (1347, 64) and problem.X_test.shape == (450, 64)
    batches = problem.batches(0)
    assert len(batches) == 43 and sum(len(b) for b in batches) == 1347
    entry = next(e for e in registry.entries("W3", "mlp") if e.impl == impl)
    ref, other = w3.numpy_trainer(problem), entry.factory(problem)
    ref.train_epoch(batches[:5])
    other.train_epoch(batches[:5])
    for name, want in ref.params().items():
        assert np.abs(want - problem.init[name]).max() > 1e-3  # five Adam steps moved it
        np.testing.assert_allclose(other.params()[name], want, atol=1e-12)
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


def test_w4_numpy_reference_gives_each_input_its_own_gradient() -> None:
    """As the engine must (guarantees.md), so a + b is compared like with like."""
    ga, gb = w4.numpy_forward_backward("add", w4.inputs_for("add", "tiny"))
    assert not np.shares_memory(ga, gb) and ga.flags.writeable and gb.flags.writeable
    np.testing.assert_array_equal(ga, np.ones(3))
    np.testing.assert_array_equal(gb, np.ones(3))


@pytest.mark.parametrize("op", w4.OPS)
@pytest.mark.parametrize("impl", [w4.FLOOR, "torch", "tinygrad_edu Tensor"])
def test_w4_engines_agree_with_numpy_on_tiny_inputs(op: str, impl: str) -> None:
    if impl == "torch":
        pytest.importorskip("torch")
    entry = next(e for e in registry.entries("W4", "ops") if e.impl == impl)
    inputs = w4.inputs_for(op, "tiny")
    for backward in (False, True):
        want = w4.numpy_forward_backward(op, inputs) if backward else w4.numpy_forward(op, inputs)
        assert w4.check_against(want)(entry.factory(op, inputs, backward)) == []


# ------------------------------------------------------------ harness, runner, tables, CLI


def test_runner_marks_skipped_unfilled_wrong_and_measures_the_rest() -> None:
    def missing(_: object) -> object:
        raise compat.Unavailable("nothing here")

    def unfilled(_: object) -> object:
        raise NotImplementedError

    registry.register("T0", "smoke", "ref")(lambda x: (lambda: x))
    registry.register("T0", "smoke", "missing")(missing)
    registry.register("T0", "smoke", "unfilled")(unfilled)
    registry.register("T0", "smoke", "wrong")(lambda x: (lambda: x + 1))

    def check(fn) -> list[str]:
        assert fn() == 41, "wrong answer"
        return ["checked"]

    def measure(entry, fn, row: Result) -> None:
        row.figures["answer"] = fn()

    rows = run_entries("T0", "smoke", "c", build=lambda e: e.factory(41), check=check, measure=measure)
    status = {r.impl: (r.status, r.notes) for r in rows}
    assert status["ref"] == ("ok", ["checked"])
    assert status["missing"] == ("skipped", ["nothing here"])
    assert status["unfilled"] == ("skipped", ["slot not filled"])
    assert status["wrong"][0] == "error" and "wrong answer" in status["wrong"][1][0]
    assert rows[0].figures == {"answer": 41}


@pytest.mark.parametrize("collector_on", [True, False])
def test_paired_ratio_alternates_blocks_and_sets_the_collector(collector_on: bool) -> None:
    calls: list[tuple[str, bool]] = []
    slow = lambda: (calls.append(("slow", gc.isenabled())), time.sleep(0.002))  # noqa: E731
    fast = lambda: calls.append(("fast", gc.isenabled()))  # noqa: E731
    paired = paired_ratio(slow, fast, rounds=4, block_s=0.004, collector_on=collector_on)
    assert len(paired.ratios) == 4 and min(paired.ratios) > 2  # slow over fast, every round
    assert {enabled for _, enabled in calls} == {collector_on} and gc.isenabled()
    kinds = [k for i, (k, _) in enumerate(calls) if i == 0 or calls[i - 1][0] != k]
    assert kinds[:3] == ["slow", "fast", "slow"] or kinds[:3] == ["fast", "slow", "fast"]


def test_tables_show_load_verdicts_and_survive_json() -> None:
    rows = [Result("c", "a", figures={"t": 2.0}), Result("c", "b", figures={"t": 5.0}), Result("c", "x", "skipped")]
    ratio_column(rows, "t", "a", "x a")
    assert [r.figures.get("x a") for r in rows] == [1.0, 2.5, None] and rows[1].cells["x a"] == "2.5x"
    rows[1].judge("<= 3x a", rows[1].figures["x a"] <= 3, "2.5x")
    table = Table("T1", "a test", ["x a"], rows, [0.5, 0.25, 0.125], [1.0, 0.5, 0.25], cpus=2, seconds=3.25)
    text = text_table(table)
    assert "load average (1, 5, 15 min) 0.50, 0.25, 0.12 before, 1.00, 0.50, 0.25 after; 2 CPUs; measured in 3 s" in text
    assert "<= 3x a: met (2.5x)" in text and "skipped" in text
    assert markdown_table(table).count("\n| ") == len(rows) + 1  # header and one line per row
    assert "| T1, c | b | <= 3x a | 2.5x | met |" in targets_summary([table], markdown=True)
    again = Table.from_dict(json.loads(json.dumps(table.to_dict())))
    assert again == table
    assert [fmt_time(x) for x in (3.8e-5, 4.12e-7, 1.25, 0.0123)] == ["38.0 µs", "412 ns", "1.25 s", "12.3 ms"]


def test_scalar_process_imports_no_torch() -> None:
    """What the scalar process imports drags no heavy library in (its figures depend on it)."""
    code = ("import sys; import benchmarks.scalar_process, benchmarks.w1_book_network, benchmarks.w2_scalar_graphs, "
            "benchmarks.tinygrad_edu_slots, tinygrad_edu, micrograd.engine\n"
            f"print([m for m in sys.modules if m.split('.')[0] in {scalar_process.HEAVY!r}])")
    pytest.importorskip("micrograd")
    out = subprocess.run([sys.executable, "-c", code], cwd=scalar_process.REPO, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_tinygrad_edu_slots_are_registered() -> None:
    impls = {(e.workload, e.case, e.impl) for e in registry.all_entries()}
    for key in [("W1", "tensor", "tinygrad_edu Tensor"), ("W1", "scalar", "tinygrad_edu Value"),
                ("W2", "engine", "tinygrad_edu Value"), ("W3", "mlp", "tinygrad_edu Tensor"),
                ("W4", "ops", "tinygrad_edu Tensor")]:
        assert key in impls
    assert tinygrad_edu_slots.TENSOR == w1.TENSOR and tinygrad_edu_slots.VALUE == w1.VALUE == w2.VALUE


def test_cli_options() -> None:
    args = parse_args(["--quick", "--only", "w1,W3", "--only", "W4", "--markdown"])
    assert args.quick and args.markdown and args.only == ["W1", "W3", "W4"] and args.threads == 1
    assert set(suite.WORKLOADS) == {"W1", "W2", "W3", "W4"}
    with pytest.raises(SystemExit):
        parse_args(["--only", "W9"])
