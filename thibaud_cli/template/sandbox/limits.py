"""Limits on what rendering a template may do, for templates from strangers.

copier already renders in Jinja's sandbox, refuses rendered paths outside the
destination, and refuses tasks and Jinja extensions unless trusted. What the
sandbox does not bound is size: ``{{ "x" * 10**10 }}``, ``"x"|center(10**10)`` or
nested loops can exhaust memory, and many files a disk. Here the Jinja environment is
bounded (big repetitions and integer arguments are refused, rendered text is counted
as it is produced, each file written costs what it takes on disk), each render has a
deadline (in whichever thread it runs), and the rendered tree is checked for
symlinks that lead outside it. What is bounded is size and time, never how many
files or strings an honest template has.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from thibaud_cli.errors import TemplateError
from thibaud_cli.fs.walk import walk_symlinks
from thibaud_cli.template.sandbox.memory import memory_ceiling, memory_error

#: All one render may produce: the text of every file, path and string it renders,
#: plus :data:`ENTRY_COST` for every file, directory and symlink it writes.
MAX_RENDERED_BYTES = 128 * 1024 * 1024
#: What one written file, directory or symlink costs of the budget, whatever its size:
#: about what it occupies on disk (a block and an inode), so a template cannot fill
#: a disk with empty files either. 32,768 empty files use the budget up; an honest
#: template of 4,000 files uses an eighth of it.
ENTRY_COST = 4096
#: The largest integer a template may pass to a function or filter.
MAX_INTEGER_ARGUMENT = 10_000_000
#: The largest integer a template may compute with ``**`` or ``*``, in bits (30,103
#: decimal digits). Python multiplies integers in C, without a check between two
#: bytecodes: one squaring of a 100-million-bit integer runs for seconds past the
#: render's deadline, and the result stays under the memory ceiling until the string
#: is made. So the size of a product is refused before it is computed.
MAX_INTEGER_BITS = 100_000
#: How long one render may take: loops that produce nothing are bounded by time only.
RENDER_TIMEOUT_SECONDS = 30.0
#: Overrides RENDER_TIMEOUT_SECONDS, in seconds (a large honest template may need more).
TIMEOUT_VARIABLE = "THIBAUD_RENDER_TIMEOUT"


def render_timeout() -> float:
    """The render time limit: THIBAUD_RENDER_TIMEOUT seconds, else the default."""
    return seconds_from_environment(
        TIMEOUT_VARIABLE, RENDER_TIMEOUT_SECONDS, what="render time limit", example=60
    )


def seconds_from_environment(
    variable: str,
    default: float,
    *,
    what: str,
    example: int,
    error: type[TemplateError] = TemplateError,
) -> float:
    """A time limit the user may set in *variable* (seconds, up to a day), else *default*;
    any other value is *error*, saying what to give."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 24 * 3600:
        raise error(f"{variable}={value!r}: give the {what} in seconds, e.g. {variable}={example}.")
    return seconds


