"""Limits on what rendering a template may do, for templates from strangers.

copier already renders in Jinja's sandbox, refuses rendered paths outside the
destination, and refuses tasks and Jinja extensions unless trusted. What the
sandbox does not bound is size: ``{{ "x" * 10**10 }}``, ``"x"|center(10**10)`` or
nested loops can exhaust memory. Here the Jinja environment is bounded (big
repetitions and integer arguments are refused, rendered text is counted as it is
produced), and the rendered tree is checked for symlinks that lead outside it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from thibaud_cli.errors import TemplateError
from thibaud_cli.fs.walk import walk_files

#: All the text one render may produce, across every file.
MAX_RENDERED_BYTES = 128 * 1024 * 1024
#: How many pieces (file contents, path parts, strings copier renders) one render may
#: produce, so a template cannot produce an unbounded number of files either. The
#: bundled template takes about a hundred.
MAX_RENDERED_PIECES = 4000
#: The largest integer a template may pass to a function or filter.
MAX_INTEGER_ARGUMENT = 10_000_000
#: The largest integer a template may compute with ``**``, in bits.
_MAX_POWER_BITS = 100_000
#: How long one render may take: loops that produce nothing are bounded by time only.
RENDER_TIMEOUT_SECONDS = 120.0


class RenderBudget:
    """Counts what the environment renders; refuses what goes past the limit."""

    def __init__(self, limit: int = MAX_RENDERED_BYTES, pieces: int = MAX_RENDERED_PIECES) -> None:
        self.limit = limit
        self.used = 0
        self.pieces_left = pieces

    def spend(self, amount: int) -> None:
        self.used += amount
        if self.used > self.limit:
            raise TemplateError(
                f"The template renders more than {self.limit // (1024 * 1024)} MiB of text: "
                "refused, nothing was written."
            )

    def concat(self, pieces: Iterable[str]) -> str:
        """A ``str.join`` that stops as soon as the budget is spent."""
        self.pieces_left -= 1
        if self.pieces_left < 0:
            raise TemplateError(
                "The template renders too many files or strings (more than "
                f"{MAX_RENDERED_PIECES}): refused, nothing was written."
            )
        collected = []
        for piece in pieces:
            self.spend(len(piece))
            collected.append(piece)
        return "".join(collected)


def _refuse(what: str) -> TemplateError:
    return TemplateError(f"The template computes {what}: refused, nothing was written.")


def _check_argument(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER_ARGUMENT:
        raise _refuse(f"with the number {value}, larger than {MAX_INTEGER_ARGUMENT}")


def _check_size(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_RENDERED_BYTES:
        raise _refuse(f"a value of {len(value)} items")
    return value


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja_pass_arg, which filters rely on
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_argument(value)
        return _check_size(function(*args, **kwargs))

    return bounded


def _bounded_binop(environment: Any, context: Any, operator: str, left: Any, right: Any) -> Any:
    if operator == "*":
        for sized, count in ((left, right), (right, left)):
            if isinstance(sized, str | bytes | list | tuple) and isinstance(count, int):
                if len(sized) * count > MAX_RENDERED_BYTES:
                    raise _refuse(f"a repetition of {len(sized)} items {count} times")
    elif operator == "+":
        if isinstance(left, str | bytes | list | tuple) and isinstance(right, type(left)):
            if len(left) + len(right) > MAX_RENDERED_BYTES:
                raise _refuse(f"a concatenation of {len(left) + len(right)} items")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and abs(left).bit_length() * right > _MAX_POWER_BITS:
            raise _refuse(f"{left} ** {right}")
    return environment.binop_table[operator](left, right)


def contain(environment: Any, budget: RenderBudget) -> None:
    """Bound a copier (sandboxed) Jinja environment: sizes, numbers, repetitions."""
    environment.concat = budget.concat
    environment.intercepted_binops = frozenset({"*", "**", "+"})
    environment.call_binop = functools.partial(_bounded_binop, environment)
    original_call = environment.call

    def call(context: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_argument(value)
        return original_call(context, obj, *args, **kwargs)

    environment.call = call
    for name, function in list(environment.filters.items()):
        environment.filters[name] = _bounded(function)


@contextlib.contextmanager
def render_deadline(seconds: float | None = None) -> Iterator[None]:
    """Refuse a render that takes longer than *seconds* (default RENDER_TIMEOUT_SECONDS).

    A timer signal interrupts the render; it only works in the main thread, which
    is where thibaud-admin renders. Elsewhere the render is not timed.
    """
    limit = RENDER_TIMEOUT_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TemplateError(
            f"The template took longer than {limit:g} s to render: refused, nothing was written."
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refuse_escaping_symlinks(root: Path) -> None:
    """Refuse a rendered tree holding a symlink that resolves outside *root*."""
    resolved_root = root.resolve()
    for path in walk_files(root):
        if not path.is_symlink():
            continue
        target = (path.parent / os.readlink(path)).resolve()
        if target != resolved_root and resolved_root not in target.parents:
            raise TemplateError(
                f"The template renders {path.relative_to(root)} as a symlink to "
                f"{os.readlink(path)}, outside the project: refused, nothing was written."
            )
