"""Texts as ``git merge-file`` sees them: byte lines, each ending in a newline."""

from __future__ import annotations

from dataclasses import dataclass

#: git's default size, and the markers ``text_with_markers`` shows.
MARKER_SIZE = 7
#: Stands for a missing final newline, so that every line git sees ends with one:
#: git itself adds one after such a line inside a conflict, and whether it was
#: there would be lost. Such a line still differs from the same line with a newline,
#: as it does for git. 0xFF never occurs in UTF-8, so it is in no input.
NO_EOL = b"\xff\n"


def git_lines(text: str) -> list[bytes]:
    """*text* split after each ``\\n``; a last line without one ends in ``NO_EOL``."""
    # surrogatepass: any str goes through git and back unchanged.
    lines = split_lines(text.encode("utf-8", "surrogatepass"))
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += NO_EOL
    return lines


def split_lines(data: bytes) -> list[bytes]:
    """*data* split after each ``\\n`` only (``bytes.splitlines`` also splits at ``\\r``)."""
    pieces = data.split(b"\n")
    return [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def decode_line(line: bytes) -> str:
    if line.endswith(NO_EOL):
        line = line[: -len(NO_EOL)]
    return line.decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Sides:
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
        return max(MARKER_SIZE, longest + 1)


@dataclass(frozen=True)
class ConflictRegion:
    base: tuple[bytes, ...]
    ours: tuple[bytes, ...]
    theirs: tuple[bytes, ...]
    #: The line ending git gave the markers (``\r\n`` in a CRLF file).
    eol: str
