"""Time forward + backward of the chapter 5 kernels, against torch when it is installed.

Run from the repository root:  python benchmarks/bench_conv_kernels.py
Shapes: the book's CNN batch (96 images 1x6x6, 3 filters 3x3, 2x2 max pooling) and a larger one.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_edu.conv.kernels import (  # noqa: E402
    conv2d_backward,
    conv2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # torch is optional
    torch = None

CASES = [("book CNN batch", (96, 1, 6, 6), (3, 1, 3, 3)), ("larger", (32, 8, 28, 28), (16, 8, 3, 3))]


def best_of(fn, number: int, repeat: int = 7) -> float:
    """Best mean time per call in seconds (the minimum over repeats is the least noisy)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def numpy_conv(x, w, b, g):
    y, cache = conv2d_forward(x, w, b)
    return conv2d_backward(g, cache)


def numpy_pool(a, g):
    y, cache = max_pool2d_forward(a, 2)
    return max_pool2d_backward(g, cache)


def main() -> None:
    if torch is not None:
        torch.set_num_threads(1)  # compare like with like: numpy's BLAS is asked for one thread too
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__} (1 thread)" if torch else ", torch not installed"))
    for dtype in (np.float64, np.float32):
        for name, xs, ws in CASES:
            rng = np.random.default_rng(0)
            x = rng.standard_normal(xs).astype(dtype)
            w = rng.standard_normal(ws).astype(dtype)
            b = rng.standard_normal(ws[0]).astype(dtype)
            y, _ = conv2d_forward(x, w, b)
            g = rng.standard_normal(y.shape).astype(dtype)
            p, _ = max_pool2d_forward(y, 2)
            gp = rng.standard_normal(p.shape).astype(dtype)
            number = 200 if xs[0] == 96 else 20
            t_conv = best_of(lambda: numpy_conv(x, w, b, g), number)
            t_pool = best_of(lambda: numpy_pool(y, gp), number)
            line = f"{np.dtype(dtype).name:7s} {name:15s} x{xs} w{ws}: conv fwd+bwd {t_conv * 1e3:8.3f} ms, maxpool2 fwd+bwd {t_pool * 1e3:7.3f} ms"
            if torch is not None:
                xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
                gt, yt0, gpt = torch.tensor(g), torch.tensor(y, requires_grad=True), torch.tensor(gp)

                def torch_conv():
                    xt.grad = wt.grad = bt.grad = None
                    F.conv2d(xt, wt, bt).backward(gt)

                def torch_pool():
                    yt0.grad = None
                    F.max_pool2d(yt0, 2).backward(gpt)

                tc, tp = best_of(torch_conv, number), best_of(torch_pool, number)
                line += f" | torch conv {tc * 1e3:8.3f} ms ({t_conv / tc:4.1f}x), maxpool {tp * 1e3:7.3f} ms ({t_pool / tp:4.1f}x)"
            print(line)


if __name__ == "__main__":
    main()
