"""The lock a command holds on a project while it changes it.

It is ``fcntl.flock`` on ``<project>/.thibaud-admin/lock``. That directory (the
*control directory*) holds what a change in progress needs: the lock, and the
transaction's journal and staged files (``fs.transaction``). It carries its own
``.gitignore`` (``*``, as pytest's and mypy's caches do), so git never sees it, and
it is removed when the command ends: a project only has one while a command runs,
or after a command was killed, until the next one rolls the change back.

The control directory must be a directory of the project's own, never a symlink:
one planted to point elsewhere would have the lock, the journal and its staged files
written (and rolled back) through it (:func:`refuse_linked_control`).

Removing the lock file is safe: a process that locked a file since unlinked sees
that the path no longer names what it holds, and tries again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from thibaud_cli.errors import InterruptedChangeError, ProjectLockedError, ProjectNotFoundError

CONTROL_DIRNAME = ".thibaud-admin"
LOCK_FILENAME = "lock"
#: How long a command waits for another one to finish changing the same project.
LOCK_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05
_GITIGNORE = b"# Written by thibaud-admin while it changes this project; never commit it.\n*\n"

#: Projects this process holds the lock of (the lock is re-entrant within a process).
_held: set[Path] = set()


def control_directory(root: Path) -> Path:
    return root / CONTROL_DIRNAME


def refuse_linked_control(root: Path) -> None:
    """Raise if *root*'s control directory exists and is not a plain directory (a symlink)."""
    control = control_directory(root)
    try:
        status = control.lstat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise InterruptedChangeError(f"{control} cannot be read: {error.strerror}.") from error
    if not stat.S_ISDIR(status.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a directory"
        raise InterruptedChangeError(
            f"{control} is {kind}, not thibaud-admin's own directory: nothing was done. "
            "Look at it, then remove it yourself."
        )


def lock_held(root: Path) -> bool:
    """Whether a process (this one included) holds *root*'s lock. Writes nothing."""
    if root.absolute() in _held:
        return True
    try:
        descriptor = os.open(
            control_directory(root) / LOCK_FILENAME, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
        )
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


@contextlib.contextmanager
def project_lock(root: Path, *, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold *root*'s lock; after *wait* seconds of another holder, raise ProjectLockedError."""
    key = root.absolute()
    if key in _held:
        yield
        return
    descriptor = _acquire(root, time.monotonic() + wait)
    _held.add(key)
    try:
        _write_gitignore(root)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        _held.discard(key)
        _remove_control_directory(root)
        os.close(descriptor)


def _acquire(root: Path, deadline: float) -> int:
    control = control_directory(root)
    path = control / LOCK_FILENAME
    if not root.is_dir():
        raise ProjectNotFoundError(f"'{root}' is not a directory.")
    while True:
        refuse_linked_control(root)
        with contextlib.suppress(FileExistsError):
            control.mkdir()
        try:
            # Never through a planted symlink: the lock file is truncated once held.
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
            descriptor = os.open(path, flags, 0o644)
        except FileNotFoundError:
            continue  # the holder removed the directory between the two calls
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise InterruptedChangeError(
                    f"{path} is a symbolic link, not thibaud-admin's lock: nothing was done. "
                    f"Look at it, then remove {control} yourself."
                ) from error
            with contextlib.suppress(OSError):
                control.rmdir()
            raise
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            if time.monotonic() >= deadline:
                raise ProjectLockedError(_busy_message(root, path)) from None
            time.sleep(_POLL_SECONDS)
            continue
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(descriptor)):
            return descriptor
        os.close(descriptor)  # the previous holder removed it: lock the new one


def _busy_message(root: Path, path: Path) -> str:
    try:
        holder = path.read_text("utf-8").strip()
    except OSError:
        holder = ""
    who = f" (process {holder})" if holder.isdigit() else ""
    return (
        f"Another thibaud-admin command{who} is changing '{root}' and did not finish within "
        f"{LOCK_WAIT_SECONDS:g} seconds: nothing was done. Run this one again once it has."
    )


def _write_gitignore(root: Path) -> None:
    path = control_directory(root) / ".gitignore"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        return
    try:
        if os.write(descriptor, _GITIGNORE) != len(_GITIGNORE):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    except BaseException:
        os.close(descriptor)
        path.unlink(missing_ok=True)
        raise
    os.close(descriptor)


def _remove_control_directory(root: Path) -> None:
    """Remove the control directory, unless a transaction is left in it to roll back."""
    control = control_directory(root)
    if any(entry.name not in (LOCK_FILENAME, ".gitignore") for entry in _entries(control)):
        return
    for name in (LOCK_FILENAME, ".gitignore"):
        with contextlib.suppress(OSError):
            (control / name).unlink()
    with contextlib.suppress(OSError):
        control.rmdir()


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as scan:
            return list(scan)
    except OSError:
        return []
