"""Three-way merge of one text file, with merge3 (Breezy's maintained merge library).

Generic on purpose: ``asgi.py`` regeneration uses it today, whole-project updates can
use it for every file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Conflict:
    """A region both sides changed differently."""

    #: 1-based line in *ours* where the conflicting region starts.
    line: int
    base: tuple[str, ...]
    ours: tuple[str, ...]
    theirs: tuple[str, ...]

    def describe(
        self, path: str, *, ours_label: str = "ours", theirs_label: str = "template"
    ) -> str:
        """The hunk in git's conflict style, headed by where it is."""
        return (
            f"{path}:{self.line}:\n"
            f"<<<<<<< {ours_label}\n{''.join(_ended(self.ours))}"
            f"=======\n{''.join(_ended(self.theirs))}"
            f">>>>>>> {theirs_label}\n"
        )


@dataclass(frozen=True)
class MergeResult:
    """The merged text (ours where sides conflict) and the conflicts found."""

    text: str
    conflicts: tuple[Conflict, ...]
    #: The merge with git-style markers around each conflict.
    text_with_markers: str

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _ended(lines: tuple[str, ...] | list[str]) -> list[str]:
    """Lines with a final newline, so markers always start on a line of their own."""
    result = list(lines)
    if result and not result[-1].endswith("\n"):
        result[-1] += "\n"
    return result


def merge_texts(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "ours",
    theirs_label: str = "template",
) -> MergeResult:
    """Merge the change base -> *theirs* into *ours*.

    *base* is what the template rendered before, *theirs* what it renders now,
    *ours* the file on disk with the user's edits.
    """
    from merge3 import Merge3

    base_lines = base.splitlines(keepends=True)
    our_lines = ours.splitlines(keepends=True)
    their_lines = theirs.splitlines(keepends=True)
    merged: list[str] = []
    marked: list[str] = []
    conflicts: list[Conflict] = []
    merge = Merge3(base_lines, our_lines, their_lines)
    for region in merge.merge_regions():
        kind = region[0]
        if len(region) == 7:  # a conflict: where it is in base, ours and theirs
            _, base_start, base_end, our_start, our_end, their_start, their_end = region
            our_part = our_lines[our_start:our_end]
            their_part = their_lines[their_start:their_end]
            conflicts.append(
                Conflict(
                    line=our_start + 1,
                    base=tuple(base_lines[base_start:base_end]),
                    ours=tuple(our_part),
                    theirs=tuple(their_part),
                )
            )
            merged.extend(our_part)
            marked.append(f"<<<<<<< {ours_label}\n")
            marked.extend(_ended(our_part))
            marked.append("=======\n")
            marked.extend(_ended(their_part))
            marked.append(f">>>>>>> {theirs_label}\n")
            continue
        start, end = region[1], region[2]
        source = {"unchanged": base_lines, "a": our_lines, "same": our_lines, "b": their_lines}
        lines = source[kind][start:end]
        merged.extend(lines)
        marked.extend(lines)
    return MergeResult(
        text="".join(merged),
        conflicts=tuple(conflicts),
        text_with_markers="".join(marked),
    )


def unified_diff(before: str, after: str, path: str) -> str:
    """A ``diff -u`` of *path* from *before* to *after* ("" when they are equal)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
