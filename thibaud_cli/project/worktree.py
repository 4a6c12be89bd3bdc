"""A project's git working tree: whether it has changes a command could mix its own
into, and which of its files are the project's own (kept while the template's code runs)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from thibaud_cli.errors import DirtyWorkingTreeError
from thibaud_cli.fs import snapshot
from thibaud_cli.fs.lock import CONTROL_DIRNAME
from thibaud_cli.fs.walk import walk_files
from thibaud_cli.vcs.git import run_git
from thibaud_cli.vcs.metadata import is_vcs_metadata


def refuse_uncommitted_changes(project_dir: Path) -> None:
    """Raise :class:`DirtyWorkingTreeError` if the project is in a git tree with changes."""
    try:
        # With our configuration above the repository's: no fsmonitor or hook runs.
        status = run_git(["status", "--porcelain", "--", "."], cwd=project_dir)
    except (FileNotFoundError, NotADirectoryError):
        return  # no git, or no directory: load_answers() says which
    if status.returncode != 0:
        return  # not a git working tree: nothing to protect
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise DirtyWorkingTreeError(
            f"'{project_dir}' has uncommitted changes ({shown}): commit or stash them first, "
            "so that you can review the update with 'git diff' and undo it with "
            "'git checkout'. Pass --allow-dirty to update anyway."
        )


def own_files(project_dir: Path) -> list[str]:
    """The project's files, relative to *project_dir*: in a git work tree those git
    tracks or would (not ignored); elsewhere every file, version-control metadata and
    thibaud-admin's control directory aside."""
    try:
        listed = run_git(
            ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=project_dir,
        )
    except (FileNotFoundError, NotADirectoryError):
        listed = None
    if listed is not None and listed.returncode == 0:
        return sorted({name for name in listed.stdout.split("\0") if name})
    files = (path.relative_to(project_dir).as_posix() for path in walk_files(project_dir))
    return [
        name
        for name in files
        if not is_vcs_metadata(name) and name.split("/")[0] != CONTROL_DIRNAME
    ]


@contextlib.contextmanager
def restored_on_failure(project_dir: Path, *, operation: str, repair: str) -> Iterator[None]:
    """The project's own files (:func:`own_files`) as they are now, put back if the
    block raises: what the template's tasks change is undone with the rest."""
    metadata = _vcs_metadata(project_dir)
    try:
        with snapshot.restored_on_failure(
            project_dir, lambda: own_files(project_dir), operation=operation, repair=repair
        ):
            yield
    except BaseException:
        # A repository a task made (git init) goes with the rest; one that was there stays.
        for name in _vcs_metadata(project_dir) - metadata:
            path = project_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _vcs_metadata(directory: Path) -> set[str]:
    return {name for name in os.listdir(directory) if is_vcs_metadata(name)}