class RenderBudget:
    """Counts what a render produces; refuses what goes past the limit.

    Only sizes are counted, never how many strings a template renders: a template
    with many honest files is as welcome as one with few.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_RENDERED_BYTES if limit is None else limit
        self.used = 0

    def spend(self, amount: int) -> None:
        self.used += amount
        if self.used > self.limit:
            raise TemplateError(
                f"The template renders more than {self.limit // (1024 * 1024)} MiB of text "
                "and files: refused, nothing was written."
            )

    def charge_entry(self) -> None:
        """One more file, directory or symlink written."""
        self.spend(ENTRY_COST)

    def concat(self, pieces: Iterable[str]) -> str:
        """A ``str.join`` that stops as soon as the budget is spent."""
        collected = []
        for piece in pieces:
            self.spend(len(piece))
            collected.append(piece)
        return "".join(collected)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse(what: str) -> TemplateError:
    return TemplateError(f"The template computes {what}: refused, nothing was written.")


def _number(value: int) -> str:
    """*value* for a message: its digits, or its size when too big to show (past 4,300
    digits ``str()`` refuses to write it)."""
    return str(value) if value.bit_length() <= 64 else f"a {value.bit_length()}-bit number"


def _check_argument(value: Any) -> None:
    if _integer(value) and abs(value) > MAX_INTEGER_ARGUMENT:
        raise _refuse(f"with {_number(value)}, larger than {MAX_INTEGER_ARGUMENT}")


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
        if _integer(left) and _integer(right):
            if left and right and left.bit_length() + right.bit_length() > MAX_INTEGER_BITS:
                raise _refuse(
                    f"a product of a {left.bit_length()}-bit and a {right.bit_length()}-bit "
                    f"integer, larger than {MAX_INTEGER_BITS} bits"
                )
        for sized, count in ((left, right), (right, left)):
            if isinstance(sized, str | bytes | list | tuple) and isinstance(count, int):
                if len(sized) * count > MAX_RENDERED_BYTES:
                    raise _refuse(f"a repetition of {len(sized)} items {_number(count)} times")
    elif operator == "+":
        if isinstance(left, str | bytes | list | tuple) and isinstance(right, type(left)):
            if len(left) + len(right) > MAX_RENDERED_BYTES:
                raise _refuse(f"a concatenation of {len(left) + len(right)} items")
    elif operator == "**" and _integer(left) and _integer(right):
        if right > 0 and abs(left) > 1 and abs(left).bit_length() * right > MAX_INTEGER_BITS:
            raise _refuse(
                f"{_number(left)} to the power {_number(right)}, larger than "
                f"{MAX_INTEGER_BITS} bits"
            )
    return environment.binop_table[operator](left, right)


def bound_operators(environment: Any) -> Any:
    """Bound the operators of a sandboxed Jinja *environment*: repetitions,
    concatenations, products and powers past the limits are refused before they are
    computed. Part of :func:`contain`, which every sandbox that renders a template's
    text gets (renders, and the expressions of ``copier.yml`` we render ourselves).
    Returns *environment*."""
    environment.intercepted_binops = frozenset({"*", "**", "+"})
    environment.call_binop = functools.partial(_bounded_binop, environment)
    return environment


def contain(environment: Any, budget: RenderBudget | None = None) -> Any:
    """Bound a sandboxed Jinja *environment*: sizes, numbers, repetitions, every call's
    and filter's integer arguments, its output charged to *budget* (a new one when
    None). copier's environment for a render gets it, and so do ours for the
    expressions of ``copier.yml`` (``when``, the ``_thibaud`` declarations), which run
    within :func:`render_bounds` too. Returns *environment*."""
    budget = RenderBudget() if budget is None else budget
    environment.concat = budget.concat
    bound_operators(environment)
    original_call = environment.call

    def call(context: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_argument(value)
        return original_call(context, obj, *args, **kwargs)

    environment.call = call
    for name, function in list(environment.filters.items()):
        environment.filters[name] = _bounded(function)
    return environment


class RenderTimeout(BaseException):
    """Raised inside a render that ran out of time.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` in
    copier or Jinja swallows it; :func:`render_template` turns it into a
    :class:`TemplateError`.
    """


def timeout_error(seconds: float | None = None) -> TemplateError:
    limit = render_timeout() if seconds is None else seconds
    return TemplateError(
        f"The template took longer than {limit:g} s to render: refused, nothing was written. "
        f"({TIMEOUT_VARIABLE} sets the limit, in seconds.)"
    )


def _raise_in_thread(thread_id: int, exception: type[BaseException] | None) -> None:
    import ctypes

    # None (a NULL pointer) clears an exception set earlier and not yet raised.
    target = ctypes.py_object(exception) if exception is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)


@contextlib.contextmanager
def render_deadline(seconds: float | None = None) -> Iterator[None]:
    """Interrupt the render in this thread after *seconds* (default :func:`render_timeout`).

    A timer thread raises :class:`RenderTimeout` in the rendering thread, which
    Python delivers between two bytecodes, as it delivers a signal handler's
    exception, but in any thread, so that renders can run side by side, each with
    its own deadline. At most one is raised per render, and one not yet delivered
    when the render ends is withdrawn.
    """
    limit = render_timeout() if seconds is None else seconds
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"running": True, "fired": False}

    def expire() -> None:
        with lock:
            if state["running"]:
                state["fired"] = True
                _raise_in_thread(thread_id, RenderTimeout)

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except RenderTimeout:
        raise timeout_error(limit) from None
    finally:
        timer.cancel()
        with lock:
            state["running"] = False
            if state["fired"]:
                _raise_in_thread(thread_id, None)


@contextlib.contextmanager
def render_bounds(seconds: float | None = None) -> Iterator[None]:
    """The bounds every render runs within, copier's and Django-style alike: its
    deadline (:func:`render_deadline`) and the memory ceiling (``sandbox.memory``),
    whose ``MemoryError`` is told in one line. The output budget is the render's own
    :class:`RenderBudget`, charged as it writes."""
    with render_deadline(seconds), memory_ceiling():
        try:
            yield
        except MemoryError as error:
            raise memory_error() from error


def refuse_escaping_symlinks(root: Path) -> None:
    """Refuse a rendered tree holding a symlink that resolves outside *root*.

    It costs what the symlinks cost: the walk tells links from files by the directory
    listings (no ``lstat`` per file), and only a link is resolved.
    """
    resolved_root: Path | None = None
    for path in walk_symlinks(root):
        resolved_root = resolved_root or root.resolve()
        target = (path.parent / os.readlink(path)).resolve()
        if target != resolved_root and resolved_root not in target.parents:
            raise TemplateError(
                f"The template renders {path.relative_to(root)} as a symlink to "
                f"{os.readlink(path)}, outside the project: refused, nothing was written."
            )
