"""`python -m benchmarks.profile`: where a tinygrad_edu W1 step spends its time (cProfile).

    python -m benchmarks.profile                  # the tensor and the scalar step, top 25 functions
    python -m benchmarks.profile --case scalar --steps 50 --top 40 --sort cumulative

Runs the very steppers the benchmark times (w1_book_network.tensor_step and scalar_cost on
tinygrad_edu), after a few warm-up steps, under cProfile, and prints the top functions by own
time ("tottime"; --sort cumulative for inclusive time). cProfile's own overhead inflates
functions that are called very often, so read the order, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys

from benchmarks import tinygrad_edu_slots
from benchmarks.w1_book_network import book_problem

STEPPERS = {"tensor": tinygrad_edu_slots.w1_tensor, "scalar": tinygrad_edu_slots.w1_value}
DEFAULT_STEPS = {"tensor": 2000, "scalar": 30}


def profile_case(case: str, steps: int, top: int, sort: str) -> str:
    """The cProfile report of `steps` steps of tinygrad_edu's W1 `case` ("tensor" or "scalar")."""
    stepper = STEPPERS[case](book_problem(case))
    for _ in range(3):
        stepper.step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        stepper.step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(sort)
    out.write(f"tinygrad_edu W1 {case} step, {steps} steps, top {top} by {sort}\n")
    stats.print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=[*STEPPERS, "both"], default="both")
    parser.add_argument("--steps", type=int, help="steps to profile (default 2000 tensor, 30 scalar)")
    parser.add_argument("--top", type=int, default=25, help="functions to show")
    parser.add_argument("--sort", choices=["tottime", "cumulative"], default="tottime")
    args = parser.parse_args(argv)
    for case in STEPPERS if args.case == "both" else [args.case]:
        print(profile_case(case, args.steps or DEFAULT_STEPS[case], args.top, args.sort))
    return 0


if __name__ == "__main__":
    sys.exit(main())
