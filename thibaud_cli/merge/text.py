"""Three-way merge of one text file, with ``git merge-file``.

Generic on purpose: ``asgi.py`` regeneration uses it, and whole-project updates use it
for every file. git is already needed for git templates, and its merge is the one
users know from ``git merge``, conflicts included.

``git merge-file`` gives the merged text and each conflict's three sides, but not
where a conflict is in *ours*: the text before it mixes both sides' changes. That
line comes from git's own two diffs, base -> ours and base -> theirs, merged again
here (``_conflict_spans``) and checked against what ``git merge-file`` printed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from thibaud_cli.merge.lines import MARKER_SIZE, ConflictRegion, Sides, decode_line, git_lines
from thibaud_cli.merge.merge_file import git_merge


@dataclass(frozen=True)
class Conflict:
    """A region both sides changed differently."""

    #: 1-based line in *ours* where the conflicting region starts.
    line: int
    base: tuple[str, ...]
    ours: tuple[str, ...]
    theirs: tuple[str, ...]
    #: 1-based line of its ``<<<<<<<`` marker in the merge with markers: where the
    #: user finds it once that is written (the changes above it moved it from *line*).
    marker_line: int = 0

    def describe(
        self,
        path: str,
        *,
        ours_label: str = "ours",
        theirs_label: str = "template",
        with_markers: bool = False,
    ) -> str:
        """The hunk in git's conflict style, headed by where it is: in *ours* as it is,
        or, *with_markers*, in the file written with the conflict markers."""
        line = self.marker_line if with_markers and self.marker_line else self.line
        return (
            f"{path}:{line}:\n"
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


def _ended(lines: Sequence[str], eol: str = "\n") -> list[str]:
    """Lines with a final newline, so markers always start on a line of their own."""
    result = list(lines)
    if result and not result[-1].endswith("\n"):
        result[-1] += eol
    return result


def merge_texts(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "ours",
    theirs_label: str = "template",
) -> MergeResult:
    """Merge the change base -> *theirs* into *ours*, as ``git merge-file`` does.

    *base* is what the template rendered before, *theirs* what it renders now,
    *ours* the file on disk with the user's edits. Lines end at ``\\n`` only, as for
    git. A text holding a NUL character is binary to git: the whole file conflicts.
    """
    # The trivial cases, answered as git answers them, without starting it.
    if ours == theirs or base == theirs:
        return MergeResult(text=ours, conflicts=(), text_with_markers=ours)
    if base == ours:
        return MergeResult(text=theirs, conflicts=(), text_with_markers=theirs)
    if "\0" in base or "\0" in ours or "\0" in theirs:
        return _whole_file_conflict(base, ours, theirs, ours_label, theirs_label)
    sides = Sides(git_lines(base), git_lines(ours), git_lines(theirs))
    merge = git_merge(sides)
    merged: list[str] = []
    marked: list[str] = []
    conflicts: list[Conflict] = []
    for region in merge.regions:
        if isinstance(region, ConflictRegion):
            our_part = [decode_line(line) for line in region.ours]
            their_part = [decode_line(line) for line in region.theirs]
            conflicts.append(
                Conflict(
                    line=merge.conflict_lines[len(conflicts)],
                    base=tuple(decode_line(line) for line in region.base),
                    ours=tuple(our_part),
                    theirs=tuple(their_part),
                    marker_line=len(marked) + 1,  # one entry of *marked* is one line
                )
            )
            merged.extend(our_part)
            eol = region.eol
            marked.append(f"{'<' * MARKER_SIZE} {ours_label}{eol}")
            marked.extend(_ended(our_part, eol))
            marked.append(f"{'=' * MARKER_SIZE}{eol}")
            marked.extend(_ended(their_part, eol))
            marked.append(f"{'>' * MARKER_SIZE} {theirs_label}{eol}")
        else:
            lines = [decode_line(line) for line in region]
            merged.extend(lines)
            marked.extend(lines)
    return MergeResult(
        text="".join(merged), conflicts=tuple(conflicts), text_with_markers="".join(marked)
    )


def unified_diff(before: str | None, after: str | None, path: str) -> str:
    """A ``diff -u`` of *path* from *before* to *after* ("" when they are equal), as
    ``git apply`` takes it: None is a file that does not exist (``/dev/null``), and a
    last line without a newline is marked so."""
    if before == after:
        return ""
    lines = difflib.unified_diff(
        _patch_lines(before or ""),
        _patch_lines(after or ""),
        fromfile="/dev/null" if before is None else f"a/{path}",
        tofile="/dev/null" if after is None else f"b/{path}",
    )
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )


def _patch_lines(text: str) -> list[str]:
    # Split at "\n" only, as git does: str.splitlines() also splits at "\f", "\x1c"...
    return [line for line in re.split(r"(?<=\n)", text) if line]


def _whole_file_conflict(
    base: str, ours: str, theirs: str, ours_label: str, theirs_label: str
) -> MergeResult:
    def lines(text: str) -> list[str]:
        return [decode_line(line) for line in git_lines(text)]

    our_lines, their_lines = lines(ours), lines(theirs)
    conflict = Conflict(
        line=1,
        base=tuple(lines(base)),
        ours=tuple(our_lines),
        theirs=tuple(their_lines),
        marker_line=1,
    )
    marked = (
        f"<<<<<<< {ours_label}\n{''.join(_ended(our_lines))}"
        f"=======\n{''.join(_ended(their_lines))}>>>>>>> {theirs_label}\n"
    )
    return MergeResult(text=ours, conflicts=(conflict,), text_with_markers=marked)
