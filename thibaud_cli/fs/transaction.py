"""Changes to a project that happen whole or not at all: the one transaction scheme.

Every command that writes into a project (``startproject`` into an existing
directory, the middleware commands, ``update``) stages its writes in a
:class:`Transaction` while it holds the project's lock (``fs.lock``), then commits:

1. every new content is written and fsynced under ``.thibaud-admin/transaction/new/``,
   and every path about to be replaced or removed is saved under ``old/``;
2. the journal is written atomically (``fs.journal``): from here on the change can
   be rolled back;
3. the renames: a replaced file by ``os.replace`` (it keeps its mode), a new one by
   ``os.link``, which refuses to overwrite a file that appeared meanwhile; removals;
4. the directories touched are fsynced, and the journal is removed: the commit.

A failure of this process at any step (an error, a full disk, Ctrl-C) rolls the
writes back before the error is reported. A process killed between 2 and 4 leaves
the journal; the next command that writes the project rolls it back
(:func:`change_project`), and read-only ones report it and write nothing.

Rolled back, never forward: a command that did not report success has not happened,
whatever the moment it was killed, so the project is always in a state the user has
seen (and, usually, committed). Rolling forward would complete a change its user
may have killed on purpose, and would need every new content to be durable before
the journal, for no better guarantee.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from thibaud_cli.errors import InterruptedChangeError, ThibaudCliError
from thibaud_cli.fs.atomic import fsync_directory, write_bytes_atomic
from thibaud_cli.fs.journal import (
    JOURNAL_FILENAME,
    Journal,
    JournalEntry,
    recover,
    rollback,
    transaction_directory,
)
from thibaud_cli.fs.lock import CONTROL_DIRNAME, LOCK_WAIT_SECONDS, project_lock
from thibaud_cli.fs.scratch import remove_stale


@dataclass(frozen=True)
class _Write:
    path: str
    content: bytes | None  # None: remove
    symlink: str | None = None
    mode: int | None = None


class Transaction:
    """Writes and removals under *root*, staged, then committed together.

    Obtain one from :func:`change_project`, which holds the lock it needs.
    """

    def __init__(self, root: Path, *, operation: str, repair: str) -> None:
        self.root = root
        self.operation = operation
        self.repair = repair
        #: Set when a change a killed command left was rolled back first.
        self.recovered: str | None = None
        self._writes: dict[str, _Write] = {}

    def write(
        self, relative: str | PurePosixPath, content: bytes, *, mode: int | None = None
    ) -> None:
        """Write *content* to *relative*; a new file gets *mode*, an existing one keeps its own."""
        path = _checked(relative)
        self._writes[path] = _Write(path, content, mode=mode)

    def symlink(self, relative: str | PurePosixPath, target: str) -> None:
        path = _checked(relative)
        self._writes[path] = _Write(path, b"", symlink=target)

    def remove(self, relative: str | PurePosixPath) -> None:
        path = _checked(relative)
        self._writes[path] = _Write(path, None)

    def commit(self) -> None:
        """Make every staged write, or none; see the module's docstring for how."""
        writes = [write for write in self._writes.values() if self._changes(write)]
        self._writes.clear()
        if not writes:
            return
        staging = transaction_directory(self.root)
        try:
            journal = self._stage(staging, writes)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            self._apply(journal)
        except BaseException as error:
            self._undo(journal, error)
            raise
        shutil.rmtree(staging, ignore_errors=True)

    def _changes(self, write: _Write) -> bool:
        target = self.root / write.path
        if write.content is None:
            return os.path.lexists(target)
        if write.symlink is not None:
            return not (target.is_symlink() and os.readlink(target) == write.symlink)
        if target.is_symlink() or not target.is_file():
            return True
        return target.read_bytes() != write.content

    def _stage(self, staging: Path, writes: list[_Write]) -> Journal:
        (staging / "new").mkdir(parents=True)
        (staging / "old").mkdir()
        entries = []
        created: list[str] = []
        for index, write in enumerate(writes):
            target = self.root / write.path
            saved = _save(target, staging / "old" / str(index))
            staged_id = None
            if write.content is not None:
                staged_id = _stage_one(write, target, staging / "new" / str(index))
                for parent in reversed(PurePosixPath(write.path).parents[:-1]):
                    if not (self.root / parent).is_dir() and str(parent) not in created:
                        created.append(str(parent))
            action = "write" if write.content is not None else "remove"
            entries.append(JournalEntry(write.path, action, saved, staged_id))
        fsync_directory(staging / "new")
        fsync_directory(staging / "old")
        journal = Journal(
            operation=self.operation,
            pid=os.getpid(),
            started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            repair=self.repair,
            created_directories=tuple(created),
            entries=tuple(entries),
        )
        write_bytes_atomic(staging / JOURNAL_FILENAME, journal.to_json())
        fsync_directory(staging)
        return journal

    def _apply(self, journal: Journal) -> None:
        staging = transaction_directory(self.root)
        touched: set[Path] = set()
        for relative in journal.created_directories:
            (self.root / relative).mkdir(exist_ok=True)
            touched.add((self.root / relative).parent)
        for index, entry in enumerate(journal.entries):
            target = self.root / entry.path
            staged = staging / "new" / str(index)
            touched.add(target.parent)
            if entry.action == "remove":
                target.unlink()
                touched.update(self._prune_empty_parents(target))
            elif entry.saved:
                os.replace(staged, target)
            else:
                # Refuses to replace a file that appeared since the command looked.
                os.link(staged, target, follow_symlinks=False)
        for directory in sorted(touched):
            if directory.is_dir():
                fsync_directory(directory)
        (staging / JOURNAL_FILENAME).unlink()
        fsync_directory(staging)

    def _prune_empty_parents(self, path: Path) -> list[Path]:
        # A directory the change emptied goes too; the rollback makes it again.
        removed = []
        parent = path.parent
        while parent != self.root and self.root in parent.parents and not any(parent.iterdir()):
            parent.rmdir()
            removed.append(parent.parent)
            parent = parent.parent
        return removed

    def _undo(self, journal: Journal, error: BaseException) -> None:
        journal_path = transaction_directory(self.root) / JOURNAL_FILENAME
        try:
            if not journal_path.exists():
                # It failed just after the commit: should the undo fail too, the next
                # command must still find what to roll back.
                write_bytes_atomic(journal_path, journal.to_json())
            rollback(self.root, journal)
            journal_path.unlink()
        except BaseException as undo_error:
            raise InterruptedChangeError(
                f"{str(error) or type(error).__name__}; undoing the writes already made "
                f"failed too ({undo_error}): the next thibaud-cli command that changes "
                f"'{self.root}' rolls them back."
            ) from undo_error
        shutil.rmtree(transaction_directory(self.root), ignore_errors=True)


