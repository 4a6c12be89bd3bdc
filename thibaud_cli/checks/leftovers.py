"""The leftovers check: template code that reached a rendered Python file unrendered.

It reads the delimiters the template renders with (``_envops``), so a template with
``[[ ]]`` is checked for ``[[ ]]`` and may emit ``{{ }}`` freely. Python's own strings
and comments are where a template legitimately writes ``{{ }}`` (``{% raw %}`` output,
a Thibaud template in a string, an f-string's escaped braces): there, only an
expression naming one of the template's questions (``"{{ project_name }}"``, the mark
of a file that lost its template suffix) counts.
"""

from __future__ import annotations

import ast
import io
import re
import time
import tokenize
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from thibaud_cli.checks.results import CheckResult
from thibaud_cli.template.engine.origins import Origin, raw_blocks
from thibaud_cli.template.syntax import TemplateSyntax

_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)


def _patterns(syntax: TemplateSyntax) -> tuple[re.Pattern[str], re.Pattern[str]]:
    start = re.escape(syntax.delimiter("variable_start_string"))
    end = re.escape(syntax.delimiter("variable_end_string"))
    block_start = re.escape(syntax.delimiter("block_start_string"))
    block_end = re.escape(syntax.delimiter("block_end_string"))
    variable = re.compile(rf"{start}-?\s*([A-Za-z_][^\n]*?)\s*-?{end}")
    block = re.compile(rf"{block_start}-?\s*[a-z]+\b[^\n]*?-?{block_end}")
    return variable, block


def _string_spans(text: str) -> Iterator[tuple[int, int, int, int]]:
    """(start line, start column, end line, end column) of every string and comment."""
    # An f-string is tokenised in parts (3.12+): it spans from its start to its end.
    starts: list[tuple[int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.STRING, tokenize.COMMENT):
                yield (*token.start, *token.end)
            elif token.type == _FSTRING_START:
                starts.append(token.start)
            elif token.type == _FSTRING_END and starts:
                yield (*starts.pop(), *token.end)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return  # the compile check reports the file


def _in_spans(line: int, column: int, spans: list[tuple[int, int, int, int]]) -> bool:
    return any(
        (line, column) >= (first, start) and (line, column) < (last, end)
        for first, start, last, end in spans
    )


def _is_python(code: str, syntax: TemplateSyntax) -> bool:
    """Whether *code*, found outside strings, may be the Python it looks like: with
    ``[[ ]]`` delimiters a nested list (``[[None, {...}]]``) is one. Braces never are
    (a set holding a set or a dict cannot be built), nor what does not parse."""
    if syntax.delimiter("variable_start_string").startswith("{"):
        return False
    try:
        ast.parse(code, mode="eval")
    except (SyntaxError, ValueError):
        return False
    return True


def find_leftover(
    text: str,
    envops: Mapping[str, Any],
    questions: Collection[str],
    *,
    written_out: Collection[str] = (),
) -> tuple[int, str] | None:
    """(line, code) of the first unrendered template code in Python source *text*, with
    the delimiters *envops* (``_envops``) sets; code the template wrote out on purpose
    (*written_out*: its ``{% raw %}`` blocks) is not."""
    syntax = TemplateSyntax(envops=envops)
    variable, block = _patterns(syntax)
    spans: list[tuple[int, int, int, int]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in (variable, block):
            for match in pattern.finditer(line):
                code = match.group(0)
                if any(code in raw for raw in written_out):
                    continue
                if spans is None:
                    spans = list(_string_spans(text))
                root = re.match(r"[A-Za-z_]\w*", match.group(1)) if pattern is variable else None
                if root is not None and root.group(0) in questions:
                    return number, code  # "{{ project_name }}": a file that lost its suffix
                if not _in_spans(number, match.start(), spans) and not _is_python(code, syntax):
                    return number, code
    return None


def check_leftovers(
    project_dir: Path,
    syntax: TemplateSyntax,
    *,
    questions: Collection[str] = (),
    origins: Mapping[str, Origin] | None = None,
) -> CheckResult:
    """No file keeps the template suffix, and no Python file holds unrendered template
    code, but what its template file (*origins*) writes out through ``{% raw %}``."""
    from thibaud_cli.checks.static import _files, _summarise, unreadable

    started = time.perf_counter()
    problems: list[tuple[str, int | None, str]] = []
    for path in _files(project_dir):
        relative = str(path.relative_to(project_dir))
        if syntax.suffix and path.name.endswith(syntax.suffix):
            problems.append((relative, None, f"still has the template suffix {syntax.suffix}"))
        elif path.suffix == ".py":
            try:
                text = path.read_text("utf-8", errors="replace")
            except OSError as error:
                problems.append((relative, None, unreadable(path, error)))
                continue
            origin = (origins or {}).get(relative)
            raw = raw_blocks(origin, syntax) if origin is not None else []
            found = find_leftover(text, syntax.envops, questions, written_out=raw)
            if found is not None:
                problems.append((relative, found[0], f"unrendered template code {found[1]!r}"))
    return _summarise("leftovers", problems, "no unrendered template code", started)
