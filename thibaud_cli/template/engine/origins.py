"""Where each rendered Python file came from: the template file, and its text.

validate-template reports a fault of a rendered file where the author fixes it: a
syntax error at the template file's line, not the rendered file's (which moves with
the answers); leftover template code written on purpose (``{% raw %}``) told from code
left by mistake. The template may be a clone deleted once the render ends, so the
source's text is kept with it, for the Python files only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from thibaud_cli.template.syntax import TemplateSyntax


@dataclass(frozen=True)
class Origin:
    """The template file a project file was rendered (or copied) from."""

    #: Relative to the template's root, as the author names it.
    source: str
    #: Rendered with Jinja (the template suffix), or copied as it is.
    templated: bool
    text: str


def _markup(syntax: TemplateSyntax) -> re.Pattern[str]:
    pairs = [
        ("variable_start_string", "variable_end_string"),
        ("block_start_string", "block_end_string"),
        ("comment_start_string", "comment_end_string"),
    ]
    return re.compile(
        "|".join(
            f"{re.escape(syntax.delimiter(start))}.*?{re.escape(syntax.delimiter(end))}"
            for start, end in pairs
        )
    )


def source_line(origin: Origin, rendered: str, line: int, syntax: TemplateSyntax) -> int | None:
    """The line of *origin* that rendered as line *line* of text *rendered*: the
    source line whose literal parts all appear, in order, in the rendered line (the
    nearest such to *line*); None when no line of the source fits."""
    if not origin.templated:
        return line
    lines = rendered.splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].strip():
        return None
    target = lines[line - 1]
    markup = _markup(syntax)
    fits = []
    for number, text in enumerate(origin.text.splitlines(), start=1):
        parts = [part.strip() for part in markup.split(text) if part.strip()]
        if parts and _in_order(parts, target):
            fits.append(number)
    return min(fits, key=lambda number: (abs(number - line), number)) if fits else None


def _in_order(parts: list[str], text: str) -> bool:
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def raw_blocks(origin: Origin, syntax: TemplateSyntax) -> list[str]:
    """What the source writes out through ``{% raw %}``, as it is."""
    if not origin.templated:
        return []
    start = re.escape(syntax.delimiter("block_start_string"))
    end = re.escape(syntax.delimiter("block_end_string"))
    raw = re.compile(
        rf"{start}[-+]?\s*raw\s*[-+]?{end}(.*?){start}[-+]?\s*endraw\s*[-+]?{end}", re.DOTALL
    )
    return [match.group(1) for match in raw.finditer(origin.text)]
