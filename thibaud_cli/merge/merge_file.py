"""``git merge-file`` on three texts, and its output read back into regions."""

from __future__ import annotations

from dataclasses import dataclass

from thibaud_cli.errors import ThibaudCliError
from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.merge.git import failed, require_git, run
from thibaud_cli.merge.lines import ConflictRegion, Sides, split_lines
from thibaud_cli.merge.locate import conflict_spans, diff_script, locate_in_ours

#: ``--zdiff3`` gives the narrowest conflicts of git's styles that show the base:
#: like ``--diff3`` it never joins nearby conflicts, and it also moves the lines
#: both sides made alike at the start and at the end of a conflict out of it (both
#: sides adding the same comment above a line they changed differently conflict on
#: that line only). The default "merge" style splits conflicts further but shows no
#: base, and joins conflicts fewer than four lines apart into one. git before 2.35
#: has no ``--zdiff3``: ``--diff3`` is used there.
STYLES = ("--zdiff3", "--diff3")
#: git's exit status for a usage error, such as an option it does not know.
GIT_USAGE_ERROR = 129


@dataclass(frozen=True)
class GitMerge:
    #: ``git merge-file``'s output: runs of merged lines, and conflicts.
    regions: list[list[bytes] | ConflictRegion]
    #: The 1-based line in ours of each conflict.
    conflict_lines: list[int]


def git_merge(sides: Sides) -> GitMerge:
    require_git()
    size = sides.marker_size()
    # A private directory (0700): no one else reads the texts.
    with scratch_directory("merge") as directory:
        for file, lines in (("ours", sides.ours), ("base", sides.base), ("theirs", sides.theirs)):
            (directory / file).write_bytes(b"".join(lines))
        labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
        for style in STYLES:
            arguments = ["merge-file", "-p", style, f"--marker-size={size}", *labels]
            process = run([*arguments, "ours", "base", "theirs"], directory)
            # A git too old for the style says so ("unknown option `zdiff3'"): next.
            unknown = process.returncode == GIT_USAGE_ERROR
            if not (unknown and style.lstrip("-").encode() in process.stderr):
                break
        # The exit status is the number of conflicts, at most 127; above, an error.
        if not 0 <= process.returncode < 128:
            raise failed("git merge-file", process)
        regions = parse_merge(process.stdout, size)
        conflicts = [region for region in regions if isinstance(region, ConflictRegion)]
        if min(len(conflicts), 127) != process.returncode:
            raise ThibaudCliError(
                f"git merge-file reported {process.returncode} conflict(s) and printed "
                f"{len(conflicts)}: please report this to thibaud-cli with the file."
            )
        lines_in_ours: list[int] = []
        if conflicts:
            spans = conflict_spans(
                sides,
                diff_script(directory, "base", "ours"),
                diff_script(directory, "base", "theirs"),
                zealous=style == "--zdiff3",
            )
            lines_in_ours = locate_in_ours(sides, conflicts, spans)
    return GitMerge(regions=regions, conflict_lines=lines_in_ours)


def parse_merge(output: bytes, size: int) -> list[list[bytes] | ConflictRegion]:
    """``git merge-file -p --diff3`` output as regions. Every marker is *size* long,
    longer than any run starting an input line: a line starting so is a marker."""
    start, ancestor, middle, end = (char * size for char in (b"<", b"|", b"=", b">"))
    regions: list[list[bytes] | ConflictRegion] = []
    plain: list[bytes] = []
    parts: list[list[bytes]] = []
    eol = "\n"
    expected = {start: 0, ancestor: 1, middle: 2, end: 3}
    for line in split_lines(output):
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
            regions.append(ConflictRegion(tuple(base), tuple(ours), tuple(theirs), eol))
            parts = []
        else:
            parts.append([])
    if parts:
        raise ThibaudCliError("git merge-file printed a conflict without its end marker")
    if plain:
        regions.append(plain)
    return regions
