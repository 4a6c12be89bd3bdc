"""Running git for a merge: outside any repository, with no configuration of the user's
(:func:`~thibaud_cli.vcs.git.isolated_git_environment`), and what its failures say."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from thibaud_cli.errors import ThibaudCliError
from thibaud_cli.vcs.git import git_program, run_git_bytes


def require_git() -> None:
    """Refuse, in one line, to merge without git."""
    if git_program() is None:
        raise ThibaudCliError(
            "git is needed to merge the template's changes with your edits and was not "
            "found on PATH: install git (https://git-scm.com/downloads), then run the "
            "command again."
        )


def run(arguments: Sequence[str], directory: Path) -> subprocess.CompletedProcess[bytes]:
    """``git *arguments`` in *directory*, a private temporary directory, isolated."""
    try:
        return run_git_bytes(arguments, cwd=directory, isolated=True)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ThibaudCliError(
            f"git could not be run to merge the template's changes ({error}): check that "
            "git is installed and works, then run the command again."
        ) from error


def failed(what: str, process: subprocess.CompletedProcess[bytes]) -> ThibaudCliError:
    lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else f"exit status {process.returncode}"
    return ThibaudCliError(f"{what} failed while merging the template's changes: {detail}")
