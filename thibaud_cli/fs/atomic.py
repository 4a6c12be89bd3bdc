"""Atomic file-system writes: a reader, or a crash, sees the old state or the new one.

Temporary files and directories are named ``.thibaud-tmp-<pid>-...`` so that one
left behind by a killed process can be recognised, named and cleaned up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".thibaud-tmp-"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_prefix() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-"


def write_text_atomic(path: Path, text: str) -> None:
    """Write *text* to *path* via a temporary file in the same directory and ``os.replace``.

    The file keeps the permission bits of the file it replaces.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Bytes version of :func:`write_text_atomic`."""
    descriptor, temp_name = tempfile.mkstemp(prefix=_temp_prefix(), dir=path.parent)
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
    path = Path(tempfile.mkdtemp(prefix=_temp_prefix(), dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def stale_temporaries(directory: Path) -> list[Path]:
    """Temporaries in *directory* left by thibaud-admin processes that are gone."""
    stale = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        pid_text = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and not process_alive(int(pid_text)):
            stale.append(entry)
    return stale


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove what :func:`stale_temporaries` finds; return what was removed.

    These are only ever temporaries: a change that had begun to replace files in a
    project is undone from its journal (``fs.transaction``), not from them.
    """
    removed = []
    for entry in stale_temporaries(directory):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        if not os.path.lexists(entry):
            removed.append(entry)
    return removed


def fsync_directory(directory: Path) -> None:
    """Make the renames and removals in *directory* durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def process_alive(pid: int) -> bool:
    """Whether a process *pid* exists (one of another user counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
