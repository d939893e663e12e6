"""The training loop, once for every network of the package (§2-11, §3-5, §4-4, §5-6): `fit`.

Each step forgets the gradients, builds the cost, backpropagates it and lets the optimizer move
every parameter against its gradient:

    optimizer.zero_grad();  C = cost(s);  C.backward();  optimizer.step()

The book's full-batch gradient descent on C_T (`book.network.train`,
`book.ch5_cnn.gradient_descent`) and the digits example's minibatches with Adam
(`examples.digits.train_digits`) all run it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .engine import no_grad
from .optim import Optimizer

__all__ = ["fit", "progress_bar"]


def _have_widgets() -> bool:
    """Whether ipywidgets, which draws tqdm.auto's bar in a notebook, can be imported."""
    try:
        importlib.import_module("ipywidgets")
    except ImportError:
        return False
    return True


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar of `total` steps: a widget in a notebook when ipywidgets is installed (the
    `notebooks` extra), plain text otherwise.  `tqdm.auto` is imported only then, because without
    ipywidgets it prints a TqdmWarning into the notebook; a bar not `enabled` draws nothing."""
    if enabled and _have_widgets():
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(total=total, desc=desc, unit="step", disable=not enabled, leave=False)


def fit(cost: Callable[[int], Any], optimizer: Optimizer, steps: int, *,
        final_cost: Callable[[], Any] | None = None,
        callback: Callable[[int, float], None] | None = None,
        progress: bool = False, desc: str = "training") -> list[float]:
    """`steps` updates of `optimizer`'s parameters, each against the gradient of `cost(s)`.

    `cost(s)` builds the cost of step s (a `Value` or a 0-d `Tensor`): C_T over every image, or
    the cost of the s-th minibatch.  Returns `costs`, `costs[s]` the cost at step s, taken
    before its update.  With `final_cost`, the cost after the last update (computed under
    `no_grad`) is appended, so that `costs[s]` is C_T after s updates for s = 0..steps, as the
    book tabulates it.  `callback(s, costs[s])` is called once per entry of `costs`, after
    step s's update.  `progress` shows a bar (`progress_bar`) named `desc`, with the last cost
    beside it.
    """
    costs: list[float] = []
    with progress_bar(steps, desc, progress) as bar:
        for s in range(steps):
            optimizer.zero_grad()
            C = cost(s)
            C.backward()
            costs.append(float(C.data))
            optimizer.step()
            bar.set_postfix(C=f"{costs[-1]:.4g}", refresh=False)
            bar.update(1)
            if callback is not None:
                callback(s, costs[-1])
    if final_cost is not None:
        with no_grad():
            costs.append(float(final_cost().data))
        if callback is not None:
            callback(steps, costs[-1])
    return costs
