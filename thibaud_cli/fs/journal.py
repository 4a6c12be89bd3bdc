"""The journal of a change to a project, and how to roll it back.

A change (``fs.transaction``) lives in ``<project>/.thibaud-admin/transaction/``:

- ``new/<i>``: the new content of entry *i*, written and fsynced before anything
  in the project is touched;
- ``old/<i>``: what entry *i*'s path held before, saved as a hard link (a copy
  where links are not possible) before it is replaced or removed;
- ``journal.json``: written atomically (and fsynced) once both are complete, before
  the first change to the project: the command, its pid and start time, how to
  repair it, the directories it creates, and one entry per path (``write`` or
  ``remove``, whether the old content was saved, and the device and inode of the
  staged file, which tell a file this change created from one made by someone else
  since).

The journal is removed once every rename is durable: that is the commit. While it
exists the change can be rolled back, from any point, any number of times: a saved
path gets its old file back (by a rename), a created one is removed if it is still
the file this change put there, and the created directories are removed if empty.

A journal is read as untrusted input (:func:`load_journal`): one can be planted (a
template shipping ``.thibaud-admin/``, a directory someone else prepared), and a
rollback renames and removes what it names. So before anything is restored or
removed, every path it names must lie inside the project without following a
symlink (``..``, absolute paths, a symlinked parent, the control directory itself
are refused), the staging area must be real directories, and a saved file must be a
regular file or a symlink that stays inside the project. A journal that fails is
refused in one line and left where it is, for the user to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from thibaud_cli.errors import InterruptedChangeError
from thibaud_cli.fs.atomic import fsync_directory
from thibaud_cli.fs.lock import CONTROL_DIRNAME, control_directory, lock_held, refuse_linked_control

TRANSACTION_DIRNAME = "transaction"
JOURNAL_FILENAME = "journal.json"
_FORMAT = "thibaud-admin journal 1"


def transaction_directory(root: Path) -> Path:
    return control_directory(root) / TRANSACTION_DIRNAME


@dataclass(frozen=True)
class JournalEntry:
    path: str
    action: str  # "write" or "remove"
    saved: bool
    staged_id: tuple[int, int] | None


@dataclass(frozen=True)
class Journal:
    operation: str
    pid: int
    started: str
    #: What to run to roll it back, as a sentence (shown by read-only commands).
    repair: str
    created_directories: tuple[str, ...]
    entries: tuple[JournalEntry, ...]

    def to_json(self) -> bytes:
        document = {
            "format": _FORMAT,
            "operation": self.operation,
            "pid": self.pid,
            "started": self.started,
            "repair": self.repair,
            "created_directories": list(self.created_directories),
            "entries": [
                {
                    "path": entry.path,
                    "action": entry.action,
                    "saved": entry.saved,
                    "staged_id": list(entry.staged_id) if entry.staged_id else None,
                }
                for entry in self.entries
            ],
        }
        return (json.dumps(document, indent=1) + "\n").encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> Journal:
        try:
            document: Any = json.loads(_read_journal_bytes(path))
            if document["format"] != _FORMAT:
                raise ValueError(f"unknown format {document['format']!r}")
            return cls(
                operation=str(document["operation"]),
                pid=int(document["pid"]),
                started=str(document["started"]),
                repair=str(document["repair"]),
                created_directories=tuple(map(str, document["created_directories"])),
                entries=tuple(
                    JournalEntry(
                        path=str(item["path"]),
                        action=str(item["action"]),
                        saved=bool(item["saved"]),
                        staged_id=_pair(item["staged_id"]),
                    )
                    for item in document["entries"]
                ),
            )
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as error:
            raise InterruptedChangeError(
                f"{path}, the journal of an interrupted change, cannot be read ({error}): "
                f"restore the project from version control, then remove "
                f"{path.parent.parent}."
            ) from error

    def describe(self) -> str:
        return f"thibaud-admin {self.operation} (process {self.pid}, started {self.started})"


#: A journal names paths, never contents: far more than any project's worth of paths.
_JOURNAL_MAX_BYTES = 64 * 1024 * 1024


def _read_journal_bytes(path: Path) -> bytes:
    # Never through a symlink, never a FIFO or a device, never without end.
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(_JOURNAL_MAX_BYTES + 1)
    if len(data) > _JOURNAL_MAX_BYTES:
        raise ValueError("larger than any journal thibaud-admin writes")
    return data


def _pair(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    first, second = value
    return int(first), int(second)


def load_journal(root: Path) -> Journal:
    """The journal left in *root*, read and checked (see the module's docstring)."""
    transaction = transaction_directory(root)
    journal_path = transaction / JOURNAL_FILENAME
    journal = Journal.read(journal_path)
    problem = _outside_problem(root, journal)
    if problem is not None:
        raise InterruptedChangeError(
            f"{journal_path} is not a journal thibaud-admin wrote ({problem}): nothing was "
            f"restored or removed. Look at it, then remove {transaction.parent} yourself."
        )
    return journal


def _outside_problem(root: Path, journal: Journal) -> str | None:
    """Why *journal* could make a rollback touch something outside *root* (None: it cannot)."""
    transaction = transaction_directory(root)
    for directory in (transaction, transaction / "old", transaction / "new"):
        if os.path.lexists(directory) and not _real_directory(directory):
            return f"{directory.relative_to(root)} is not a directory"
    for entry in journal.entries:
        if entry.action not in ("write", "remove"):
            return f"unknown action {entry.action!r}"
    named = [entry.path for entry in journal.entries] + list(journal.created_directories)
    for relative in named:
        problem = _path_problem(root, relative)
        if problem is not None:
            return f"it names {relative!r}, {problem}"
    for relative in journal.created_directories:
        if os.path.lexists(root / relative) and not _real_directory(root / relative):
            return f"it names {relative!r} as a directory it created, which is not one"
    for index, entry in enumerate(journal.entries):
        problem = _saved_problem(root, entry, transaction / "old" / str(index))
        if problem is not None:
            return problem
    return None


def _path_problem(root: Path, relative: str) -> str | None:
    path = PurePosixPath(relative)
    if not path.parts or path.is_absolute() or ".." in path.parts or "\x00" in relative:
        return "which is not a path inside the project"
    if path.parts[0].casefold() == CONTROL_DIRNAME:
        return "thibaud-admin's own directory"
    parent = root
    for part in path.parts[:-1]:
        parent = parent / part
        try:
            status = parent.lstat()
        except FileNotFoundError:
            return None  # made by the rollback, a real directory
        if not stat.S_ISDIR(status.st_mode):
            return f"whose parent {parent.relative_to(root)} is not a directory (a symlink?)"
    return None


def _saved_problem(root: Path, entry: JournalEntry, saved: Path) -> str | None:
    try:
        status = saved.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(status.st_mode):
        target = os.readlink(saved)
        where = PurePosixPath(entry.path).parent / target
        if os.path.isabs(target) or ".." in PurePosixPath(os.path.normpath(where)).parts:
            return f"the saved copy of {entry.path!r} is a symlink leading out of the project"
        return None
    if not stat.S_ISREG(status.st_mode):
        return f"the saved copy of {entry.path!r} is not a file"
    return None


def _real_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def rollback(root: Path, journal: Journal) -> None:
    """Put back what *journal*'s change replaced or created under *root*; idempotent."""
    transaction = transaction_directory(root)
    touched: set[Path] = set()
    for index, entry in reversed(list(enumerate(journal.entries))):
        target = root / entry.path
        saved = transaction / "old" / str(index)
        if entry.saved:
            if os.path.lexists(saved):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(saved, target)
                touched.add(target.parent)
        elif entry.staged_id is not None and _identity(target) == entry.staged_id:
            target.unlink()
            touched.add(target.parent)
    for relative in reversed(journal.created_directories):
        with contextlib.suppress(OSError):
            (root / relative).rmdir()
            touched.add((root / relative).parent)
    for directory in sorted(touched):
        if directory.is_dir():
            fsync_directory(directory)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.lstat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def recover(root: Path) -> str | None:
    """Roll back a change a killed command left in *root*; say so. The caller holds the lock."""
    transaction = transaction_directory(root)
    if not os.path.lexists(transaction):
        return None
    if not _real_directory(transaction):
        raise InterruptedChangeError(
            f"{transaction} is not a directory (a symbolic link?), so not thibaud-admin's: "
            f"nothing was restored or removed. Look at it, then remove {transaction.parent} "
            "yourself."
        )
    journal_path = transaction / JOURNAL_FILENAME
    if not os.path.lexists(journal_path):
        # Killed while staging (nothing in the project was touched yet), or after
        # the commit (everything was): either way only the staging area is left.
        shutil.rmtree(transaction)
        return None
    journal = load_journal(root)
    rollback(root, journal)
    journal_path.unlink()
    shutil.rmtree(transaction)
    return f"{journal.describe()} was interrupted: its changes were rolled back."


@dataclass(frozen=True)
class InterruptedChange:
    """A change a killed command left half-done, as a read-only command finds it."""

    root: Path
    journal: Journal

    @property
    def message(self) -> str:
        return (
            f"{self.journal.describe()} was interrupted and left '{self.root}' half-changed; "
            f"nothing was changed now. {self.journal.repair}"
        )

    def original(self, relative: str) -> bytes | None:
        """What *relative* held before the change (None: it did not exist)."""
        for index, entry in enumerate(self.journal.entries):
            if entry.path == relative:
                if not entry.saved:
                    return None
                return (transaction_directory(self.root) / "old" / str(index)).read_bytes()
        path = self.root / relative
        return path.read_bytes() if path.is_file() else None


def find_interrupted(root: Path) -> InterruptedChange | None:
    """The change a killed command left in *root*, if any; reads only, writes nothing.

    A journal whose command still holds the lock is a change in progress, not one
    that was interrupted.
    """
    refuse_linked_control(root)
    journal_path = transaction_directory(root) / JOURNAL_FILENAME
    if not os.path.lexists(journal_path) or lock_held(root):
        return None
    return InterruptedChange(root, load_journal(root))


def refuse_interrupted(root: Path) -> None:
    """Raise InterruptedChangeError if a killed command left *root* half-changed."""
    found = find_interrupted(root)
    if found is not None:
        raise InterruptedChangeError(found.message)
