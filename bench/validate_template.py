"""How long ``thibaud-admin validate-template`` takes on the bundled template.

The whole command, as CI runs it: defaults (both variants of the bundled template),
no --server. Run: ``python bench/validate_template.py [--runs N] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_run(extra: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "thibaud_cli", "validate-template", "templates/project", *extra],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    time_run(extra)  # warm the file cache and the bytecode of every module
    times = [time_run(extra) for _ in range(args.runs)]
    print(
        f"validate-template, bundled template, {os.cpu_count()} CPUs, jobs={args.jobs or 'auto'}:"
        f" median {statistics.median(times):.3f} s, min {min(times):.3f} s,"
        f" max {max(times):.3f} s over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
