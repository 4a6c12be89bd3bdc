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


#: Run by :func:`run_cli_measured` between the test and the command: a fork of this
#: small process, not of the test's, is what execs the command. On exec, Linux keeps the
#: peak resident size the process had before it (``ru_maxrss`` survives exec), so a
#: command forked straight from a test worker that has grown to hundreds of MiB would
#: report the worker's size, not its own.
_MEASURING_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
os.write(int(os.environ["THIBAUD_TEST_RSS_FD"]), str(usage.ru_maxrss).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli_measured(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> tuple[subprocess.CompletedProcess[str], float]:
    """:func:`run_cli` (``python -m thibaud_cli``), and the peak resident size of that one
    process in MiB (``wait4``'s own usage, taken by a small launcher: no other process of
    the test counts)."""
    import signal
    import tempfile

    read_end, write_end = os.pipe()
    try:
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            process = subprocess.Popen(
                [sys.executable, "-S", "-c", _MEASURING_LAUNCHER, *_program(True), *args],
                cwd=cwd,
                env={**cli_environment(env), "THIBAUD_TEST_RSS_FD": str(write_end)},
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
                pass_fds=(write_end,),
                start_new_session=True,
            )
            os.close(write_end)
            write_end = -1
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise
            out.seek(0)
            err.seek(0)
            done = subprocess.CompletedProcess(
                process.args, process.returncode, out.read(), err.read()
            )
        peak_kib = int(os.read(read_end, 64) or b"0")
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)
    return done, peak_kib / 1024
