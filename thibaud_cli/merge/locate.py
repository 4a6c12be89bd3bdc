"""Where each conflict is in *ours*: git's two diffs, base -> ours and base -> theirs,
merged again (diff3) and checked against what ``git merge-file`` printed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.merge.git import failed, run
from thibaud_cli.merge.lines import ConflictRegion, Sides, split_lines

HUNK_HEADER = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Change:
    """One change of a diff script: *base_count* lines of base at *base* (0-based)
    replaced by *side_count* lines of the side at *side*."""

    base: int
    base_count: int
    side: int
    side_count: int


def diff_script(directory: Path, old: str, new: str) -> list[Change]:
    """git's diff of *old* to *new*, computed as ``git merge-file`` computes it: Myers,
    no indent heuristic. Context is one line, not zero: with none, git trims the
    common tail before diffing, which can place a change differently."""
    process = run(
        [
            "diff",
            "--no-index",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--text",
            "--diff-algorithm=myers",
            "--no-indent-heuristic",
            "--unified=1",
            "--",
            old,
            new,
        ],
        directory,
    )
    if process.returncode not in (0, 1):  # 1: the files differ
        raise failed("git diff", process)
    changes: list[Change] = []
    lines = split_lines(process.stdout)
    index = 0
    while index < len(lines):
        header = HUNK_HEADER.match(lines[index])
        index += 1
        if header is None:  # the lines naming the files, before the first hunk
            continue
        old_count = int(header[2] or 1)
        new_count = int(header[4] or 1)
        # An empty range is given by the line before it.
        old_at = int(header[1]) - (1 if old_count else 0)
        new_at = int(header[3]) - (1 if new_count else 0)
        change: list[int] | None = None  # [base, base_count, side, side_count]
        while old_count or new_count:
            tag = lines[index][:1]
            index += 1
            if tag == b"\\":  # "\ No newline at end of file": not a line
                continue
            if tag in (b"-", b"+"):
                if change is None:
                    change = [old_at, 0, new_at, 0]
                if tag == b"-":
                    change[1] += 1
                    old_at += 1
                    old_count -= 1
                else:
                    change[3] += 1
                    new_at += 1
                    new_count -= 1
                continue
            if change is not None:
                changes.append(Change(*change))
                change = None
            old_at += 1
            new_at += 1
            old_count -= 1
            new_count -= 1
        if change is not None:
            changes.append(Change(*change))
    return changes


@dataclass(frozen=True)
class Span:
    """Where a conflict is in each text (0-based start, number of lines)."""

    base: int
    base_count: int
    ours: int
    ours_count: int
    theirs: int
    theirs_count: int


def kept(changes: list[Change], base_size: int, side_size: int) -> list[int | None]:
    """For each base line, its index in the side if the side kept it (else None),
    and one more entry, the end of both."""
    kept: list[int | None] = []
    shift = 0
    for change in changes:
        kept.extend(line + shift for line in range(len(kept), change.base))
        kept.extend([None] * change.base_count)
        shift += change.side_count - change.base_count
    kept.extend(line + shift for line in range(len(kept), base_size))
    kept.append(side_size)
    return kept


def conflict_spans(
    sides: Sides, ours: list[Change], theirs: list[Change], *, zealous: bool
) -> list[Span]:
    """The conflicts of a three-way merge of the two diff scripts, by the textbook
    diff3 (Khanna, Kunal and Pierce, 2007): the base lines both sides kept are the
    stable ones; each stretch between them that both sides changed, differently, is a
    conflict. *zealous* then takes the lines alike at both ends of a conflict out of
    it, as git's zdiff3 does. Written from that description, not from git's code.
    """
    size = len(sides.base)
    ours_at = kept(ours, size, len(sides.ours))
    theirs_at = kept(theirs, size, len(sides.theirs))
    spans: list[Span] = []
    b = o = t = 0
    while b < size or o < len(sides.ours) or t < len(sides.theirs):
        if b < size and ours_at[b] == o and theirs_at[b] == t:
            b, o, t = b + 1, o + 1, t + 1
            continue
        end = next(
            j for j in range(b, size + 1) if ours_at[j] is not None and theirs_at[j] is not None
        )
        ours_end, theirs_end = ours_at[end], theirs_at[end]
        assert ours_end is not None and theirs_end is not None
        base_part = sides.base[b:end]
        ours_part, theirs_part = sides.ours[o:ours_end], sides.theirs[t:theirs_end]
        if base_part != ours_part and base_part != theirs_part and ours_part != theirs_part:
            first, last = 0, 0
            if zealous:
                limit = min(len(ours_part), len(theirs_part))
                while first < limit and ours_part[first] == theirs_part[first]:
                    first += 1
                while last < limit - first and ours_part[-1 - last] == theirs_part[-1 - last]:
                    last += 1
            spans.append(
                Span(
                    b,
                    end - b,
                    o + first,
                    len(ours_part) - first - last,
                    t + first,
                    len(theirs_part) - first - last,
                )
            )
        b, o, t = end, ours_end, theirs_end
    return spans


def locate_in_ours(sides: Sides, conflicts: list[ConflictRegion], spans: list[Span]) -> list[int]:
    """The 1-based line in ours of each conflict git printed.

    From ``conflict_spans`` when it found the same conflicts as git, which it does
    but in rare texts of many repeated lines, where git's merge may pair changes
    otherwise. Then each conflict is placed where its lines of ours are next found:
    the right lines, if perhaps not the right copy of them.
    """
    if len(spans) == len(conflicts) and all(
        tuple(sides.ours[span.ours : span.ours + span.ours_count]) == conflict.ours
        and tuple(sides.theirs[span.theirs : span.theirs + span.theirs_count]) == conflict.theirs
        and tuple(sides.base[span.base : span.base + span.base_count]) == conflict.base
        for span, conflict in zip(spans, conflicts, strict=True)
    ):
        return [span.ours + 1 for span in spans]
    lines: list[int] = []
    after = 0
    for conflict in conflicts:
        size = len(conflict.ours)
        found = next(
            (
                at
                for at in range(after, len(sides.ours) - size + 1)
                if size and tuple(sides.ours[at : at + size]) == conflict.ours
            ),
            after,
        )
        lines.append(found + 1)
        after = found + size
    return lines
