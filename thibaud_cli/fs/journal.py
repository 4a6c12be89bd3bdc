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
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thibaud_cli.errors import InterruptedChangeError
from thibaud_cli.fs.atomic import fsync_directory
from thibaud_cli.fs.lock import control_directory, lock_held

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
            document: Any = json.loads(path.read_bytes())
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
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InterruptedChangeError(
                f"{path}, the journal of an interrupted change, cannot be read ({error}): "
                f"restore the project from version control, then remove "
                f"{path.parent.parent}."
            ) from error

    def describe(self) -> str:
        return f"thibaud-admin {self.operation} (process {self.pid}, started {self.started})"


def _pair(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    first, second = value
    return int(first), int(second)


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
    journal_path = transaction / JOURNAL_FILENAME
    if not journal_path.exists():
        # Killed while staging (nothing in the project was touched yet), or after
        # the commit (everything was): either way only the staging area is left.
        shutil.rmtree(transaction)
        return None
    journal = Journal.read(journal_path)
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
    journal_path = transaction_directory(root) / JOURNAL_FILENAME
    if not journal_path.is_file() or lock_held(root):
        return None
    return InterruptedChange(root, Journal.read(journal_path))


def refuse_interrupted(root: Path) -> None:
    """Raise InterruptedChangeError if a killed command left *root* half-changed."""
    found = find_interrupted(root)
    if found is not None:
        raise InterruptedChangeError(found.message)
