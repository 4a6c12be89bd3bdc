"""A directory's files kept aside while code we do not control changes them.

The template's own commands (its tasks and migrations) run in the user's project and
may write any file there. If one of them fails, the command that ran them has not
happened: every file is put back as it was, in one transaction (``fs.transaction``),
and every file they added is removed. Which files count is the caller's to say (a
git work tree's tracked and unignored files: what a tool caches or builds there is
left as it is).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.fs.transaction import change_project


@contextlib.contextmanager
def restored_on_failure(
    root: Path, list_files: Callable[[], list[str]], *, operation: str, repair: str
) -> Iterator[None]:
    """Copy the files *list_files* names under *root* aside; if the block raises, put
    them back and remove the ones it added, then let the error through."""
    with scratch_directory("snapshot") as store:
        kept: dict[str, Path] = {}
        for index, relative in enumerate(list_files()):
            path = root / relative
            if os.path.lexists(path) and not (path.is_dir() and not path.is_symlink()):
                kept[relative] = store / str(index)
                shutil.copy2(path, kept[relative], follow_symlinks=False)
        try:
            yield
        except BaseException:
            _restore(root, kept, list_files(), operation=operation, repair=repair)
            raise


def _restore(
    root: Path, kept: dict[str, Path], present: list[str], *, operation: str, repair: str
) -> None:
    with change_project(root, operation=operation, repair=repair) as change:
        for relative, copy in kept.items():
            if copy.is_symlink():
                change.symlink(relative, os.readlink(copy))
            else:
                change.write(relative, copy.read_bytes(), mode=copy.stat().st_mode & 0o7777)
        for relative in set(present) - set(kept):
            if os.path.lexists(root / relative):
                change.remove(relative)
        change.commit()
