"""Atomic file-system writes: a reader, or a crash, sees the old state or the new one.

Temporary files and directories are named as :mod:`~thibaud_cli.fs.scratch` names
them (``.thibaud-tmp-<pid>-...``), so that one left behind by a killed process is
recognised and removed by its sweeper.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from thibaud_cli.fs.scratch import temporary_prefix


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write *text* to *path* via a temporary file in the same directory and ``os.replace``.

    The file keeps the permission bits of the file it replaces.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Bytes version of :func:`write_text_atomic`."""
    descriptor, temp_name = tempfile.mkstemp(prefix=temporary_prefix(), dir=path.parent)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            # mkstemp makes the file private (0600); a new file gets the mode any
            # other new file would, so that a server running as another user can
            # read it.
            mode = 0o666 & ~_umask()
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staging_directory(parent: Path) -> Iterator[Path]:
    """A temporary directory inside *parent*, removed whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=temporary_prefix(), dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fsync_directory(directory: Path) -> None:
    """Make the renames and removals in *directory* durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
