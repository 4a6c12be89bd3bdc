"""The one directory walker, with one symlink policy and one pruning rule.

A symlink is an entry of the tree, never followed: a symlink to a file and a
symlink to a directory are both yielded as they are, and a symlinked directory is
not descended into. A tree can then never lead the walk outside itself or round in
a circle, and each caller decides what a symlink means to it (``startproject``
writes the link itself, ``update`` and the static checks skip it, the render check
refuses one that leads outside the project). Devices, FIFOs and sockets are not
yielded: reading a FIFO would block. A caller that must not enter some directories
(hidden ones, ``-x`` names, too deep) says so with *prune*: such a directory is
neither yielded nor entered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

#: Whether a directory (its path under the walked root) is left out, contents and all.
Prune = Callable[[Path], bool]


def walk_files(root: Path, *, prune: Prune | None = None) -> Iterator[Path]:
    """Every regular file and symlink under *root*, in sorted order; nothing if it is absent.

    Paths are *root* joined with the relative path. A directory that cannot be read
    raises :class:`OSError` rather than passing for empty.
    """
    return (path for path, is_directory in _entries(root, prune) if not is_directory)


def walk_tree(root: Path, *, prune: Prune | None = None) -> Iterator[Path]:
    """:func:`walk_files`, with each directory too, yielded before what it holds."""
    return (path for path, _ in _entries(root, prune))


def _entries(root: Path, prune: Prune | None) -> Iterator[tuple[Path, bool]]:
    if root.is_symlink() or not root.is_dir():
        return
    yield from _walk(root, prune)


def _walk(directory: Path, prune: Prune | None) -> Iterator[tuple[Path, bool]]:
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        path = directory / entry.name
        if entry.is_symlink() or entry.is_file(follow_symlinks=False):
            yield path, False
        elif entry.is_dir(follow_symlinks=False) and not (prune and prune(path)):
            yield path, True
            yield from _walk(path, prune)
