"""An updated project against a fresh generation of the same answers at the same version:
which files the update left behind, which it did not write, which differ.

Each render gets its own SECRET_KEY (never recorded, so an update keeps the project's):
a line that differs only by the key, at the fresh key's place, counts as the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.fs.walk import walk_files
from thibaud_cli.project.answers import ANSWERS_FILENAME
from thibaud_cli.vcs.metadata import VCS_METADATA_NAMES

#: Ours, not the template's: never in a fresh render, always in an updated project.
_OURS = frozenset({ANSWERS_FILENAME, ".thibaud-admin"})
#: How many names a report lists of each kind.
_SHOWN = 5


@dataclass(frozen=True)
class TreeDifference:
    """What sets an updated project apart from a fresh one."""

    left_behind: tuple[str, ...]
    missing: tuple[str, ...]
    differing: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not (self.left_behind or self.missing or self.differing)

    def describe(self) -> str:
        parts = []
        for what, names in (
            ("left behind (not in a fresh project)", self.left_behind),
            ("missing (in a fresh project, not after the update)", self.missing),
            ("different from a fresh project", self.differing),
        ):
            if names:
                shown = ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")
                parts.append(f"{len(names)} file(s) {what}: {shown}")
        return "; ".join(parts)


def _files(root: Path) -> dict[str, Path]:
    def prune(path: Path) -> bool:
        return path.name in VCS_METADATA_NAMES or path.name in _OURS

    return {
        path.relative_to(root).as_posix(): path
        for path in walk_files(root, prune=prune)
        if path.name not in _OURS
    }


def _same_but_the_key(updated: bytes, fresh: bytes, key: str) -> bool:
    if updated == fresh:
        return True
    mark = key.encode()
    new_lines, fresh_lines = updated.split(b"\n"), fresh.split(b"\n")
    if len(new_lines) != len(fresh_lines):
        return False
    for new, old in zip(new_lines, fresh_lines, strict=True):
        at = old.find(mark)
        if new != old and (at < 0 or new[:at] + mark + new[at + len(mark) :] != old):
            return False
    return True


def compare_trees(updated: Path, fresh: Path, fresh_key: str) -> TreeDifference:
    """How *updated* differs from *fresh* (rendered with *fresh_key*)."""
    ours, theirs = _files(updated), _files(fresh)
    common = sorted(set(ours) & set(theirs))
    return TreeDifference(
        left_behind=tuple(sorted(set(ours) - set(theirs))),
        missing=tuple(sorted(set(theirs) - set(ours))),
        differing=tuple(
            name
            for name in common
            if not _same_but_the_key(ours[name].read_bytes(), theirs[name].read_bytes(), fresh_key)
        ),
    )
