"""Two adjustments of a copier render that need nothing of copier itself.

- Undefined variables: validation renders strictly, but as copier's own rules have
  it, not stricter: what copier leaves undefined by design renders as ``""``.
- Task output: what the template's tasks print goes to a file, not to our streams.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


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
                if name in questions or name.startswith("_copier_") or name == "_folder_name":
                    return jinja2.Undefined(hint=hint, obj=obj, name=name, **kw)
            return super().__new__(cls)

    return CopierUndefined
