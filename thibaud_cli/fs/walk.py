"""The one directory walker, with one symlink policy.

A symlink is an entry of the tree, never followed: a symlink to a file and a
symlink to a directory are both yielded as they are, and a symlinked directory is
not descended into. A tree can then never lead the walk outside itself or round in
a circle, and each caller decides what a symlink means to it (``startproject``
writes the link itself, ``update`` and the static checks skip it, the render check
refuses one that leads outside the project). Devices, FIFOs and sockets are not
yielded: reading a FIFO would block.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def walk_files(root: Path) -> Iterator[Path]:
    """Every regular file and symlink under *root*, in sorted order; nothing if it is absent.

    Paths are *root* joined with the relative path. A directory that cannot be read
    raises :class:`OSError` rather than passing for empty.
    """
    if root.is_symlink() or not root.is_dir():
        return
    yield from _walk(root)


def _walk(directory: Path) -> Iterator[Path]:
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        path = directory / entry.name
        if entry.is_symlink() or entry.is_file(follow_symlinks=False):
            yield path
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path)
