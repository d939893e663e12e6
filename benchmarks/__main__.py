"""`python -m benchmarks`: run every benchmark and print one table (issue 6).

    python -m benchmarks              # the full run, a few minutes on 2 cores
    python -m benchmarks --quick      # under a minute
    python -m benchmarks --only W1 --only W3
    python -m benchmarks --json results.json --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from benchmarks import compat
from benchmarks.harness import FULL, QUICK, machine_info, markdown_table, text_table
from benchmarks.suite import WORKLOADS, run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller W2 graphs (under a minute)")
    parser.add_argument("--only", action="append", default=[], metavar="W1",
                        help="run only this workload (repeat, or comma-separate, for several)")
    parser.add_argument("--json", metavar="FILE", help="also write every row and the machine to FILE")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for README.md)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="limit torch and BLAS to N threads (default: as installed)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for item in args.only for w in item.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    return args


def limit_threads(n: int) -> None:
    """Cap torch's and the BLAS libraries' threads (for a machine shared with other work)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:
        pass
    try:
        torch = compat.require("torch")
        torch.set_num_threads(n)
    except compat.Unavailable:
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, (title, _) in WORKLOADS.items():
            print(f"{name}  {title}")
        return 0
    if args.threads:
        limit_threads(args.threads)
    budget = QUICK if args.quick else FULL
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    start = time.perf_counter()
    rows = run(args.only, budget)
    elapsed = time.perf_counter() - start
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    try:
        import torch

        torch_threads = str(torch.get_num_threads())
    except ImportError:
        torch_threads = "-"
    info = machine_info()
    info["torch threads"] = torch_threads
    info["run"] = f"{'--quick' if args.quick else 'full'}, {elapsed:.0f} s, load average {load_before:.2f} -> {load_after:.2f}"
    header = "; ".join(f"{k} {v}" for k, v in info.items())
    notes = [f"{name}: {note}" for name, note in compat.notes().items()]
    if args.markdown:
        print(f"Machine: {header}\n")
        print(markdown_table(rows))
        for note in notes:
            print(f"\n{note}")
    else:
        print(header)
        print(text_table(rows))
        for note in notes:
            print(note)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": info, "budget": vars(budget), "notes": notes,
                       "rows": [r.to_dict() for r in rows]}, f, indent=1, ensure_ascii=False)
    errors = [r for r in rows if r.status == "error"]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
