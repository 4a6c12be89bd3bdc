"""Reading a file a user named, which must be a regular file: a FIFO would block the
command for ever, a device (``/dev/zero``) would never end. Opened without blocking,
then checked on the open descriptor (no race between the check and the read)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """The path names a FIFO, a device or a socket, not a file."""


def is_special(path: Path) -> bool:
    """Whether *path* (through symlinks) exists and is neither a file nor a directory."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_regular_bytes(path: Path) -> bytes:
    """The content of *path*, a regular file (symlinks followed); anything else raises
    :class:`NotRegularFileError` at once, without reading."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotRegularFileError(
                errno.EINVAL, "not a regular file (a FIFO, a device or a socket)", str(path)
            )
        os.set_blocking(descriptor, True)
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            return handle.read()
    finally:
        os.close(descriptor)
