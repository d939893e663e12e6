"""Pictures where a reader would rather look than read (PNG files, matplotlib optional).

- `plot_firing`: §1-2 Example 1, y = u(s − θ) against the sum s = w·x, θ marked on the axis,
  the value at the jump (u(0) = 1: the neuron fires when s reaches θ) and the four inputs' sums;
- `plot_activations`: step, sigmoid, tanh, ReLU, hard-sigmoid, hard-tanh and their derivatives
  (the derivatives come from the tensor engine's backward, corners included);
- `plot_images`: 4x3 images in a grid, numbered as the book numbers them (the 64 training
  images; the patterns A, B, C the demons like);
- `plot_bias_of_the_heart`: the hidden demons' activity on noisy blank images, with and without
  their biases (§1-6);
- `plot_cost_curve`: C_T against the number of gradient-descent steps (§3-5, §4-4);
- `plot_hidden_weights`: each hidden unit's 12 weights as a 4x3 image, learned or hand-set,
  beside the demons' hand-set ones (§1-5, §1-6);
- `plot_descent_path`: the §2-11 path of gradient descent over the contours of x² + y².

matplotlib is an optional extra (in the checkout, `pip install -e ".[plot]"`); without it each
function raises `MatplotlibMissing`, an ImportError that says how to get it.  Figures are drawn
on the Agg canvas directly, so no pyplot window or global backend is touched.
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from collections.abc import Sequence

import numpy as np

from ..atomic import atomic_target

__all__ = ["MatplotlibMissing", "have_matplotlib", "save_figure", "plot_firing",
           "plot_activations", "plot_cost_curve", "plot_hidden_weights", "plot_images",
           "plot_bias_of_the_heart", "plot_descent_path", "ACTIVATIONS"]


class MatplotlibMissing(ImportError):
    """matplotlib is not installed, so no picture can be drawn."""


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def demo_arguments(doc: str, out: str = "pictures",
                   quick: str = "(nothing to shorten here)") -> argparse.ArgumentParser:
    """The options every chapter's demo takes: the folder its pictures go to, and `--quick`
    (what the demo tests pass); a demo adds its own before parsing."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("out", nargs="?", default=out, help="folder for the pictures")
    parser.add_argument("--quick", action="store_true", help=quick)
    return parser


def picture_folder(out: str) -> str | None:
    """`out`, made if missing, when matplotlib can draw; else None, after a line saying how to
    get the pictures (the numbers a demo prints need no matplotlib)."""
    if not have_matplotlib():
        print("pictures skipped: matplotlib is not installed (pip install matplotlib)")
        return None
    os.makedirs(out, exist_ok=True)
    return out


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MatplotlibMissing("matplotlib is not installed: pip install matplotlib "
                                '(or, in the checkout, pip install -e ".[plot]")') from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str], **kwargs: Any) -> str:
    """`fig.savefig` as a PNG, written atomically (a reader never sees half a file)."""
    with atomic_target(path) as tmp:
        fig.savefig(tmp, format="png", **kwargs)
    return os.fspath(path)


def _save(fig: Any, path: str | os.PathLike[str]) -> str:
    return save_figure(fig, path, bbox_inches="tight")


