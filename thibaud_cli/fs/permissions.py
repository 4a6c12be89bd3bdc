"""The user's umask on every file a render wrote.

Template engines copy a template file's mode as it is (copier does: ``settings.py``
comes out 0644 and ``manage.py`` 0755 even under ``umask 077``). The project is the
user's, so, as Thibaud's own ``startproject`` does, each mode is the template's
mode less the umask: an executable file stays executable, within the umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from thibaud_cli.fs.walk import walk_tree


def current_umask() -> int:
    """The process's umask (reading it means setting it: it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(root: Path, *, umask: int | None = None) -> None:
    """Clear the *umask* bits (default: the process's) on *root* and everything under it.

    Symbolic links are left alone: their own mode means nothing, and following
    them could change a file outside *root*.
    """
    mask = current_umask() if umask is None else umask
    for path in walk_tree(root):
        _mask_mode(path, mask)
    _mask_mode(root, mask)


def _mask_mode(path: Path, mask: int) -> None:
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return
    mode = stat.S_IMODE(status.st_mode)
    if mode & mask:
        os.chmod(path, mode & ~mask)
