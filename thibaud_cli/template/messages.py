"""What can be told from Jinja's and git's own output, without copier: which template
file and line a failed render points at (in one line of text), and whether a string
is Jinja at all.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def git_reason(error: Any) -> str:
    lines = [line.strip() for line in str(getattr(error, "stderr", "")).splitlines()]
    reasons = [line for line in lines if line]
    return reasons[-1] if reasons else one_line(error)


def where(file: str | None, line: int | None) -> str:
    if file is None:
        return "<template>"
    return f"{file}:{line}" if line else file


def template_location(
    filename: str | None, lineno: int | None, source: str
) -> tuple[str | None, int | None]:
    """(the template file relative to *source*, the line)."""
    if not filename:
        return "<template string>", lineno
    path = Path(filename)
    try:
        path = path.relative_to(source)
    except ValueError:
        pass
    return str(path), lineno


def undefined_location(error: BaseException, source: str) -> tuple[str | None, int | None]:
    """The template file and line an UndefinedError came from.

    Jinja rewrites tracebacks so that template frames carry the template's file
    name and line; the innermost such frame is where the variable was used.
    """
    location: tuple[str | None, int | None] = (None, None)
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            location = template_location(filename, lineno, source)
    return location


def is_literal(text: str, environment: Any, suffix: str) -> bool:
    """Whether Jinja would render *text* as itself: no markup the environment knows,
    no line breaks (Jinja normalizes them and may drop a trailing one), and not a
    name ending with the templates suffix."""
    markers = (
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
    )
    if "\n" in text or "\r" in text or (suffix and text.endswith(suffix)):
        return False
    return not any(marker and marker in text for marker in markers)


@contextlib.contextmanager
def quiet_warnings() -> Iterator[None]:
    """Python warnings silenced, in the main thread.

    The filters are process-wide: renders running side by side in other threads
    leave them to their caller (validate_template silences them around its threads),
    lest one render's exit restore filters another's entry had replaced.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
