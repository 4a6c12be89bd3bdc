"""Atomic file-system writes: a reader, or a crash, sees the old state or the new one.

Temporary files and directories are named as :mod:`~thibaud_cli.fs.scratch` names
them (``.thibaud-tmp-<pid>-...``), so that one left behind by a killed process is
recognised and removed by its sweeper.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
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


def write_text_where_named(path: Path, text: str) -> None:
    """Write *text* to a file the user named (``--junit-xml``), as they mean it.

    A regular file (or a new one) is replaced atomically; through a symlink, the file
    it names is (the link stays a link). One of this process's descriptors
    (``/dev/stdout``, ``/dev/fd/N``, directly or through a link) is written to as the
    stream it is, whatever it is connected to; a device, a FIFO or a socket is written
    to, never replaced by a regular file.
    """
    data = text.encode("utf-8")
    descriptor = _own_descriptor(path)
    if descriptor is not None:
        _write_to_descriptor(descriptor, data)
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "ab") as handle:  # "a": a device or a FIFO has no start to go to
            handle.write(data)
        return
    write_bytes_atomic(Path(os.path.realpath(path)), data)


#: The names of this process's own descriptors, and the link chains that lead there.
_DESCRIPTOR_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_DIRECTORIES = ("/dev/fd/", "/proc/self/fd/")


def _own_descriptor(path: Path) -> int | None:
    """The descriptor *path* names, directly or through links; None if none.

    Opening ``/dev/stdout`` anew would give a second file position: standard output
    redirected to a file would then be overwritten by what Python writes to it."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        if current in _DESCRIPTOR_NAMES:
            return _DESCRIPTOR_NAMES[current]
        for directory in (*_DESCRIPTOR_DIRECTORIES, f"/proc/{os.getpid()}/fd/"):
            number = current.removeprefix(directory)
            if current.startswith(directory) and number.isdigit():
                return int(number)
        if not os.path.islink(current):
            return None
        current = os.path.abspath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return None


def _write_to_descriptor(descriptor: int, data: bytes) -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # what was printed before comes before
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


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