def _checked(relative: str | PurePosixPath) -> str:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"not a relative path inside the project: {relative}")
    if path.parts[0] == CONTROL_DIRNAME:
        raise ValueError(f"{relative} is thibaud-admin's own")
    return str(path)


def _save(target: Path, saved: Path) -> bool:
    """Keep what *target* holds at *saved*; False if there is nothing there."""
    if not os.path.lexists(target):
        return False
    if target.is_dir() and not target.is_symlink():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    try:
        os.link(target, saved, follow_symlinks=False)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        shutil.copy2(target, saved, follow_symlinks=False)
    return True


#: Why a file system may refuse a hard link where a copy would do.
_NO_HARD_LINKS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOSYS}


def _stage_one(write: _Write, target: Path, staged: Path) -> tuple[int, int]:
    if write.symlink is not None:
        os.symlink(write.symlink, staged)
    else:
        assert write.content is not None
        with open(staged, "xb") as handle:
            handle.write(write.content)
            handle.flush()
            os.fsync(handle.fileno())
        if target.is_file() and not target.is_symlink():
            mode = target.stat().st_mode & 0o7777
        elif write.mode is not None:
            mode = write.mode
        else:
            mode = 0o666 & ~_umask()
        os.chmod(staged, mode)
    status = staged.lstat()
    return status.st_dev, status.st_ino


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def change_project(
    root: Path, *, operation: str, repair: str, wait: float = LOCK_WAIT_SECONDS
) -> Iterator[Transaction]:
    """Lock *root*, roll back what a killed command left, and give a transaction to fill.

    The caller reads the project only inside the block, so that it sees what the
    command before it wrote, and calls :meth:`Transaction.commit` when it is done.
    """
    with project_lock(root, wait=wait):
        transaction = Transaction(root, operation=operation, repair=repair)
        transaction.recovered = recover(root)
        remove_stale(root)
        try:
            yield transaction
        except ThibaudCliError as error:
            # The error is what the user sees: it must not hide the roll-back.
            if transaction.recovered and error.args:
                error.args = (f"{transaction.recovered} {error.args[0]}", *error.args[1:])
            raise
