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

The walk reads each directory once (``os.scandir``) and tells files, directories
and symlinks apart from what that listing says (``d_type``): no ``stat`` per entry,
unless the file system leaves the type out. :func:`walk_symlinks` gives a caller that
cares about links only those, so that a check of a tree of thousands of files costs
what its few links cost.
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


def walk_symlinks(root: Path, *, prune: Prune | None = None) -> Iterator[Path]:
    """The symlinks among :func:`walk_files`, told from the directory listings alone."""
    return (path for path, kind in _typed_entries(root, prune) if kind is _LINK)


def walk_files_typed(root: Path, *, prune: Prune | None = None) -> Iterator[tuple[Path, bool]]:
    """:func:`walk_files`, each path with whether it is a symlink (from the listing)."""
    return ((path, kind is _LINK) for path, kind in _typed_entries(root, prune) if kind is not _DIR)


_FILE, _LINK, _DIR = "file", "symlink", "directory"


def _entries(root: Path, prune: Prune | None) -> Iterator[tuple[Path, bool]]:
    return ((path, kind is _DIR) for path, kind in _typed_entries(root, prune))


def _typed_entries(root: Path, prune: Prune | None) -> Iterator[tuple[Path, str]]:
    if root.is_symlink() or not root.is_dir():
        return
    yield from _walk(root, prune)


def _walk(directory: Path, prune: Prune | None) -> Iterator[tuple[Path, str]]:
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        path = directory / entry.name
        # DirEntry answers from the listing's d_type: no lstat of its own.
        if entry.is_symlink():
            yield path, _LINK
        elif entry.is_file(follow_symlinks=False):
            yield path, _FILE
        elif entry.is_dir(follow_symlinks=False) and not (prune and prune(path)):
            yield path, _DIR
            yield from _walk(path, prune)
