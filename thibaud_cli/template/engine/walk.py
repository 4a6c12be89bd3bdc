"""How a template directory is walked: copier's walk, minus what cannot be rendered.

copier walks every entry of a template, a git clone's ``.git`` included, and renders
each path before excluding it; it would also read a FIFO (blocking for ever) or a link
to a device. :func:`walk` leaves those out. :func:`walk` stands in for copier's walk while our
renders run (:func:`walking_as_copier_without_skipped`, never beyond them) and leaves
out the directory :data:`SKIPPED_DIRECTORY` names, per thread, so renders running side
by side each skip their own clone's ``.git``.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path


def is_git_checkout(path: Path) -> bool:
    """Whether git could see *path* as a repository root (as copier asks it to)."""
    return (path / ".git").exists() or "GIT_DIR" in os.environ


#: The directory the render in this thread (or task) does not walk into.
SKIPPED_DIRECTORY: ContextVar[str | None] = ContextVar("SKIPPED_DIRECTORY", default=None)


def walk(path: str, follow_symlinks: bool) -> Iterator[os.DirEntry[str]]:
    """copier's ``scantree`` (a recursive ``os.scandir``), minus one directory."""
    skipped = SKIPPED_DIRECTORY.get()
    # Closed even when the render stops half-way (copier's leaves that to the collector).
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.path == skipped or _special(entry):
                continue
            yield entry
            if entry.is_dir(follow_symlinks=follow_symlinks):
                yield from walk(entry.path, follow_symlinks)


def _special(entry: os.DirEntry[str]) -> bool:
    """A FIFO, a device or a socket, or a link to one: reading it would block, or never
    end; left out of the render, as every walk of ours leaves them."""
    # A plain file or directory is told by the directory entry's type, with no stat
    # (this runs for every entry of every render); only links and unknown types are
    # looked at more closely.
    if not entry.is_symlink() and (
        entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)
    ):
        return False
    try:
        mode = entry.stat(follow_symlinks=True).st_mode
    except OSError:
        return False  # a dangling link: copier says what it thinks of it
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


_lock = threading.Lock()
_renders = 0
_copier_walk: object = None


@contextmanager
def walking_as_copier_without_skipped() -> Iterator[None]:
    """copier's walk replaced by :func:`walk` while this render runs.

    Renders run in several threads at once (validate-template): the first to enter
    puts :func:`walk` in, the last to leave puts copier's back, so the replacement
    never outlives our renders and no render sees copier's walk half way.
    """
    import copier._main

    global _renders, _copier_walk
    with _lock:
        if _renders == 0:
            _copier_walk = getattr(copier._main, "scantree")  # noqa: B009 - no export
            setattr(copier._main, "scantree", walk)  # noqa: B010 - mypy sees no export
        _renders += 1
    try:
        yield
    finally:
        with _lock:
            _renders -= 1
            if _renders == 0:
                setattr(copier._main, "scantree", _copier_walk)  # noqa: B010
