"""Throughput of 1, 2 and 3 instances of a generated project behind nginx.

The project is generated with ``database=postgresql`` and ``cache=redis`` and served by
its own ``deploy/serve.sh uvicorn`` (one process per instance) behind its own
``deploy/nginx.conf``, against a throwaway PostgreSQL and Redis, all on 127.0.0.1 (the
test harness of ``tests/integration/test_scale_out.py``). The number of instances
behind nginx is shuffled each round. On a machine with few cores the machine is the
ceiling, not the design: the load generator, nginx and every instance share the same
cores. So beside requests per second the table gives requests per CPU-second spent by
the instances, which is what a second machine would add.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

from tests.support.cluster import Instance, cluster_project, nginx_balancer
from tests.support.services import postgres_server, redis_server

from . import served
from .report import Row, Section, Target, print_progress

NAME = "scaled"
COUNTS = (1, 2, 3)


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds of *pid* and its children (workers), from /proc."""
    total = served.cpu_seconds(pid) or 0.0
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += _process_tree_cpu(int(child))
    return total


def _environment(project_dir: Path, database: str, redis: str) -> dict[str, str]:
    env = {
        **os.environ,
        "THIBAUD_DEBUG": "0",
        "THIBAUD_SECRET_KEY": "bench-" + "k" * 50,
        "THIBAUD_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THIBAUD_SECURE_SSL_REDIRECT": "0",
        "THIBAUD_STATIC_ROOT": str(project_dir / "staticfiles"),
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "PYTHONHASHSEED": "0",
    }
    env.pop("THIBAUD_SETTINGS_MODULE", None)
    return env


def scale_out(*, seconds: int, rounds: int, concurrency: int, workdir: Path) -> Section:
    """Measure; return the section for RESULTS.md."""
    print_progress("scale-out: 1, 2, 3 instances behind nginx ...")
    workdir.mkdir(parents=True)
    project_dir = cluster_project(workdir, NAME)
    figures: dict[int, list[tuple[float, float]]] = {count: [] for count in COUNTS}
    with postgres_server() as postgres, redis_server() as redis, contextlib.ExitStack() as stack:
        env = _environment(project_dir, postgres.create_database(NAME), redis.url)
        subprocess.run(
            ["sh", "deploy/release.sh"],
            cwd=project_dir,
            env=env,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        instances = [
            Instance(f"bench-{index}", "uvicorn", project_dir, env, workdir)
            for index in range(max(COUNTS))
        ]
        for instance in instances:
            stack.callback(instance.stop)
            instance.start()
        for instance in instances:
            instance.wait_ready()
        shuffle = random.Random(0)
        for _ in range(rounds):
            for count in shuffle.sample(COUNTS, len(COUNTS)):
                serving = instances[:count]
                with nginx_balancer(
                    project_dir, [i.port for i in serving], project_dir / "staticfiles"
                ) as port:
                    pids = [i.process.pid for i in serving if i.process is not None]
                    before = sum(_process_tree_cpu(pid) for pid in pids)
                    result = served.load_url(
                        f"http://127.0.0.1:{port}/", seconds=seconds, concurrency=concurrency
                    )
                    cpu = sum(_process_tree_cpu(pid) for pid in pids) - before
                    if result.errors:
                        raise RuntimeError(f"{result.errors} errors through nginx")
                    figures[count].append((result.rps, result.rps * seconds / max(cpu, 1e-9)))
    return _section(figures, seconds=seconds, rounds=rounds, concurrency=concurrency)


def _section(
    figures: dict[int, list[tuple[float, float]]], *, seconds: int, rounds: int, concurrency: int
) -> Section:
    section = Section(
        "Scale-out: instances behind nginx (PostgreSQL + Redis project, uvicorn, GET /)",
        ("instances", "req/s", "vs 1 instance", "req per instance CPU-second"),
    )
    single = statistics.median(rps for rps, _ in figures[1])
    for count in COUNTS:
        rps = statistics.median(value for value, _ in figures[count])
        per_cpu = statistics.median(value for _, value in figures[count])
        section.rows.append(
            Row(str(count), f"{rps:,.0f}", f"{rps / single:.2f}x", f"{per_cpu:,.0f}")
        )
    cores = os.cpu_count() or 1
    section.note = (
        f"Medians of {rounds} rounds of {seconds} s, {concurrency} connections, the order of "
        f"the configurations shuffled each round. This machine has {cores} core(s), shared "
        "by the load generator, nginx and every instance: past that many busy processes the "
        "machine is the ceiling, so requests per second stop growing while requests per "
        "instance CPU-second (what each added machine contributes) stay level."
    )
    return section


def targets(section: Section) -> list[Target]:
    """What the run shows: the cost per request does not grow with the instances."""
    per_cpu = [float(row.extra.replace(",", "")) for row in section.rows]
    level = min(per_cpu) >= 0.8 * max(per_cpu)
    return [
        Target(
            "requests per instance CPU-second, 3 instances vs 1: within 20%",
            f"{per_cpu[-1] / per_cpu[0]:.2f}x",
            level,
        )
    ]
