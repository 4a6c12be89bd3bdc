"""The served project: in-process ASGI calls, and uvicorn loaded by wrk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from tests.support.servers import free_port, project_env, run_server

from .projects import BIN_DIR, PASS_THROUGH_CLASSES, Project

REPO = Path(__file__).resolve().parent.parent
RAW_PACKAGE = "bench.raw_asgi"


def raw(workdir: Path) -> Project:
    """The raw ASGI app, run from *workdir* (servers write their logs there)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return Project("raw ASGI hello (ceiling)", workdir, RAW_PACKAGE)


def is_raw(project: Project) -> bool:
    return project.package == RAW_PACKAGE


@dataclass(frozen=True)
class Throughput:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: CPU time the application's process spent per request, when known.
    cpu_us: float | None = None


def _env(project: Project) -> dict[str, str]:
    # One hash seed for every process: with randomised hashing, two processes of
    # identical code can differ by a few percent from dict layout alone.
    extra = {"PYTHONPATH": f"{project.root}:{REPO}", "PYTHONHASHSEED": "0"}
    if not is_raw(project):
        extra["THIBAUD_SETTINGS_MODULE"] = f"{project.package}.settings"
    return project_env(project.root, extra)


def _target(project: Project) -> str:
    return f"{RAW_PACKAGE}:app" if is_raw(project) else project.application


class Driver:
    """A warm in-process driver for one project: a fresh interpreter (settings
    are global), kept alive to measure burst after burst on request."""

    def __init__(self, process: subprocess.Popen[str], label: str) -> None:
        self._process = process
        self._label = label

    def measure(self, path: str, requests: int) -> Throughput:
        assert self._process.stdin is not None and self._process.stdout is not None  # noqa: S101
        self._process.stdin.write(f"{requests} {path}\n")
        self._process.stdin.flush()
        return _throughput(self._process.stdout.readline(), self._label)


def _throughput(line: str, label: str) -> Throughput:
    if not line:
        raise RuntimeError(f"the ASGI driver of {label} stopped (see its stderr above)")
    data = json.loads(line)
    return Throughput(data["rps"], data["p50_ms"], data["p99_ms"], data["errors"], data["cpu_us"])


@contextlib.contextmanager
def driver(project: Project, path: str, *, concurrency: int, warmup: int) -> Iterator[Driver]:
    """Start *project*'s driver, warm it up on *path*; always stop it."""
    argv = [sys.executable, "-m", "bench.asgi_driver", _target(project), path, "--stay"]
    argv += ["-n", str(warmup), "-c", str(concurrency), "--warmup", str(warmup)]
    process = subprocess.Popen(
        argv,
        cwd=project.root,
        env=_env(project),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE
        _throughput(process.stdout.readline(), project.label)  # the warm-up
        yield Driver(process, project.label)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def median_throughput(runs: list[Throughput]) -> Throughput:
    """Medians of each figure over repeated runs; errors are summed, not hidden."""
    return Throughput(
        rps=statistics.median(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        errors=sum(run.errors for run in runs),
        cpu_us=(
            statistics.median(run.cpu_us for run in runs if run.cpu_us is not None)
            if all(run.cpu_us is not None for run in runs)
            else None
        ),
    )


def pass_through_cost_us(chained: Project, *, requests: int) -> float:
    """What one generated pass-through link costs, in microseconds.

    Around a Thibaud request the cost is lost in the noise, so it is measured
    around the raw ASGI app: (time with the 3-link chain - time without) / 3.
    """
    links = tuple(f"{chained.package}.passthrough:{name}" for name in PASS_THROUGH_CLASSES)
    project = Project("raw ASGI hello + chain", chained.root, RAW_PACKAGE)
    bare, wrapped = [], []
    for _ in range(5):
        bare.append(_raw_in(project, (), requests))
        wrapped.append(_raw_in(project, links, requests))
    per_request = statistics.median(wrapped) - statistics.median(bare)
    return per_request / len(links) * 1e6


def _raw_in(project: Project, wrap: tuple[str, ...], requests: int) -> float:
    argv = [sys.executable, "-m", "bench.asgi_driver", "bench.raw_asgi:app", "/"]
    argv += ["-n", str(requests), "-c", "32", "--warmup", str(requests // 10)]
    for middleware in wrap:
        argv += ["--wrap", middleware]
    env = project_env(project.root, {"PYTHONPATH": f"{project.root}:{REPO}", "PYTHONHASHSEED": "0"})
    completed = subprocess.run(
        argv, cwd=project.root, env=env, capture_output=True, text=True, check=True
    )
    # CPU seconds per call: the least disturbed by other work on the machine.
    return float(json.loads(completed.stdout.splitlines()[-1])["cpu_us"]) * 1e-6


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process *pid* so far (Linux /proc; else None)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5), counted after "(comm)".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def uvicorn(project: Project, ready_path: str) -> Iterator[Server]:
    """Serve *project* with uvicorn on 127.0.0.1; yield it; always stop it."""
    port = free_port()
    argv = [str(BIN_DIR / "uvicorn"), _target(project), "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    argv += ["--lifespan", "off"]
    with run_server(
        argv, cwd=project.root, port=port, env=_env(project), ready_path=ready_path
    ) as server:
        yield Server(server.base_url, server.process.pid)


def load(server: Server, path: str, *, seconds: int, concurrency: int) -> Throughput:
    """Load *server* for *seconds* with *concurrency* connections (wrk, else Python),
    and count the server's CPU time per request."""
    cpu_before = cpu_seconds(server.pid)
    result = load_url(server.base_url + path, seconds=seconds, concurrency=concurrency)
    cpu_after = cpu_seconds(server.pid)
    if cpu_before is None or cpu_after is None:
        return result
    served_requests = result.rps * seconds
    return replace(result, cpu_us=(cpu_after - cpu_before) / served_requests * 1e6)


def load_url(url: str, *, seconds: int, concurrency: int) -> Throughput:
    """Load *url* for *seconds* with *concurrency* connections: wrk, else Python."""
    if wrk_available():
        return _wrk(url, seconds=seconds, concurrency=concurrency)
    return _python_client(url, seconds=seconds, concurrency=concurrency)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk(url: str, *, seconds: int, concurrency: int) -> Throughput:
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    out = completed.stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{out}")
        return float(match[1]) * _UNITS[match[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = sum(
        int(count)
        for count in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        + re.findall(r"(?:connect|read|write|timeout) (\d+)", out)
    )
    return Throughput(float(rps[1]), latency("50"), latency("99"), errors)


def _python_client(url: str, *, seconds: int, concurrency: int) -> Throughput:
    """A bounded load generator for machines without wrk: C clients for *seconds*."""
    import asyncio
    import time

    import httpx

    async def load() -> tuple[float, list[float], int]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    response = await client.get(url)
                    latencies.append(time.perf_counter() - started)
                    errors += response.status_code != 200

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started, latencies, errors

    elapsed, latencies, errors = asyncio.run(load())
    quantiles = statistics.quantiles(sorted(latencies), n=100, method="inclusive")
    return Throughput(len(latencies) / elapsed, quantiles[49] * 1e3, quantiles[98] * 1e3, errors)
