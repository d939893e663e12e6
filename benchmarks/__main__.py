"""`python -m benchmarks`: run every benchmark and print its tables.

    python -m benchmarks              # the full run, a few minutes on 2 cores
    python -m benchmarks --quick      # about a minute
    python -m benchmarks --only W1 --only W3
    python -m benchmarks --json results.json --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from benchmarks import compat
from benchmarks.harness import FULL, QUICK, load_average, machine_info, markdown_table, targets_summary, text_table
from benchmarks.suite import WORKLOADS, run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller W2 graphs (about a minute)")
    parser.add_argument("--only", action="append", default=[], metavar="W1",
                        help="run only this workload (repeat, or comma-separate, for several)")
    parser.add_argument("--json", metavar="FILE", help="also write every table, row and the machine to FILE")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown (for README.md)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="limit torch and BLAS to N threads (default 1; 0: as installed)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for item in args.only for w in item.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    return args


def limit_threads(n: int) -> None:
    """Cap torch's and the BLAS libraries' threads (2 shared cores: 1 gives steady figures)."""
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


def write_json(path: str, data: object) -> None:
    """Write `data` to `path` atomically: a temporary file in the same folder, then os.replace."""
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False) as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, title in WORKLOADS.items():
            print(f"{name}  {title}")
        return 0
    if args.threads:
        limit_threads(args.threads)
    budget = QUICK if args.quick else FULL
    load_before = load_average()
    start = time.perf_counter()
    tables = run(args.only, budget)
    elapsed = time.perf_counter() - start
    info = machine_info()
    try:
        import torch

        info["torch threads"] = str(torch.get_num_threads())
    except ImportError:
        pass
    info["run"] = (f"{'--quick' if args.quick else 'full'}, {elapsed:.0f} s, load average {load_before[0]:.2f} "
                   f"-> {load_average()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}")
    header = "; ".join(f"{k} {v}" for k, v in info.items())
    notes = [f"{name}: {note}" for name, note in compat.notes().items()]
    render = markdown_table if args.markdown else text_table
    print(f"Machine: {header}\n")
    for table in tables:
        print(render(table) + "\n")
    print("Targets\n" if not args.markdown else "#### Targets\n")
    print(targets_summary(tables, markdown=args.markdown))
    for note in notes:
        print(f"\n{note}")
    if args.json:
        write_json(args.json, {"machine": info, "budget": vars(budget), "notes": notes,
                               "tables": [t.to_dict() for t in tables]})
    errors = [r for t in tables for r in t.rows if r.status == "error"]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
