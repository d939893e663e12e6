"""The demon network's drawings (§1-5, §3-5, §4-4).

This is what ``python -m tinygrad_edu demon --render DIR`` writes.

`render_demon` draws the 12-3-2 network into a folder:

1. ``demon_graph_scalar_image{n}``: the scalar graph of image No. n (the book's numbering, from
   1), from its pixels x1..x12 to its cost C = ½ Σ_k (t_k − a_k)²: per unit one op Σw·x+b with
   its weighted input z, one op σ with its activation a, and the weights and bias feeding it,
   named as the book names them (``w2[A,4]``, ``z2[A]``, ``a3[0]``), each unit in a box titled
   A, B, C, 0, 1, stacked from the top as in the network diagram;
2. ``demon_graph_tensor_batch``: the tensor graph of C_T over the whole batch (a handful of nodes:
   the same computation as 1, a layer at a time, with the images X and targets T as data);
3. ``demon_network_before`` and 4. ``demon_network_after``: the network diagram (bonds as arrows,
   the inputs as the 4x3 image) before and after training, with the activations for that image;
   with no model before (nothing was trained), one diagram ``demon_network``.

The models follow the nn contract; they are not changed: the graphs are built on fresh copies
(``type(model)(sizes, ..., engine=..., unit_names=...)`` loaded with ``model.state_dict()``).
"""

from __future__ import annotations

import os
from typing import Any
from collections.abc import Sequence

import numpy as np

from ..tools.trace import name_scope
from ..datasets import book_digits_4x3
from ..losses import squared_error
from ..engine import Tensor
from ..viz import draw_graph, draw_network, render

__all__ = ["render_demon", "box_names", "COST_OF_IMAGE", "COST_OF_BATCH"]

#: the cost's box, as the drawings title it: C of one image (§1-7), C_T of a batch (§3-5)
COST_OF_IMAGE, COST_OF_BATCH = "cost C of the image", "cost C_T of the batch"


def _twin(model: Any, engine: str) -> Any:
    """A fresh copy of `model` on `engine` ("scalar" or "tensor"), with the same parameters and
    the same unit names (given when it is built, so its labels read w2[A,4], not w2[1,4])."""
    twin = type(model)(list(model.sizes), activation=model.activation,
                       output_activation=model.output_activation, engine=engine,
                       unit_names=getattr(model, "unit_names", None))
    twin.load_state_dict(model.state_dict())
    return twin


def box_names(model: Any) -> dict[str, str]:
    """Box titles for `draw_graph(..., box_names=...)`: the book's names for an MLP's modules.

    Unit i of layer k+2 (scope "layers.{k}.neurons.{i}") is titled by `model.unit_names`
    ("A", "B", "C"; "0", "1"), the layers "hidden layer (layer 2)", "output layer (layer 3)".
    """
    sizes = list(model.sizes)
    units = getattr(model, "unit_names", None)
    top = getattr(model, "scope_name", type(model).__name__)
    names = {top: "the " + "-".join(map(str, sizes)) + " network"}
    for k in range(len(sizes) - 1):
        last = k == len(sizes) - 2
        names[f"layers.{k}"] = f"{'output' if last else 'hidden'} layer (layer {k + 2})"
        if units is not None:
            for i, unit in enumerate(units[k + 1]):
                names[f"layers.{k}.neurons.{i}"] = str(unit)
    return names


def _targets(X: np.ndarray, T: Any) -> np.ndarray:
    if T is not None:
        return np.asarray(T, dtype=np.float64)
    Xb, Tb = book_digits_4x3(one_hot=True)
    if X.shape == Xb.shape and np.array_equal(X, Xb):
        return np.asarray(Tb, dtype=np.float64)
    raise ValueError("render_demon: pass the targets T (one-hot, one row per image); they are "
                     "only known for the book's 64 images")


def image_cost(a: Sequence[Any], t: Sequence[float]) -> Any:
    """C = ½ ((t1 − a1)² + (t2 − a2)² + ...) for one image, written as the book writes it.

    Spelled out rather than `losses.squared_error` (the cost the training uses): the drawing
    shows each difference as the book writes it, t_k − a_k (a node ``1 −``, ``0 −``), where
    squared_error records a_k − t_k; the two are equal (tests/viz/test_viz.py checks it).
    """
    squares = [(float(tk) - ak) ** 2 for tk, ak in zip(t, a)]
    total = squares[0]
    for sq in squares[1:]:
        total = total + sq
    return 0.5 * total


def render_demon(model_before: Any, model_after: Any, X: Any, out_dir: str | os.PathLike,
                 formats: Sequence[str] = ("svg",), *, T: Any = None, image: int = 1,
                 captions: tuple[str, str] = ("before training", "after training")
                 ) -> list[str]:
    """Write the drawings of the 12-3-2 network into `out_dir`; return the paths written.

    X: the images, one row each (the book's 64 4x3 images); T: their one-hot targets (the
    book's, when X is the book's images); image: which image (No. 1..len(X), as the book counts)
    to draw the scalar graph and the activations for; captions: what the two network diagrams
    show ("hand-set demons", "after 30 steps", ...); model_before None: draw only model_after;
    formats: any of "svg", "png", "pdf" (need Graphviz's ``dot``) and "gv" (the DOT text).
    """
    X = np.asarray(X, dtype=np.float64)
    T = _targets(X, T)
    if not 1 <= image <= len(X):
        raise ValueError(f"render_demon: image No. {image} does not exist; the images are "
                         f"numbered 1 to {len(X)}")
    os.makedirs(out_dir, exist_ok=True)
    n = image
    drawings = {}
    titles = box_names(model_after)
    titles["C"] = COST_OF_IMAGE
    titles["squared_error"] = COST_OF_BATCH

    scalar = _twin(model_after, "scalar")
    a = scalar([float(p) for p in X[n - 1]])
    with name_scope("C", "block"):
        C = image_cost(a, T[n - 1])
    C.label = "C"
    C.backward()
    drawings[f"demon_graph_scalar_image{n}"] = draw_graph(
        C, box_names=titles,
        title=f"the scalar graph of image No.{n} ({captions[1]}): cost C = ½ Σ_k (t_k − a_k)²")

    tensor = _twin(model_after, "tensor")
    out = tensor(Tensor(X))
    C_T = squared_error(out, T)
    C_T.label = "C_T"
    C_T.backward()
    drawings["demon_graph_tensor_batch"] = draw_graph(
        C_T, box_names=titles, data_names={"X": X, "T": T},
        title=f"the tensor graph of C_T over all {len(X)} images ({captions[1]})")

    grid = (4, 3) if X.shape[1] == 12 else None
    if model_before is None:
        drawings["demon_network"] = draw_network(
            model_after, X[n - 1], input_grid=grid,
            title=f"{captions[1]}; activations for image No.{n}")
    else:
        for key, model, caption in (("before", model_before, captions[0]),
                                    ("after", model_after, captions[1])):
            drawings[f"demon_network_{key}"] = draw_network(
                model, X[n - 1], input_grid=grid,
                title=f"{caption}; activations for image No.{n}")

    paths = []
    for name, g in drawings.items():
        for fmt in formats:
            paths.append(render(g, os.path.join(os.fspath(out_dir), f"{name}.{fmt}"), fmt))
    return paths
