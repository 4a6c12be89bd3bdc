"""Whether a project's git working tree has changes a command could mix its own into."""

from __future__ import annotations

from pathlib import Path

from thibaud_cli.errors import DirtyWorkingTreeError
from thibaud_cli.vcs.git import run_git


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
