"""Timing a command: wall-clock median over repeated runs, and its peak memory."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timing:
    """Repeated runs of one command."""

    seconds: tuple[float, ...]
    #: Peak resident set size in MiB, when GNU time is there to measure it.
    peak_mib: float | None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def memory(self) -> str:
        return f"{self.peak_mib:.0f} MiB" if self.peak_mib is not None else "n/a"


class CommandFailed(RuntimeError):
    """A benchmarked command did not exit 0: its figure would be meaningless."""


def run_once(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> float:
    """Run *argv* once, output discarded; return its wall-clock seconds."""
    started = time.perf_counter()
    completed = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise CommandFailed(
            f"{' '.join(argv)} exited {completed.returncode}:\n"
            + completed.stderr.decode(errors="replace")
        )
    return elapsed


def peak_memory_mib(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> float | None:
    """The command's peak RSS, measured by GNU time (``None`` without it).

    Not ``os.wait4`` on our own child: a child forked from this (large) process
    starts out sharing its pages, and Linux keeps that high-water mark across exec.
    GNU time is small, so the child it forks is measured from a small start.
    """
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time is None:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as output:
        try:
            run_once([gnu_time, "-f", "%M", "-o", output.name, *argv], cwd=cwd, env=env)
            return int(output.read().split()[-1]) / 1024
        except (CommandFailed, ValueError, IndexError):
            return None


@dataclass(frozen=True)
class Command:
    """A command to time; *cwd* may be a function of the run number (a fresh
    directory for each run of a command that writes)."""

    argv: Sequence[str]
    cwd: Path | Callable[[int], Path] | None = None
    env: Mapping[str, str] | None = None

    def directory(self, run: int) -> Path | None:
        return self.cwd(run) if callable(self.cwd) else self.cwd


def time_commands(commands: Mapping[str, Command], *, runs: int) -> dict[str, Timing]:
    """Time each command *runs* times, interleaved: run 1 of every command, then
    run 2 of every command... so a slow spell on a shared machine hits them all
    rather than whichever command happened to be running. One untimed warm-up
    run first (it fills the OS file cache and writes byte-code), and one more
    run per command under GNU time for its memory."""
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(-1, runs):
        for name, command in commands.items():
            elapsed = run_once(command.argv, cwd=command.directory(run), env=command.env)
            if run >= 0:
                seconds[name].append(elapsed)
    return {
        name: Timing(
            seconds=tuple(seconds[name]),
            peak_mib=peak_memory_mib(command.argv, cwd=command.directory(runs), env=command.env),
        )
        for name, command in commands.items()
    }
