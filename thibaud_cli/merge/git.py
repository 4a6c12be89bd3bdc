"""Running git for a merge: outside any repository, with no configuration of the user's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from thibaud_cli.errors import ThibaudCliError


def find_git() -> str:
    git = shutil.which("git")
    if git is None:
        raise ThibaudCliError(
            "git is needed to merge the template's changes with your edits and was not "
            "found on PATH: install git (https://git-scm.com/downloads), then run the "
            "command again."
        )
    return git


def environment(home: Path) -> dict[str, str]:
    """What git runs with: no configuration file, and no repository.

    No configuration (``diff.algorithm``, ``diff.indentHeuristic``,
    ``diff.suppressBlankEmpty``, ``merge.conflictStyle``...) may change a merge or
    the diffs read here, and no repository around the temporary directory is opened,
    so neither its configuration nor its hooks or fsmonitor can run: no ``GIT_*``
    variable is passed on, the system and global files are off, and discovery stops
    at the temporary directory (its parent is a ceiling). With no configuration read,
    ``-c core.hooksPath=...``-style overrides would have nothing to override.
    """
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "SYSTEMROOT")}
    env.update(
        HOME=str(home),
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(home.parent),
    )
    return env


def run(git: str, arguments: list[str], directory: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [git, *arguments],
            cwd=directory,
            env=environment(directory),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as error:
        raise ThibaudCliError(
            f"git could not be run to merge the template's changes ({error}): check that "
            "git is installed and works, then run the command again."
        ) from error


def failed(what: str, process: subprocess.CompletedProcess[bytes]) -> ThibaudCliError:
    lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else f"exit status {process.returncode}"
    return ThibaudCliError(f"{what} failed while merging the template's changes: {detail}")
