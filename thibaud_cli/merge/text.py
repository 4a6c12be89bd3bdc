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
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import ThibaudCliError

#: ``--zdiff3`` gives the narrowest conflicts of git's styles that show the base:
#: like ``--diff3`` it never joins nearby conflicts, and it also moves the lines
#: both sides made alike at the start and at the end of a conflict out of it (both
#: sides adding the same comment above a line they changed differently conflict on
#: that line only). The default "merge" style splits conflicts further but shows no
#: base, and joins conflicts fewer than four lines apart into one. git before 2.35
#: has no ``--zdiff3``: ``--diff3`` is used there.
_STYLES = ("--zdiff3", "--diff3")
#: git's exit status for a usage error, such as an option it does not know.
_GIT_USAGE_ERROR = 129
#: git's default size, and the markers ``text_with_markers`` shows.
_MARKER_SIZE = 7
#: Stands for a missing final newline, so that every line git sees ends with one:
#: git itself adds one after such a line inside a conflict, and whether it was
#: there would be lost. Such a line still differs from the same line with a newline,
#: as it does for git. 0xFF never occurs in UTF-8, so it is in no input.
_NO_EOL = b"\xff\n"
_HUNK_HEADER = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


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
    sides = _Sides(_git_lines(base), _git_lines(ours), _git_lines(theirs))
    merge = _git_merge(sides)
    merged: list[str] = []
    marked: list[str] = []
    conflicts: list[Conflict] = []
    for region in merge.regions:
        if isinstance(region, _ConflictRegion):
            our_part = [_text(line) for line in region.ours]
            their_part = [_text(line) for line in region.theirs]
            conflicts.append(
                Conflict(
                    line=merge.conflict_lines[len(conflicts)],
                    base=tuple(_text(line) for line in region.base),
                    ours=tuple(our_part),
                    theirs=tuple(their_part),
                )
            )
            merged.extend(our_part)
            eol = region.eol
            marked.append(f"{'<' * _MARKER_SIZE} {ours_label}{eol}")
            marked.extend(_ended(our_part, eol))
            marked.append(f"{'=' * _MARKER_SIZE}{eol}")
            marked.extend(_ended(their_part, eol))
            marked.append(f"{'>' * _MARKER_SIZE} {theirs_label}{eol}")
        else:
            lines = [_text(line) for line in region]
            merged.extend(lines)
            marked.extend(lines)
    return MergeResult(
        text="".join(merged), conflicts=tuple(conflicts), text_with_markers="".join(marked)
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


def _whole_file_conflict(
    base: str, ours: str, theirs: str, ours_label: str, theirs_label: str
) -> MergeResult:
    def lines(text: str) -> list[str]:
        return [_text(line) for line in _git_lines(text)]

    our_lines, their_lines = lines(ours), lines(theirs)
    conflict = Conflict(
        line=1, base=tuple(lines(base)), ours=tuple(our_lines), theirs=tuple(their_lines)
    )
    marked = (
        f"<<<<<<< {ours_label}\n{''.join(_ended(our_lines))}"
        f"=======\n{''.join(_ended(their_lines))}>>>>>>> {theirs_label}\n"
    )
    return MergeResult(text=ours, conflicts=(conflict,), text_with_markers=marked)


# --- Lines as git sees them -------------------------------------------------------


def _git_lines(text: str) -> list[bytes]:
    """*text* split after each ``\\n``; a last line without one ends in ``_NO_EOL``."""
    # surrogatepass: any str goes through git and back unchanged.
    lines = _split_lines(text.encode("utf-8", "surrogatepass"))
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += _NO_EOL
    return lines


def _split_lines(data: bytes) -> list[bytes]:
    """*data* split after each ``\\n`` only (``bytes.splitlines`` also splits at ``\\r``)."""
    pieces = data.split(b"\n")
    return [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def _text(line: bytes) -> str:
    if line.endswith(_NO_EOL):
        line = line[: -len(_NO_EOL)]
    return line.decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class _Sides:
    base: list[bytes]
    ours: list[bytes]
    theirs: list[bytes]

    def marker_size(self) -> int:
        """Longer than any run of ``<``, ``|``, ``=`` or ``>`` that starts an input
        line, so that no input line can be taken for one of git's markers."""
        longest = 0
        for line in (*self.base, *self.ours, *self.theirs):
            first = line[:1]
            if first in (b"<", b"|", b"=", b">"):
                longest = max(longest, len(line) - len(line.lstrip(first)))
        return max(_MARKER_SIZE, longest + 1)


@dataclass(frozen=True)
class _ConflictRegion:
    base: tuple[bytes, ...]
    ours: tuple[bytes, ...]
    theirs: tuple[bytes, ...]
    #: The line ending git gave the markers (``\r\n`` in a CRLF file).
    eol: str


@dataclass(frozen=True)
class _GitMerge:
    #: ``git merge-file``'s output: runs of merged lines, and conflicts.
    regions: list[list[bytes] | _ConflictRegion]
    #: The 1-based line in ours of each conflict.
    conflict_lines: list[int]


# --- Running git ------------------------------------------------------------------


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise ThibaudCliError(
            "git is needed to merge the template's changes with your edits and was not "
            "found on PATH: install git (https://git-scm.com/downloads), then run the "
            "command again."
        )
    return git


def _environment(home: Path) -> dict[str, str]:
    """What git runs with: no configuration file, and no repository.

    No configuration (``diff.algorithm``, ``diff.indentHeuristic``,
    ``diff.suppressBlankEmpty``, ``merge.conflictStyle``...) may change a merge or
    the diffs read here, and no repository around the temporary directory is opened,
    so neither its configuration nor its hooks or fsmonitor can run: no ``GIT_*``
    variable is passed on, the system and global files are off, and discovery stops
    at the temporary directory (its parent is a ceiling). With no configuration read,
    ``-c core.hooksPath=...``-style overrides would have nothing to override.
    """
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "SYSTEMROOT")}
    env.update(
        HOME=str(home),
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(home.parent),
    )
    return env