def activation_curves(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a(z), a'(z)) by the tensor engine: a'(z) is the gradient of Σ a(z) w.r.t. z."""
    from ..habits import Tensor

    zt = Tensor(z, requires_grad=True)
    a = getattr(zt, name)()
    a.sum().backward()
    return a.data, zt.grad


#: each activation and its title: the name and the formula
ACTIVATIONS = [("step", "unit step u(z) = 1 (z ≥ 0), 0 (z < 0)"),
               ("sigmoid", "sigmoid σ(z) = 1/(1 + exp(−z))"),
               ("tanh", "tanh(z) = 2σ(2z) − 1"), ("relu", "ReLU(z) = max(0, z)"),
               ("hard_sigmoid", "hard sigmoid = clip(z/4 + 1/2, 0, 1)"),
               ("hard_tanh", "Hard-Tanh = clip(z, −1, 1)")]


def plot_activations(path: str | os.PathLike[str]) -> str:
    """One panel per activation: a(z) (solid) and its derivative a'(z) (dashed)."""
    fig = _figure(11, 6)
    z = np.linspace(-4, 4, 801)
    for k, (name, title) in enumerate(ACTIVATIONS):
        ax = fig.add_subplot(2, 3, k + 1)
        a, da = activation_curves(name, z)
        ax.plot(z, a, color="tab:blue", lw=2, label="a(z)")
        ax.plot(z, da, color="tab:red", lw=1.5, ls="--", label="a'(z)")
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("weighted input z")
        ax.set_ylim(-1.2, 1.3)
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(loc="upper left")
    fig.suptitle("Activation functions a(z) and their derivatives a'(z)")
    fig.tight_layout()
    return _save(fig, path)


def plot_firing(path: str | os.PathLike[str], w: tuple[float, float] = (5.0, 3.0),
                theta: float = 4.0) -> str:
    """§1-2 Example 1: the output y = u(s − θ) against the sum s = w1 x1 + w2 x2.

    θ is marked on the s axis; at the jump a filled dot at y = 1 and an open one at y = 0 show
    u(0) = 1 (the neuron fires when the sum reaches θ); the four inputs' sums are marked.
    """
    fig = _figure(7, 3.8)
    ax = fig.add_subplot(1, 1, 1)
    sums = {(x1, x2): w[0] * x1 + w[1] * x2 for x1 in (0, 1) for x2 in (0, 1)}
    lo, hi = min(0.0, theta) - 1.5, max(max(sums.values()), theta) + 1.5
    ax.plot([lo, theta], [0, 0], color="tab:blue", lw=2.5)
    ax.plot([theta, hi], [1, 1], color="tab:blue", lw=2.5)
    ax.plot([theta, theta], [0, 1], color="tab:blue", lw=1, ls=":")
    ax.plot([theta], [1], "o", color="tab:blue", ms=8)  # u(0) = 1: fires at s = θ
    ax.plot([theta], [0], "o", mfc="white", mec="tab:blue", ms=8)
    ax.annotate("u(0) = 1: fires when\nthe sum reaches θ", (theta, 1), textcoords="offset points",
                xytext=(-120, -30), arrowprops={"arrowstyle": "->", "color": "0.3"})
    for (x1, x2), s in sums.items():
        y = 1 if s >= theta else 0
        ax.plot([s], [y], "s", color="tab:red", ms=7)
        ax.annotate(f"x = ({x1}, {x2})\ns = {s:g}", (s, y), textcoords="offset points",
                    xytext=(0, 12 if y == 0 else -34), ha="center", fontsize=8, color="tab:red")
    ax.axvline(theta, color="0.6", lw=0.8, ls="--")
    ticks = sorted({*range(int(np.floor(lo)) + 1, int(np.ceil(hi)))} - {int(theta)})
    ax.set_xticks([*ticks, theta], [*map(str, ticks), f"θ = {theta:g}"])
    ax.set_yticks([0, 1])
    ax.set_ylim(-0.35, 1.35)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("sum of the weighted inputs s = w1 x1 + w2 x2")
    ax.set_ylabel("output y = u(s − θ)")
    ax.set_title(f"§1-2 Example 1: w = ({w[0]:g}, {w[1]:g}), θ = {theta:g}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_images(images: np.ndarray, path: str | os.PathLike[str], titles: Sequence[str],
                suptitle: str, columns: int = 8, numbers: bool = False) -> str:
    """4x3 images (rows of 12 pixels, 1 = black) in a grid, each with its title; `numbers`
    writes each pixel's number (1..12, the book's reading order) on it."""
    images = np.asarray(images, dtype=np.float64).reshape(-1, 4, 3)
    rows = -(-len(images) // columns)
    fig = _figure(1.15 * columns, 1.55 * rows + 0.6)
    for k, image in enumerate(images):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.imshow(image, cmap="Greys", vmin=0, vmax=1)
        ax.set_xticks([c - 0.5 for c in range(1, 3)], [])
        ax.set_yticks([r - 0.5 for r in range(1, 4)], [])
        ax.tick_params(length=0)
        ax.grid(color="0.75", lw=0.6)
        if numbers:
            for j in range(12):
                ax.text(j % 3, j // 3, str(j + 1), ha="center", va="center", fontsize=8,
                        color="white" if image[j // 3, j % 3] > 0.5 else "0.4")
        ax.set_title(titles[k], fontsize=8)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return _save(fig, path)


def plot_bias_of_the_heart(levels: Sequence[float], with_biases: np.ndarray,
                           without_biases: np.ndarray, path: str | os.PathLike[str],
                           names: Sequence[str] = ("A", "B", "C")) -> str:
    """§1-6: the hidden demons' mean activity a on blank images with noise up to each level,
    with their biases (they ignore the noise) and without (the noise excites them)."""
    fig = _figure(7, 4)
    ax = fig.add_subplot(1, 1, 1)
    for i, name in enumerate(names):
        ax.plot(levels, np.asarray(with_biases)[:, i], marker="o", color=f"C{i}",
                label=f"{name} with its bias")
        ax.plot(levels, np.asarray(without_biases)[:, i], marker="s", ls="--", color=f"C{i}",
                label=f"{name} without")
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("noise: every pixel a random grey between 0 and this level")
    ax.set_ylabel("mean activity a of the hidden demon")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("The bias of the heart (§1-6): noise on a blank image")
    ax.legend(fontsize=8, ncol=2, loc="center right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_cost_curve(costs: Sequence[float], path: str | os.PathLike[str],
                    title: str = "Gradient descent on $C_T$") -> str:
    """C_T after 0, 1, ..., n updates, on a log scale."""
    fig = _figure(7, 4)
    ax = fig.add_subplot(1, 1, 1)
    ax.semilogy(range(len(costs)), costs, marker="o" if len(costs) <= 60 else None, ms=3)
    ax.set_xlabel("gradient-descent steps")
    ax.set_ylabel("cost $C_T$ (log scale)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.annotate(f"{costs[-1]:.4g}", (len(costs) - 1, costs[-1]), textcoords="offset points",
                xytext=(-10, 8), ha="right")
    fig.tight_layout()
    return _save(fig, path)


def _weight_row(fig: Any, grid: Any, row: int, W2: np.ndarray, b2: np.ndarray | None,
                names: Sequence[str], caption: str) -> None:
    scale = float(np.abs(W2).max()) or 1.0
    axes = []
    for i, name in enumerate(names):
        ax = fig.add_subplot(grid[row, i])
        axes.append(ax)
        image = W2[i].reshape(4, 3)
        shown = ax.imshow(image, cmap="RdBu_r", vmin=-scale, vmax=scale)
        for r in range(4):
            for c in range(3):
                ax.text(c, r, f"{image[r, c]:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if abs(image[r, c]) > 0.6 * scale else "black")
        bias = "" if b2 is None else f"\nb = {b2[i]:.2g}"
        ax.set_title(f"{caption} {name}{bias}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(shown, ax=axes, shrink=0.8, label="weight")


HAND_SET = "hand-set demon"
DEMON_NAMES = ("A", "B", "C")
FITTED_NOTE = ("fitted units need not match the demons: learning may share a stroke among "
               "units, mix strokes, or find them in another order")


def plot_hidden_weights(W2: np.ndarray, path: str | os.PathLike[str], b2: np.ndarray | None = None,
                        hand_set: tuple[np.ndarray, np.ndarray] | None = None,
                        names: Sequence[str] | None = None,
                        caption: str = "fitted unit") -> str:
    """Each hidden unit's 12 weights as a 4x3 image (pixel j where it sits in the image).

    Red: a positive weight (the unit likes a black pixel there), blue: negative.  `caption`
    titles the units: "hand-set demon" when W2 is the demons' own (named A, B, C), else units
    found by fitting (§3-5), named 1, 2, 3 and not A, B, C, with a line saying that fitted
    units need not match the demons.  With `hand_set=(W2, b2)` the demons' hand-set weights
    are drawn in a second row to compare.
    """
    W2 = np.asarray(W2, dtype=np.float64)
    demons = caption == HAND_SET
    if names is None:
        names = DEMON_NAMES if demons else tuple(str(i + 1) for i in range(len(W2)))
    rows = 1 if hand_set is None else 2
    fig = _figure(8, 3.6 * rows + (0 if demons else 0.3))
    grid = fig.add_gridspec(rows, len(names))
    _weight_row(fig, grid, 0, W2, b2, names, caption)
    if hand_set is not None:
        _weight_row(fig, grid, 1, np.asarray(hand_set[0]), np.asarray(hand_set[1]),
                    DEMON_NAMES, HAND_SET)
    title = "Hidden units' weights as 4x3 images (red: likes a black pixel, blue: dislikes)"
    fig.suptitle(title if demons else f"{title}\n{FITTED_NOTE}", fontsize=10)
    return _save(fig, path)


def plot_descent_path(xs: Sequence[float], ys: Sequence[float],
                      path: str | os.PathLike[str]) -> str:
    """§2-11: the points of gradient descent over the contour lines of z = x² + y²."""
    fig = _figure(6, 5)
    ax = fig.add_subplot(1, 1, 1)
    grid = np.linspace(-3.5, 3.5, 201)
    gx, gy = np.meshgrid(grid, grid)
    ax.contour(gx, gy, gx ** 2 + gy ** 2, levels=12, cmap="Greys", linewidths=0.8)
    ax.plot(xs, ys, marker="o", ms=3, color="tab:red", label="(x, y) after each step")
    ax.annotate("start (3, 2)", (xs[0], ys[0]), textcoords="offset points", xytext=(-20, 8))
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Gradient descent on z = x² + y², η = 0.1")
    ax.legend(loc="lower left")
    return _save(fig, path)
