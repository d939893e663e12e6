"""Pictures of the book's CNN (§5-4): its filters, what it sees in an image, its verdicts.

* ``draw_filters``: the 3 filters F_k as 3x3 images (red positive, blue negative), with values;
* ``draw_feature_maps``: one image, its 3 feature maps aF (4x4) and 3 pooled maps aP (2x2),
  and the 3 outputs aO;
* ``draw_test_image``: the test image of the §5-4 workbook with the network's verdict.

matplotlib is optional (the ``plot`` extra): without it these functions raise an ImportError
that says how to install it. Files are PNGs drawn on `matplotlib.figure.Figure` objects, so no
backend is switched (a notebook keeps its inline plots) and no display is needed.
"""

from __future__ import annotations

from pathlib import Path

from typing import Any

import numpy as np

from ..engine import no_grad
from .ch5_cnn import BookCNN
from .pictures import _figure, save_figure  # Figures: the user's backend is untouched

__all__ = ["draw_filters", "draw_feature_maps", "draw_test_image", "save_pictures"]


def _show(ax: Any, values: np.ndarray, title: str, cmap: str, vmin: float, vmax: float,
          fmt: str | None = "{:.2f}") -> None:
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if fmt is None:
        return
    mid = (vmin + vmax) / 2
    for (i, j), v in np.ndenumerate(values):
        light = abs(v - mid) < 0.3 * (vmax - vmin) if cmap == "RdBu_r" else v > mid
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                color="black" if light else "white")


def draw_filters(net: BookCNN, path: str | Path) -> Path:
    """The 3 filters (§5-4): a pixel's colour is its weight; a patch that looks like the red
    part of a filter gives that feature map a large weighted input."""
    params = net.numpy_params()
    F, bF = params["F"], params["bF"]
    lim = float(np.abs(F).max()) or 1.0
    fig = _figure(6.6, 2.6)
    axes = fig.subplots(1, 3)
    for k, ax in enumerate(axes):
        _show(ax, F[k], f"filter {k + 1} (bias {bF[k]:+.2f})", "RdBu_r", -lim, lim)
    fig.suptitle("Convolution filters F (red > 0, blue < 0)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def draw_feature_maps(net: BookCNN, image: np.ndarray, path: str | Path,
                      title: str = "") -> Path:
    """One 6x6 image, its feature maps aF = σ(F_k * x + bF_k), pooled maps aP, and outputs aO."""
    with no_grad():
        layers = net.layer_values(np.asarray(image, dtype=np.float64).reshape(1, 36))
    aF, aP, aO = layers.aF.data[0], layers.aP.data[0], layers.aO.data[0]
    fig = _figure(7.2, 7.2)
    axes = fig.subplots(3, 3, gridspec_kw={"width_ratios": [1.2, 1, 0.7]})
    _show(axes[0, 0], np.asarray(image).reshape(6, 6), "image", "Greys", 0.0, 1.0, fmt=None)
    ax = axes[1, 0]
    ax.barh([3, 2, 1], aO, color=["C0" if n != aO.argmax() else "C3" for n in range(3)])
    ax.set_yticks([1, 2, 3], labels=["3", "2", "1"])
    ax.set_xlim(0, 1)
    ax.set_title(f"outputs aO: it is a {aO.argmax() + 1}", fontsize=9)
    axes[2, 0].axis("off")
    for k in range(3):
        _show(axes[k, 1], aF[k], f"feature map {k + 1} (aF)", "viridis", 0.0, 1.0)
        _show(axes[k, 2], aP[k], f"pooled {k + 1} (aP)", "viridis", 0.0, 1.0)
    fig.suptitle(title or "Convolution (sum of kernel x patch), sigmoid, 2x2 max pooling",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def draw_test_image(net: BookCNN, image: np.ndarray, path: str | Path,
                    expected: int | None = None) -> Path:
    """The test image (§5-4's test sheet) and the network's verdict, with the 3 outputs."""
    with no_grad():
        aO = net(np.asarray(image, dtype=np.float64).reshape(1, 36)).data[0]
    verdict = int(aO.argmax()) + 1
    fig = _figure(5.6, 2.8)
    left, right = fig.subplots(1, 2)
    _show(left, np.asarray(image).reshape(6, 6), f"test image: a {verdict}", "Greys", 0.0, 1.0,
          fmt=None)
    right.bar(["1", "2", "3"], aO, color=["C3" if n + 1 == verdict else "C0" for n in range(3)])
    right.set_ylim(0, 1)
    right.set_title("outputs aO" + (f" (the workbook says {expected})" if expected else ""),
                    fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path, dpi=110)
    return path


def save_pictures(net: BookCNN, out_dir: str | Path, image: np.ndarray, image_name: str,
                  test_image: np.ndarray | None = None, test_expected: int | None = None
                  ) -> list[Path]:
    """Write filters.png, feature_maps_<image_name>.png and (if given) test_image.png."""
    out = Path(out_dir)
    paths = [draw_filters(net, out / "filters.png"),
             draw_feature_maps(net, image, out / f"feature_maps_{image_name}.png",
                               title=f"Image {image_name}: feature maps and pooled maps")]
    if test_image is not None:
        paths.append(draw_test_image(net, test_image, out / "test_image.png", test_expected))
    return paths
