"""How a template directory is walked: copier's walk, minus what cannot be rendered.

copier walks every entry of a template, a git clone's ``.git`` included, and renders
each path before excluding it. :func:`walk` replaces copier's walk (see
``render.py``) and leaves out the directory :data:`SKIPPED_DIRECTORY` names, per
thread, so renders running side by side each skip their own clone's ``.git``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
            if entry.path == skipped:
                continue
            yield entry
            if entry.is_dir(follow_symlinks=follow_symlinks):
                yield from walk(entry.path, follow_symlinks)
