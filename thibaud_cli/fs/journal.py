"""A series of file writes that can be undone together.

Each write is atomic on its own (``atomic.write_bytes_atomic``); the journal keeps
what every file held before, so that when a later write fails the earlier ones are
undone and the tree is left as it was. Undoing is for failures of this process
(errors, Ctrl-C); a machine that loses power mid-way keeps the writes made so far,
which is why ``update`` also wants a clean git working tree.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from thibaud_cli.fs.atomic import write_bytes_atomic


class WriteJournal:
    """Writes and removals under *root*, each atomic, and how to undo them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._restore: list[tuple[Path, bytes | None, int | None]] = []
        self._created_dirs: list[Path] = []
        self._removed_dirs: list[Path] = []

    def write(self, path: Path, content: bytes, *, mode: int | None = None) -> None:
        original, original_mode = _snapshot(path)
        self._make_parents(path)
        # Recorded once done: a write that fails changed nothing (it is atomic).
        write_bytes_atomic(path, content)
        self._restore.append((path, original, original_mode))
        if original is None and mode is not None:
            os.chmod(path, mode)

    def remove(self, path: Path) -> None:
        original, original_mode = _snapshot(path)
        path.unlink()
        self._restore.append((path, original, original_mode))
        # A directory the template dropped goes too, once nothing is left in it.
        parent = path.parent
        while parent != self.root and self.root in parent.parents and not any(parent.iterdir()):
            parent.rmdir()
            self._removed_dirs.append(parent)
            parent = parent.parent

    def _make_parents(self, path: Path) -> None:
        missing = [parent for parent in path.parents if self.root in parent.parents]
        for parent in reversed(missing):
            if not parent.exists():
                parent.mkdir()
                self._created_dirs.append(parent)

    def undo(self) -> None:
        for directory in reversed(self._removed_dirs):
            directory.mkdir(exist_ok=True)
        for path, original, mode in reversed(self._restore):
            if original is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes_atomic(path, original)
                if mode is not None:
                    os.chmod(path, mode)
        for directory in reversed(self._created_dirs):
            shutil.rmtree(directory, ignore_errors=True)


def _snapshot(path: Path) -> tuple[bytes | None, int | None]:
    if not path.is_file():
        return None, None
    return path.read_bytes(), path.stat().st_mode & 0o7777
