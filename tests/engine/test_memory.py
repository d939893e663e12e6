"""After backward, once the result is dropped, the graph is freed: training loops do not grow."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, weighted_input


def _traced_growth(step, n_steps: int = 1000, warmup: int = 100) -> int:
    """Bytes still allocated after `n_steps` steps, compared with after the first `warmup`."""
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(warmup):
            step()
        gc.collect()
        after_warmup = tracemalloc.get_traced_memory()[0]
        for _ in range(n_steps - warmup):
            step()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - after_warmup
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_tensor_training_loop_of_1000_steps_does_not_grow():
    rng = np.random.default_rng(0)
    X = Tensor(rng.uniform(size=(16, 12)))
    T = Tensor(rng.uniform(size=(16, 2)))
    W1 = Tensor(rng.standard_normal((3, 12)), requires_grad=True)
    b1 = Tensor(np.zeros(3), requires_grad=True)
    W2 = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b2 = Tensor(np.zeros(2), requires_grad=True)
    params = [W1, b1, W2, b2]
    costs = np.zeros(1000)  # allocated before tracing starts: a list would grow by itself
    count = [0]

    def step():
        a1 = (X @ W1.T + b1).sigmoid()
        a2 = (a1 @ W2.T + b2).sigmoid()
        C_T = (0.5 * (T - a2) ** 2).sum()
        C_T.backward()
        for p in params:
            p.data = p.data - 0.2 * p.grad
            p.grad = None
        costs[count[0]] = C_T.item()
        count[0] += 1

    growth = _traced_growth(step)
    assert count[0] == 1000 and costs[-1] < costs[0]  # it did learn
    # one step's graph holds ~30 arrays (several KB); 900 kept graphs would be megabytes
    assert growth < 20_000, f"memory grew by {growth} bytes over 900 steps"


@pytest.mark.slow
def test_value_training_loop_of_1000_steps_does_not_grow():
    data = [([0.0, 1.0], 1.0), ([1.0, 1.0], 0.0)]
    W = [[Value(0.5), Value(-0.4)], [Value(-0.3), Value(0.6)]]
    b = [Value(0.1), Value(-0.1)]
    v, c = [Value(0.7), Value(-0.2)], Value(0.0)
    params = [p for row in W for p in row] + b + v + [c]
    costs = np.zeros(1000)  # allocated before tracing starts: a list would grow by itself
    count = [0]

    def step():
        C = 0.0
        for x, t in data:
            h = [weighted_input(w, x, bi).tanh() for w, bi in zip(W, b)]
            out = weighted_input(v, h, c).sigmoid()
            C = C + 0.5 * (t - out) ** 2
        C.backward()
        for p in params:
            p.data -= 0.5 * p.grad
            p.grad = 0.0
        costs[count[0]] = C.data
        count[0] += 1

    growth = _traced_growth(step)
    assert count[0] == 1000 and costs[-1] < costs[0]
    assert growth < 20_000, f"memory grew by {growth} bytes over 900 steps"


def test_graph_nodes_are_freed_by_reference_counting_alone():
    """No reference cycles: with the garbage collector off, dropping the result frees every
    intermediate node at once (backward holds no node after it returns)."""
    gc.collect()
    gc.disable()
    try:
        w = Tensor([0.5, -0.5], requires_grad=True)
        x = Tensor([1.0, 2.0])
        z = x * w
        a = z.sigmoid()
        C = (a * a).sum()
        refs = [weakref.ref(n) for n in (z, a, C)]
        del z, a
        C.backward()
        assert all(r() is not None for r in refs)  # alive while C holds the graph
        del C
        assert [r() for r in refs] == [None, None, None]
        assert w.grad is not None  # the leaves and their gradients stay
    finally:
        gc.enable()


def test_scalar_graph_and_create_graph_are_freed_too():
    from tinygrad_edu import grad

    gc.collect()
    gc.disable()
    try:
        x = Value(0.3)
        y = (x * x).tanh()
        g = grad(y, x, create_graph=True)[0]  # a graph of its own, built from y's graph
        refs = [weakref.ref(n) for n in (y, g)]
        assert grad(g, x)[0] != 0.0
        del y, g
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()
