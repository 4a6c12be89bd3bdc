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
