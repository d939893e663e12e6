"""The demon network's drawings (§1-5, §3-5, §4-4).

This is what ``python -m tinygrad_edu demon --render DIR`` writes.

`render_demon` draws the 12-3-2 network four ways into a folder:

1. ``demon_graph_scalar_image{n}``: the scalar graph of one image, from the pixels to its cost
   C = ½ Σ_k (t_k − a_k)², every weight, product, sum and σ a node, each neuron in its box;
2. ``demon_graph_tensor_batch``: the tensor graph of C_T over the whole batch (a handful of nodes:
   the same computation as 1, a layer at a time);
3. ``demon_network_before`` and 4. ``demon_network_after``: the network diagram (bonds as arrows)
   before and after training, with the activations for that image.

The models follow the nn contract; they are not changed: the graphs are built on fresh copies
(``type(model)(sizes, ..., engine=...)`` loaded with ``model.state_dict()``).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ..autograd import name_scope
from ..tensor import Tensor
from .dot import render
from .graph import draw_graph
from .network import draw_network

__all__ = ["render_demon"]


def _twin(model: Any, engine: str) -> Any:
    """A fresh copy of `model` on `engine` ("scalar" or "tensor"), with the same parameters."""
    twin = type(model)(list(model.sizes), activation=model.activation,
                       output_activation=model.output_activation, engine=engine)
    twin.load_state_dict(model.state_dict())
    names = getattr(model, "unit_names", None)
    if names is not None:
        twin.unit_names = names
    return twin


def _targets(X: np.ndarray, T: Any) -> np.ndarray:
    if T is not None:
        return np.asarray(T, dtype=np.float64)
    from ..datasets import book_digits_4x3

    Xb, Tb = book_digits_4x3(one_hot=True)
    if X.shape == Xb.shape and np.array_equal(X, Xb):
        return np.asarray(Tb, dtype=np.float64)
    raise ValueError("render_demon: pass the targets T (one-hot, one row per image); they are "
                     "only known for the book's 64 images")


def render_demon(model_before: Any, model_after: Any, X: Any, out_dir: str | os.PathLike,
                 formats: Sequence[str] = ("svg",), *, T: Any = None, image: int = 0
                 ) -> list[str]:
    """Write the four drawings of the 12-3-2 network into `out_dir`; return the paths written.

    X: the images, one row each (the book's 64 4x3 images); T: their one-hot targets (the
    book's, when X is the book's images); image: which row to draw the scalar graph and the
    activations for; formats: any of "svg", "png", "pdf" (need Graphviz's ``dot``) and "gv"
    (the DOT text).
    """
    X = np.asarray(X, dtype=np.float64)
    T = _targets(X, T)
    os.makedirs(out_dir, exist_ok=True)
    n = image + 1
    drawings = {}

    scalar = _twin(model_after, "scalar")
    x = [float(p) for p in X[image]]
    a = scalar(x)
    with name_scope("C", "block"):
        C = sum(0.5 * (float(t) - ak) ** 2 for t, ak in zip(T[image], a))
    C.label = "C"
    C.backward()
    drawings[f"demon_graph_scalar_image{n}"] = draw_graph(
        C, title=f"the scalar graph of image {n}: cost C = ½ Σ (t − a)²")

    tensor = _twin(model_after, "tensor")
    out = tensor(Tensor(X))
    with name_scope("C_T", "block"):
        C_T = (0.5 * (Tensor(T) - out) ** 2).sum()
    C_T.label = "C_T"
    C_T.backward()
    drawings["demon_graph_tensor_batch"] = draw_graph(
        C_T, title=f"the tensor graph of C_T over all {len(X)} images")

    drawings["demon_network_before"] = draw_network(
        model_before, X[image], title=f"before training; activations for image {n}")
    drawings["demon_network_after"] = draw_network(
        model_after, X[image], title=f"after training; activations for image {n}")

    paths = []
    for name, g in drawings.items():
        for fmt in formats:
            paths.append(render(g, os.path.join(os.fspath(out_dir), f"{name}.{fmt}"), fmt))
    return paths
