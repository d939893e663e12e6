"""The demon network's drawings (§1-5, §3-5, §4-4).

This is what ``python -m tinygrad_edu demon --render DIR`` writes.

`render_demon` draws the 12-3-2 network into a folder:

1. ``demon_graph_scalar_image{n}``: the scalar graph of image No. n (the book's numbering, from
   1), from its pixels x1..x12 to its cost C = ½ Σ_k (t_k − a_k)², with the targets t[0], t[1]
   and the differences t[0] − a3[0], t[1] − a3[1] as named nodes.  At the op level: per unit one
   op Σw·x+b with its weighted input z, one op σ with its activation a, and the weights and bias
   feeding it, named as the book names them (``w2[A,4]``, ``z2[A]``, ``a3[0]``), each unit in a
   box titled A, B, C, 0, 1, stacked from the top as in the network diagram.  At the neuron
   level (chapter 1's view, one screen): the image as a 4x3 block on the left, the units A, B,
   C, then 0, 1, then the cost's parts, left to right;
2. ``demon_graph_tensor_batch``: the tensor graph of C_T over the whole batch (a handful of nodes:
   the same computation as 1, a layer at a time, with the images X and targets T as data);
3. ``demon_network_before`` and 4. ``demon_network_after``: the network diagram (bonds as arrows,
   the inputs as the 4x3 image) before and after training, with the activations and the
   targets t for that image;
   with no model before (nothing was trained), one diagram ``demon_network``.

The models follow the nn contract; they are not changed: the graphs are built on fresh copies
(``type(model)(sizes, ..., engine=..., unit_names=...)`` loaded with ``model.state_dict()``).
"""

from __future__ import annotations

import os
from typing import Any
from collections.abc import Sequence

import numpy as np

from ..datasets import book_digits_4x3
from ..habits import Value
from ..habits import Tensor
from ..losses import squared_error
from ..tools.trace import name_scope
from ..viz import draw_graph, draw_network, render

__all__ = ["render_demon", "box_names", "image_cost", "targets_of", "COST_OF_IMAGE",
           "COST_OF_BATCH"]

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


def targets_of(a: Sequence[Any], t: Any) -> list[Any]:
    """The targets of one image as data nodes, named by the output units they go with: a
    `Value` t[0] (requires_grad=False, so no gradient) for output a3[0], and so on."""
    out = []
    for k, (tk, ak) in enumerate(zip(t, a)):
        label = getattr(ak, "label", None) or f"a[{k}]"
        unit = label[label.index("["):] if "[" in label else f"[{k}]"
        out.append(Value(float(tk), label=f"t{unit}", requires_grad=False))
    return out


def image_cost(a: Sequence[Any], t: Sequence[Any]) -> Any:
    """C = ½ ((t1 − a1)² + (t2 − a2)² + ...) for one image, written as the book writes it (§1-7).

    Spelled out rather than `losses.squared_error` (the cost the training uses), so that the
    drawing shows each part by its name: each difference ``t[0] − a3[0]`` as the book writes it
    (squared_error records a_k − t_k; the two costs are equal, tests/viz/test_viz.py checks
    it), its square, the cost ``cost C`` (never plain "C", which names hidden unit C).  `t`:
    numbers, or the data nodes of `targets_of` (kept alive while the graph is drawn, so the
    drawing names them t[0], t[1]).
    """
    squares = []
    for tk, ak in zip(t, a):
        difference = tk - ak
        square = difference ** 2
        if getattr(tk, "label", None) and getattr(ak, "label", None):
            difference.label = f"{tk.label} − {ak.label}"
            square.label = f"({difference.label})²"
        squares.append(square)
    total = squares[0]
    for sq in squares[1:]:
        total = total + sq
    C = 0.5 * total
    C.label = "cost C"
    return C


def render_demon(model_before: Any, model_after: Any, X: Any, out_dir: str | os.PathLike[str],
                 formats: Sequence[str] = ("svg",), *, T: Any = None, image: int = 1,
                 captions: tuple[str, str] = ("before training", "after training"),
                 level: str = "op", weights: bool = False) -> list[str]:
    """Write the drawings of the 12-3-2 network into `out_dir`; return the paths written.

    X: the images, one row each (the book's 64 4x3 images); T: their one-hot targets (the
    book's, when X is the book's images); image: which image (No. 1..len(X), as the book counts)
    to draw the scalar graph and the activations for; captions: what the two network diagrams
    show ("hand-set demons", "after 30 steps", ...); model_before None: draw only model_after;
    formats: any of "svg", "png", "pdf" (need Graphviz's ``dot``) and "gv" (the DOT text);
    level: the scalar graph's level, "op" (every weight and op) or "neuron" (chapter 1's view:
    the image as a 4x3 block, the units A, B, C, then 0, 1, the targets t, the differences
    t − a and the cost C, one screen); weights: write each weight's value on its arrow in the
    network diagrams.
    """
    X = np.asarray(X, dtype=np.float64)
    T = _targets(X, T)
    if not 1 <= image <= len(X):
        raise ValueError(f"render_demon: image No. {image} does not exist; the images are "
                         f"numbered 1 to {len(X)}")
    os.makedirs(out_dir, exist_ok=True)
    n = image
    grid = (4, 3) if X.shape[1] == 12 else None
    drawings = {f"demon_graph_scalar_image{n}": _scalar_graph(model_after, X[n - 1], T[n - 1],
                                                              level, grid, n, captions[1])}

    tensor = _twin(model_after, "tensor")
    out = tensor(Tensor(X))
    C_T = squared_error(out, T)
    C_T.label = "C_T"
    C_T.backward()
    titles = box_names(model_after)
    titles["squared_error"] = COST_OF_BATCH
    drawings["demon_graph_tensor_batch"] = draw_graph(
        C_T, box_names=titles, data_names={"X": X, "T": T},
        title=f"the tensor graph of C_T over all {len(X)} images ({captions[1]})")

    pairs = [("", model_after, captions[1])] if model_before is None else [
        ("_before", model_before, captions[0]), ("_after", model_after, captions[1])]
    for key, model, caption in pairs:
        drawings[f"demon_network{key}"] = draw_network(
            model, X[n - 1], t=T[n - 1], input_grid=grid, show_weights=weights,
            title=f"{caption}; activations for image No.{n}")

    paths = []
    for name, g in drawings.items():
        for fmt in formats:
            paths.append(render(g, os.path.join(os.fspath(out_dir), f"{name}.{fmt}"), fmt))
    return paths


def _scalar_graph(model: Any, x: np.ndarray, t: np.ndarray, level: str,
                  grid: tuple[int, int] | None, n: int, caption: str) -> Any:
    """The scalar graph of one image, from its pixels to its cost C, at `level`.  At the op
    level the cost's ops sit in one box; at the neuron level each of them is its own node
    (t, t − a, their squares, the sum and C), the units one node each."""
    titles = box_names(model)
    titles["C"] = COST_OF_IMAGE
    scalar = _twin(model, "scalar")
    a = scalar([float(p) for p in x])
    targets = targets_of(a, t)  # alive until drawn: the drawing finds their names
    if level == "op":
        with name_scope("C", "block"):
            C = image_cost(a, targets)
    else:
        C = image_cost(a, targets)
    C.backward()
    return draw_graph(C, level=level, box_names=titles, input_grid=grid,
                      title=f"the scalar graph of image No.{n} ({caption}): "
                            "cost C = ½ Σ_k (t_k − a_k)²")
