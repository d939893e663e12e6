"""The backward walk keeps its state for the call, never on the nodes (§4-3: each δ once).

The user counts and pending gradients of a walk belong to that `grad()` or `backward()` call:
two threads differentiating their own graphs, which share one weight leaf, at the same time,
each get their own gradient, equal to the one a single thread computes.  After a backward the
nodes carry nothing beyond their slots.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from tinygrad_edu import Function, Tensor, Value, grad, topological_order

ROUNDS = 300


@contextmanager
def frequent_thread_switches() -> Iterator[None]:
    """Let threads change every few bytecodes, so that two walks interleave inside one call."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(work: list[Callable[[], object]], rounds: int) -> list[list[object]]:
    """Run each `work` in its own thread `rounds` times, all starting at once; their results.
    Asserts that calls of different threads did overlap (else the test would prove nothing)."""
    results: list[list[object]] = [[] for _ in work]
    errors: list[BaseException] = []
    start, lock = threading.Barrier(len(work)), threading.Lock()
    running, overlaps, finished = [0], [0], [0]

    def call(i: int) -> object:
        with lock:
            running[0] += 1
        # a call starts once the other thread is in one too: on a loaded machine the scheduler
        # may otherwise run one thread's rounds (a few ms) before the other wakes at all
        while running[0] < len(work) and not finished[0] and not errors:
            pass
        try:
            return work[i]()
        finally:
            with lock:
                overlaps[0] += running[0] > 1
                running[0] -= 1

    def loop(i: int) -> None:
        try:
            start.wait()
            for _ in range(rounds):
                results[i].append(call(i))
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        finally:
            with lock:
                finished[0] += 1
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(work))]
    with frequent_thread_switches():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert overlaps[0] >= rounds // 10, f"only {overlaps[0]} calls overlapped another thread's"
    return results


def tensor_cost(W: Tensor, X: np.ndarray, y: np.ndarray) -> Tensor:
    """C_T = Σ (σ(X Wᵀ) − y)² / 2, W used twice (a weight tied to itself) so that the walk has
    users to count on the shared leaf."""
    a = (Tensor(X) @ W.T).sigmoid()
    return ((a - Tensor(y)) ** 2).sum() * 0.5 + (W * W).sum() * 1e-3


def test_two_threads_share_a_tensor_weight_each_gets_its_own_gradient() -> None:
    rng = np.random.default_rng(20)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, label="W")
    data = [(rng.normal(size=(8, 4)), rng.uniform(size=(8, 3))) for _ in range(2)]
    reference = [grad(tensor_cost(W, X, y), W)[0] for X, y in data]
    assert np.abs(reference[0] - reference[1]).max() > 1e-3  # the two answers differ

    work = [lambda X=X, y=y: grad(tensor_cost(W, X, y), W)[0] for X, y in data]
    results = run_together(work, ROUNDS)
    for mine, ref in zip(results, reference):
        assert len(mine) == ROUNDS
        worst = max(float(np.abs(g - ref).max()) for g in mine)  # type: ignore[operator]
        assert worst <= 1e-12, f"a thread got another's gradient (off by {worst})"
    assert W.grad is None  # grad() stores nothing in .grad


def value_cost(w: Value, xs: list[float], t: float) -> Value:
    """One unit, w used at every input: z = Σ w·x_i + w, a = σ(z), C = (a − t)²."""
    z = w
    for x in xs:
        z = z + w * x
    return (z.sigmoid() - t) ** 2


def test_two_threads_share_a_value_weight_each_gets_its_own_gradient() -> None:
    w = Value(0.3, label="w")
    data = [([0.5, -1.0, 2.0], 1.0), ([1.5, 0.25], 0.0)]
    reference = [grad(value_cost(w, xs, t), w)[0] for xs, t in data]
    assert abs(reference[0] - reference[1]) > 1e-2

    work = [lambda xs=xs, t=t: grad(value_cost(w, xs, t), w)[0] for xs, t in data]
    results = run_together(work, ROUNDS)
    for mine, ref in zip(results, reference):
        assert len(mine) == ROUNDS
        worst = max(abs(g - ref) for g in mine)  # type: ignore[operator]
        assert worst <= 1e-12, f"a thread got another's gradient (off by {worst})"


