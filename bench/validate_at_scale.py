"""validate-template at scale (issue 27): the bundled template's 32 variants (every
combination of its five varied questions) validated on one machine against four
simulated machines (a process per job, as a CI matrix runs them, then merge-reports),
and with --install from a cold environment cache against a warm one.

``python -m bench.validate_at_scale [--runs N] [--write]``: prints the section, and with
--write appends it to bench/RESULTS.md under a dated heading.

Four "machines" here share this machine's cores: run side by side they measure the cost
of a process per job, not the speed-up of real machines. Run one after another, each
alone has the whole machine as a real one would: the slowest of them plus the merge is
the wall time four real machines would take.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from tests.support.cli import run_cli

from .report import Row, Section, machine, table

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "project"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
VARIED = {
    "python_version": ["3.12", "3.13"],
    "database": ["sqlite", "postgresql"],
    "cache": ["locmem", "redis"],
    "docker": [True, False],
    "ci": ["github", "none"],
}
#: What the bundled template's projects declare, every variant's set among them.
WHEELS = ["Thibaud", "uvicorn", "environs", "dj-database-url", "psycopg[binary,pool]", "redis"]
WHEELS.append("servestatic")
MACHINES = 4


def _cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = run_cli(*args, cwd=cwd, env=env, timeout=1800)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"thibaud-admin {' '.join(args)}: {completed.stderr}")
    return completed


def _timed[T](action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _machines(names: list[str], matrix: Path, reports: Path, *, side_by_side: bool) -> list[float]:
    """Each simulated machine's wall time: side by side (threads driving processes) or
    one after another."""

    def machine_run(index: int) -> float:
        return _timed(lambda: _machine_jobs(names, matrix, reports, index))[0]

    if not side_by_side:
        return [machine_run(index) for index in range(MACHINES)]
    with ThreadPoolExecutor(MACHINES) as pool:
        return list(pool.map(machine_run, range(MACHINES)))


def _matrix(workdir: Path) -> Path:
    path = workdir / "matrix.json"
    rows = [dict(zip(VARIED, combo, strict=True)) for combo in itertools.product(*VARIED.values())]
    path.write_text(json.dumps(rows), "utf-8")
    return path


def _variant_names(matrix: Path, workdir: Path) -> list[str]:
    listed = _cli(
        "validate-template",
        str(TEMPLATE),
        "--matrix",
        str(matrix),
        "--list-variants",
        "--format",
        "github-matrix",
        cwd=workdir,
    )
    return [entry["variant"] for entry in json.loads(listed.stdout)["include"]]


def _machine_jobs(names: list[str], matrix: Path, reports: Path, machine_index: int) -> None:
    """One simulated machine: its share of the jobs, one after another, a process each."""
    for index, name in enumerate(names):
        if index % MACHINES != machine_index:
            continue
        job = _cli(
            "validate-template",
            str(TEMPLATE),
            "--matrix",
            str(matrix),
            "--variant",
            name,
            "--format",
            "json",
            cwd=reports,
        )
        (reports / f"report-{index}.json").write_text(job.stdout, "utf-8")


def spread(matrix: Path, workdir: Path, runs: int) -> tuple[list[Row], float]:
    """One machine against four: a job per variant side by side and one after another,
    and a job per shard (--shard K/4) one after another."""
    names = _variant_names(matrix, workdir)
    single: list[float] = []
    side_by_side: list[float] = []
    projected: list[float] = []
    alone_figures: list[list[float]] = []
    merge: list[float] = []
    shard_figures: list[list[float]] = []
    everything = ("validate-template", str(TEMPLATE), "--matrix", str(matrix), "--format", "json")
    for run in range(runs):
        seconds, whole = _timed(lambda: _cli(*everything, cwd=workdir))
        single.append(seconds)
        reports = workdir / f"side-{run}"
        reports.mkdir()
        started = time.perf_counter()
        _machines(names, matrix, reports, side_by_side=True)
        side_by_side.append(time.perf_counter() - started)
        alone_dir = workdir / f"alone-{run}"
        alone_dir.mkdir()
        alone = _machines(names, matrix, alone_dir, side_by_side=False)
        alone_figures.append(alone)
        files = sorted(str(path) for path in reports.glob("report-*.json"))
        shards = []
        for number in range(1, MACHINES + 1):
            seconds, part = _timed(
                lambda number=number: _cli(
                    *everything, "--shard", f"{number}/{MACHINES}", cwd=workdir
                )
            )
            shards.append(seconds)
            (workdir / f"shard-{run}-{number}.json").write_text(part.stdout, "utf-8")
        shard_figures.append(shards)
        seconds, merged = _timed(
            lambda files=files: _cli("merge-reports", *files, "--format", "json", cwd=workdir)
        )
        merge.append(seconds)
        projected.append(max(alone) + seconds)
        a, b = json.loads(whole.stdout), json.loads(merged.stdout)
        assert a["summary"] == b["summary"] and a["ok"] == b["ok"], (a["summary"], b["summary"])
    one = statistics.median(single)
    per_machine = [statistics.median(column) for column in zip(*alone_figures, strict=True)]
    side = statistics.median(side_by_side)
    real = statistics.median(projected)
    jobs = len(names) // MACHINES
    rows = [
        Row(f"1 machine: validate-template --matrix (all {len(names)})", f"{one:.1f} s", "1.00x"),
        Row(
            f"{MACHINES} machines side by side on this one ({len(names)} jobs, a process each)",
            f"{side:.1f} s",
            f"{side / one:.2f}x",
        ),
        Row(
            f"{MACHINES} machines, each alone ({jobs} jobs each)",
            " / ".join(f"{figure:.1f}" for figure in per_machine) + " s",
        ),
        Row("merge-reports of the 32 jobs' reports", f"{statistics.median(merge):.2f} s"),
        Row(
            f"{MACHINES} real machines: the slowest alone + merge",
            f"{real:.1f} s",
            f"{real / one:.2f}x",
        ),
    ]
    sharded = [statistics.median(column) for column in zip(*shard_figures, strict=True)]
    best = max(sharded) + statistics.median(merge)
    rows += [
        Row(
            f"{MACHINES} machines, a --shard K/{MACHINES} job each, each alone",
            " / ".join(f"{figure:.1f}" for figure in sharded) + " s",
        ),
        Row(
            f"{MACHINES} real machines with shards: the slowest + merge",
            f"{best:.1f} s",
            f"{best / one:.2f}x",
        ),
    ]
    return rows, one


def install(matrix: Path, workdir: Path, runs: int, one_machine: float) -> list[Row]:
    """--install with the environment cache (and uv's) cold, then warm."""
    wheels = workdir / "wheels"
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(wheels), *WHEELS],
        capture_output=True,
        text=True,
    )
    if downloaded.returncode != 0:
        raise SystemExit(f"pip download: {downloaded.stderr}")
    cold: list[float] = []
    warm: list[float] = []
    environments = 0
    for run in range(runs):
        env = {
            "THIBAUD_CLI_CACHE_DIR": str(workdir / f"cache-{run}"),
            "UV_CACHE_DIR": str(workdir / f"uv-cache-{run}"),
            "UV_PYTHON_DOWNLOADS": "never",
        }
        args = ("validate-template", str(TEMPLATE), "--matrix", str(matrix), "--install")
        args += ("--find-links", str(wheels), "--no-index", "--format", "json")
        for figures in (cold, warm):
            seconds, report = _timed(lambda args=args, env=env: _cli(*args, cwd=workdir, env=env))
            figures.append(seconds)
            failed = [
                f"{variant['name']}: {check['name']}: {check['message']}"
                for variant in json.loads(report.stdout)["variants"]
                for check in variant["checks"]
                if check["status"] == "failed"
            ]
            if failed:
                raise SystemExit("--install failed:\n" + "\n".join(failed))
        built = workdir / f"cache-{run}" / "environments"
        environments = sum(1 for path in built.iterdir() if path.is_dir())
    return [
        Row("without --install (this environment's packages)", f"{one_machine:.1f} s", "1.00x"),
        Row(
            f"--install, caches cold ({environments} environments built from local wheels)",
            f"{statistics.median(cold):.1f} s",
            f"{statistics.median(cold) / one_machine:.2f}x",
        ),
        Row(
            "--install, environment cache warm (nothing installed)",
            f"{statistics.median(warm):.1f} s",
            f"{statistics.median(warm) / one_machine:.2f}x",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.validate_at_scale", description=__doc__)
    parser.add_argument("--runs", type=int, default=1, help="runs of each measure (medians)")
    parser.add_argument("--write", action="store_true", help="append the section to RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="thibaud-bench-") as temporary:
        workdir = Path(temporary)
        matrix = _matrix(workdir)
        rows, one_machine = spread(matrix, workdir, args.runs)
        rows += install(matrix, workdir, args.runs, one_machine)
    section = Section(
        "validate-template at scale: 32 variants", ("how", "wall time", "vs 1 machine"), rows
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"\n## {section.title}, {now}\n",
            f"{machine()}; `python -m bench.validate_at_scale --runs {args.runs}` (medians). "
            "The bundled template's 32 variants (every combination of its five varied "
            f"questions, as a --matrix file), each booted. {os.cpu_count()} cores here: the "
            f"{MACHINES} simulated machines side by side share them, so that row is the cost "
            "of a process per job; run one after another, each alone stands for a real machine. "
            "Cold: an empty environment cache and uv cache, installs from a local wheel "
            "directory (no network).\n",
            *table(section),
            "",
        ]
    )
    print(text)
    if args.write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(text)


if __name__ == "__main__":
    main()
