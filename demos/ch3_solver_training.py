"""§3-5: the 12-3-2 network fitted to the 64 images from the book's Solver start values.

Run:  python demos/ch3_solver_training.py OUT_DIR [--engine scalar|tensor]
Gradient descent does the Excel Solver's job; then C_T at the Solver's own optimum, and the
workbook's test image judged.  Writes cost.png and hidden_weights.png (learned beside the
demons' hand-set weights).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from tinygrad_edu.book import pictures  # noqa: E402
from tinygrad_edu.book.ch1_demons import demon_params  # noqa: E402
from tinygrad_edu.book.ch3_training import (classify_test_image, solver_optimum,  # noqa: E402
                                            train_from_solver_start)
from tinygrad_edu.book.terminal import hidden_units_picture  # noqa: E402


def main(argv=None):
    parser = pictures.demo_arguments(__doc__, quick="fewer steps (for the tests)")
    parser.add_argument("--engine", choices=["scalar", "tensor"], default="tensor")
    args = parser.parse_args(argv)

    steps = 20 if args.quick else 200
    result = train_from_solver_start(args.engine, lr=0.5, steps=steps)
    print(f"C_T from the Solver's start: {result.costs[0]:.6f} (42/64 correct)")
    print(f"after {steps} steps of gradient descent (η = 0.5): C_T = {result.costs[-1]:.6f}, "
          f"{result.correct}/64 correct")

    C_T, correct = solver_optimum(args.engine)
    print(f"at the Solver's optimum (the book's result): C_T = {C_T:.10e}, {correct}/64 correct")

    digit, a, judgement = classify_test_image(result.model)
    print(f"the test image: outputs {a.round(4)}, judged '{digit}' (the workbook: '{judgement}')")

    state = result.model.state_dict()
    print(hidden_units_picture(state["layers.0.weight"], state["layers.0.bias"]))
    if pictures.picture_folder(args.out) is None:
        return
    hand = demon_params()
    print("wrote", pictures.plot_cost_curve(result.costs, os.path.join(args.out, "cost.png"),
                                            "§3-5: $C_T$ from the Solver's start values"))
    print("wrote", pictures.plot_hidden_weights(
        state["layers.0.weight"], os.path.join(args.out, "hidden_weights.png"),
        state["layers.0.bias"], (hand["W2"], hand["b2"])))


if __name__ == "__main__":
    main()
