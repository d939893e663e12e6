"""The scalar workloads (W1's scalar case, W2) in a process of their own that never imports torch.

A full garbage collection walks every object the process holds; torch alone brings ~300,000, so
in a process that imported it every scalar engine's collections cost more, and the engines that
make the most garbage (micrograd) look relatively better. A user of a scalar engine has no torch
loaded: `spawn` runs `python -m benchmarks.scalar_process` in a fresh interpreter, which imports
only numpy, tinygrad_edu, micrograd and these modules, checks at the end that none of HEAVY was
imported, and prints its tables as JSON on stdout (progress on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import FULL, QUICK, Budget, Table

SCALAR_WORKLOADS = ("W1", "W2")
HEAVY = ("torch", "tensorflow", "jax", "dezero", "sklearn", "scipy", "matplotlib", "pandas")
REPO = Path(__file__).resolve().parent.parent


def run(names: list[str], budget: Budget) -> list[Table]:
    """Measure the scalar tables of the named workloads in this process."""
    from benchmarks import tinygrad_edu_slots  # noqa: F401  (registers the tinygrad_edu rows)
    from benchmarks import w1_book_network, w2_scalar_graphs

    tables = []
    if "W1" in names:
        tables += w1_book_network.run_scalar(budget)
    if "W2" in names:
        tables += w2_scalar_graphs.run(budget)
    loaded = [name for name in HEAVY if name in sys.modules]
    if loaded:
        raise RuntimeError(f"the scalar process imported {', '.join(loaded)}; the scalar figures must be "
                           "taken without them (see benchmarks/scalar_process.py)")
    for table in tables:
        table.notes.append(f"Measured in a separate process that imported none of {', '.join(HEAVY)} (checked).")
    return tables


def spawn(names: list[str], budget: Budget) -> list[Table]:
    """Run the scalar tables of `names` in a fresh interpreter and read them back."""
    command = [sys.executable, "-m", "benchmarks.scalar_process", "--only", ",".join(names)]
    if budget.quick:
        command.append("--quick")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the scalar benchmark process failed (exit {done.returncode}); its error is above")
    return [Table.from_dict(d) for d in json.loads(done.stdout)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scalar_process", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SCALAR_WORKLOADS), help="W1,W2 (default both)")
    args = parser.parse_args(argv)
    names = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    tables = run(names, QUICK if args.quick else FULL)
    json.dump([t.to_dict() for t in tables], sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