def test_backward_in_threads_accumulates_every_call_once() -> None:
    """backward() from two threads into one shared leaf: the sum of all their gradients."""
    w = Value(0.5, label="w")
    one = grad(value_cost(w, [1.0, 2.0], 1.0), w)[0] + grad(value_cost(w, [-1.0], 0.0), w)[0]
    lock = threading.Lock()  # += on w.grad is the user's accumulation; the walks run unlocked

    def step(xs: list[float], t: float) -> None:
        c = value_cost(w, xs, t)
        g = grad(c, w)[0]
        with lock:
            w.grad += g
    run_together([lambda: step([1.0, 2.0], 1.0), lambda: step([-1.0], 0.0)], 100)
    assert abs(w.grad - 100 * one) <= 1e-9


def node_state(root: Value | Tensor) -> dict[int, dict[str, object]]:
    """What each node of the graph and each op record hold beyond their slots."""
    state = {}
    for node in topological_order(root):
        state[id(node)] = dict(vars(node))
        if node.grad_fn is not None:
            state[-id(node)] = {k: v for k, v in vars(node.grad_fn).items()}
    return state


def test_backward_leaves_nothing_on_the_nodes() -> None:
    rng = np.random.default_rng(3)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    X = Tensor(rng.normal(size=(4, 3)))
    cost = ((X @ W.T + b).sigmoid() * (X @ W.T).tanh()).sum()
    nodes = topological_order(cost)
    assert len(nodes) >= 9
    before = node_state(cost)
    assert all(not vars(n) for n in nodes)  # no label, no hook: nothing beyond the slots
    cost.backward()
    assert W.grad is not None and np.abs(W.grad).sum() > 0
    assert all(not vars(n) for n in nodes), [vars(n) for n in nodes if vars(n)]
    assert node_state(cost).keys() == before.keys()
    for k, held in node_state(cost).items():  # op records: the same names before and after
        assert held.keys() == before[k].keys(), (k, held.keys(), before[k].keys())


def test_backward_leaves_nothing_on_value_nodes() -> None:
    w, x, b = Value(0.5), Value(2.0), Value(-0.3)
    a = (w * x + b).sigmoid() * w
    nodes = topological_order(a)
    assert len(nodes) == 7
    before = node_state(a)
    a.backward()
    a.backward()  # twice: the counts of a walk do not survive it
    s = 1.0 / (1.0 + np.exp(-0.7))
    assert abs(w.grad - 2 * (s + 0.5 * s * (1 - s) * 2.0)) <= 1e-12
    assert all(not vars(n) for n in nodes), [vars(n) for n in nodes if vars(n)]
    after = node_state(a)
    assert {k: v.keys() for k, v in after.items()} == {k: v.keys() for k, v in before.items()}


def test_a_walk_stopped_by_an_error_leaves_the_graph_walkable() -> None:
    """A rule that raises stops the walk; the next walk of the same graph is whole and right."""
    failures = [1]

    class Shaky(Function):
        @staticmethod
        def forward(ctx: Function, x: float) -> float:
            return 3.0 * x

        @staticmethod
        def backward(ctx: Function, g: float) -> float:
            if failures[0]:
                failures[0] -= 1
                raise ValueError("not this time")
            return 3.0 * g

    w = Value(2.0)
    y = Shaky.apply(w * w) + w  # y = 3w² + w, dy/dw = 6w + 1
    nodes = topological_order(y)
    with pytest.raises(ValueError, match="not this time"):
        grad(y, w)
    assert all(not vars(n) for n in nodes)
    assert grad(y, w) == (13.0,)
    y.backward()
    assert w.grad == 13.0
