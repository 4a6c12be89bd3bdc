"""Two adjustments of a copier render that need nothing of copier itself.

- Undefined variables: validation renders as copier does (an undefined name renders
  as ``""``), and records each use of a name copier does not leave undefined by design,
  with the template file and line: its own check, a warning or (strictly) a failure.
- Task output: what the template's tasks print goes to a file, not to our streams.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thibaud_cli.template.messages import template_location


@contextlib.contextmanager
def tasks_output_to(log: Path | None) -> Iterator[None]:
    """Send what child processes (the template's tasks) write to *log*.

    copier runs tasks with the standard streams inherited, so the only way to keep
    their output out of a JSON or JUnit report on our standard output is at the
    file-descriptor level. Python's own streams are flushed first, and restored after.
    """
    if log is None:
        yield
        return
    # File descriptors are the process's: renders in threads (validate-template) take
    # turns, or one would restore another's redirection and leave stdout in a log.
    with _REDIRECTION:
        yield from _redirected(log)


_REDIRECTION = threading.Lock()


def _redirected(log: Path) -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(log, "ab") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        for descriptor in saved:
            os.close(descriptor)


def undefined_as_copier_allows(questions: frozenset[str]) -> type[Any]:
    """StrictUndefined, except where copier itself renders an undefined name as ``""``
    by design: a question it left unanswered (``when`` false, no default) and its own
    ``_copier_*`` variables (``_copier_operation`` is set for tasks and ``_exclude``
    only). A name the template never declares still fails, naming file and line."""
    import jinja2
    from jinja2.utils import missing

    class CopierUndefined(jinja2.StrictUndefined):
        def __new__(cls, hint: Any = None, obj: Any = missing, name: Any = None, **kw: Any) -> Any:
            if obj is missing and isinstance(name, str):
                if _copier_leaves_undefined(name, questions):
                    return jinja2.Undefined(hint=hint, obj=obj, name=name, **kw)
            return super().__new__(cls)

    return CopierUndefined


@dataclass(frozen=True)
class UndefinedUse:
    """A use of an undefined name that copier rendered as ``""``."""

    #: Jinja's words: "'projet_slug' is undefined", "'dict object' has no attribute 'x'".
    message: str
    #: The template file, relative to the template's root, and the line.
    file: str | None
    line: int | None


def _copier_leaves_undefined(name: str, questions: frozenset[str]) -> bool:
    # A question copier left unanswered (``when`` false, no default) and copier's own
    # ``_copier_*`` variables (``_copier_operation`` is set for tasks and ``_exclude`` only).
    return name in questions or name.startswith("_copier_") or name == "_folder_name"


def undefined_recorder(questions: frozenset[str], root: str, uses: list[UndefinedUse]) -> type[Any]:
    """jinja2's Undefined (what copier renders with: ``""``, empty, false), which also
    appends to *uses* each use of a name where the template reads it (relative to
    *root*), but for the names copier leaves undefined by design."""
    import jinja2
    from jinja2.utils import missing

    class RecordedUndefined(jinja2.Undefined):
        __slots__ = ()

        def _record(self) -> None:
            name = self._undefined_name
            if self._undefined_obj is missing and isinstance(name, str):
                if _copier_leaves_undefined(name, questions):
                    return
            file, line = _where_rendered(root)
            uses.append(UndefinedUse(self._undefined_message, file, line))

        def __str__(self) -> str:
            self._record()
            return super().__str__()

        def __iter__(self) -> Iterator[Any]:
            self._record()
            return super().__iter__()

        def __bool__(self) -> bool:
            self._record()
            return super().__bool__()

        def __len__(self) -> int:
            self._record()
            return super().__len__()

    return RecordedUndefined


def _where_rendered(root: str) -> tuple[str | None, int | None]:
    """The template file and line being rendered: the innermost frame of a compiled
    template (Jinja keeps the template in its globals and maps the line back)."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            line = template.get_corresponding_lineno(frame.f_lineno)
            return template_location(template.filename, line, root)
        frame = frame.f_back  # type: ignore[assignment]
    return None, None
