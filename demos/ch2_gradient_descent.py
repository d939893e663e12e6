"""§2-11: gradient descent on z = x² + y² from (3, 2) with η = 0.1, for 30 steps.

Run:  python demos/ch2_gradient_descent.py OUT_DIR
The gradient (2x, 2y) comes from the scalar engine's backward; every step multiplies the point
by 1 - 2η = 0.8.  Writes descent.png (the path over the contour lines).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch2_gradient_descent import descend_paraboloid  # noqa: E402


def main(argv=None):
    parser = pictures.demo_arguments(__doc__)
    args = parser.parse_args(argv)

    path = descend_paraboloid(start=(3.0, 2.0), lr=0.1, steps=30)
    print(" step        x          y          z       ∂z/∂x      ∂z/∂y")
    for p in path:
        print(f"{p.step:5d} {p.x:10.6f} {p.y:10.6f} {p.z:10.6f} {p.dz_dx:10.6f} {p.dz_dy:10.6f}")
    print(f"after 30 steps: (x, y) = {path[-1].x:.6g}, {path[-1].y:.6g} "
          f"= 0.8^30 (3, 2) = {3 * 0.8 ** 30:.6g}, {2 * 0.8 ** 30:.6g}")

    if pictures.picture_folder(args.out) is None:
        return
    print("wrote", pictures.plot_descent_path([p.x for p in path], [p.y for p in path],
                                              os.path.join(args.out, "descent.png")))


if __name__ == "__main__":
    main()