def _run(git: str, arguments: list[str], directory: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [git, *arguments],
            cwd=directory,
            env=_environment(directory),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as error:
        raise ThibaudCliError(
            f"git could not be run to merge the template's changes ({error}): check that "
            "git is installed and works, then run the command again."
        ) from error


def _failed(what: str, process: subprocess.CompletedProcess[bytes]) -> ThibaudCliError:
    lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else f"exit status {process.returncode}"
    return ThibaudCliError(f"{what} failed while merging the template's changes: {detail}")


def _git_merge(sides: _Sides) -> _GitMerge:
    git = _git()
    size = sides.marker_size()
    # mkdtemp makes the directory private (0700): no one else reads the texts.
    with tempfile.TemporaryDirectory(prefix="thibaud-merge-") as name:
        directory = Path(name)
        for file, lines in (("ours", sides.ours), ("base", sides.base), ("theirs", sides.theirs)):
            (directory / file).write_bytes(b"".join(lines))
        labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
        for style in _STYLES:
            arguments = ["merge-file", "-p", style, f"--marker-size={size}", *labels]
            process = _run(git, [*arguments, "ours", "base", "theirs"], directory)
            # A git too old for the style says so ("unknown option `zdiff3'"): next.
            unknown = process.returncode == _GIT_USAGE_ERROR
            if not (unknown and style.lstrip("-").encode() in process.stderr):
                break
        # The exit status is the number of conflicts, at most 127; above, an error.
        if not 0 <= process.returncode < 128:
            raise _failed("git merge-file", process)
        regions = _parse_merge(process.stdout, size)
        conflicts = [region for region in regions if isinstance(region, _ConflictRegion)]
        if min(len(conflicts), 127) != process.returncode:
            raise ThibaudCliError(
                f"git merge-file reported {process.returncode} conflict(s) and printed "
                f"{len(conflicts)}: please report this to thibaud-cli with the file."
            )
        lines_in_ours: list[int] = []
        if conflicts:
            spans = _conflict_spans(
                sides,
                _diff_script(git, directory, "base", "ours"),
                _diff_script(git, directory, "base", "theirs"),
                zealous=style == "--zdiff3",
            )
            lines_in_ours = _lines_in_ours(sides, conflicts, spans)
    return _GitMerge(regions=regions, conflict_lines=lines_in_ours)


def _parse_merge(output: bytes, size: int) -> list[list[bytes] | _ConflictRegion]:
    """``git merge-file -p --diff3`` output as regions. Every marker is *size* long,
    longer than any run starting an input line: a line starting so is a marker."""
    start, ancestor, middle, end = (char * size for char in (b"<", b"|", b"=", b">"))
    regions: list[list[bytes] | _ConflictRegion] = []
    plain: list[bytes] = []
    parts: list[list[bytes]] = []
    eol = "\n"
    expected = {start: 0, ancestor: 1, middle: 2, end: 3}
    for line in _split_lines(output):
        marker = line[:size]
        if marker not in expected:
            (parts[-1] if parts else plain).append(line)
            continue
        if len(parts) != expected[marker]:
            raise ThibaudCliError(f"git merge-file printed an unexpected marker: {line!r}")
        if marker == start:
            if plain:
                regions.append(plain)
                plain = []
            eol = "\r\n" if line.endswith(b"\r\n") else "\n"
        if marker == end:
            ours, base, theirs = parts
            regions.append(_ConflictRegion(tuple(base), tuple(ours), tuple(theirs), eol))
            parts = []
        else:
            parts.append([])
    if parts:
        raise ThibaudCliError("git merge-file printed a conflict without its end marker")
    if plain:
        regions.append(plain)
    return regions


# --- Where each conflict is in ours -----------------------------------------------


@dataclass(frozen=True)
class _Change:
    """One change of a diff script: *base_count* lines of base at *base* (0-based)
    replaced by *side_count* lines of the side at *side*."""

    base: int
    base_count: int
    side: int
    side_count: int


def _diff_script(git: str, directory: Path, old: str, new: str) -> list[_Change]:
    """git's diff of *old* to *new*, computed as ``git merge-file`` computes it: Myers,
    no indent heuristic. Context is one line, not zero: with none, git trims the
    common tail before diffing, which can place a change differently."""
    process = _run(
        git,
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
        raise _failed("git diff", process)
    changes: list[_Change] = []
    lines = _split_lines(process.stdout)
    index = 0
    while index < len(lines):
        header = _HUNK_HEADER.match(lines[index])
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
                changes.append(_Change(*change))
                change = None
            old_at += 1
            new_at += 1
            old_count -= 1
            new_count -= 1
        if change is not None:
            changes.append(_Change(*change))
    return changes


@dataclass(frozen=True)
class _Span:
    """Where a conflict is in each text (0-based start, number of lines)."""

    base: int
    base_count: int
    ours: int
    ours_count: int
    theirs: int
    theirs_count: int


def _kept(changes: list[_Change], base_size: int, side_size: int) -> list[int | None]:
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


def _conflict_spans(
    sides: _Sides, ours: list[_Change], theirs: list[_Change], *, zealous: bool
) -> list[_Span]:
    """The conflicts of a three-way merge of the two diff scripts, by the textbook
    diff3 (Khanna, Kunal and Pierce, 2007): the base lines both sides kept are the
    stable ones; each stretch between them that both sides changed, differently, is a
    conflict. *zealous* then takes the lines alike at both ends of a conflict out of
    it, as git's zdiff3 does. Written from that description, not from git's code.
    """
    size = len(sides.base)
    ours_at = _kept(ours, size, len(sides.ours))
    theirs_at = _kept(theirs, size, len(sides.theirs))
    spans: list[_Span] = []
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
                _Span(
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


def _lines_in_ours(
    sides: _Sides, conflicts: list[_ConflictRegion], spans: list[_Span]
) -> list[int]:
    """The 1-based line in ours of each conflict git printed.

    From ``_conflict_spans`` when it found the same conflicts as git, which it does
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
