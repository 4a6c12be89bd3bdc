"""The CLI runner: thibaud-admin run in a process of its own, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: This environment's scripts (``thibaud-admin``, the servers).
BIN_DIR = Path(sys.executable).parent


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    module: bool = False,
    timeout: float = 120.0,
    umask: int = -1,
) -> subprocess.CompletedProcess[str]:
    """Run thibaud-admin in a process of its own, as a user would: the installed script,
    or with *module* ``python -m thibaud_cli``; no standard input, and no settings module
    inherited from the test run (one given in *env* is kept)."""
    return subprocess.run(
        [*_program(module), *args],
        cwd=cwd,
        env=cli_environment(env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        umask=umask,
    )


def start_cli(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, module: bool = False
) -> subprocess.Popen[str]:
    """:func:`run_cli` started, not waited for: for commands that must run at once."""
    return subprocess.Popen(
        [*_program(module), *args],
        cwd=cwd,
        env=cli_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def cli_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment less any settings module, then *env*."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(env or {})
    return environment


def _program(module: bool) -> list[str]:
    return [sys.executable, "-m", "thibaud_cli"] if module else [str(BIN_DIR / "thibaud-admin")]


def run_cli_measured(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> tuple[subprocess.CompletedProcess[str], float]:
    """:func:`run_cli` (``python -m thibaud_cli``), and the peak resident size of that one
    process in MiB (``wait4``'s own usage: no other child of the test counts)."""
    import tempfile
    import time

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [*_program(True), *args],
            cwd=cwd,
            env=cli_environment(env),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                raise subprocess.TimeoutExpired(process.args, timeout)
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    return done, usage.ru_maxrss / 1024
