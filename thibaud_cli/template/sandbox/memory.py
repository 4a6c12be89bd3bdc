"""A memory ceiling on renders, enforced by the kernel.

The Jinja sandbox and the budgets of :mod:`~thibaud_cli.template.sandbox.limits` refuse the
known ways of making a render huge, but they count what the template produces: a way
nobody thought of (a filter's own allocation, ``str.replace`` growth, a format width)
would still be paid for by this process, and the machine. So while a render runs, the
process's address space may grow by at most :data:`MEMORY_CEILING` (512 MiB) over
what it held when the first render began (``RLIMIT_AS``); past it an allocation fails
with ``MemoryError``, and the render is refused with one line. Renders that run at
once (validate-template's variants, in threads) share the ceiling; the previous limit
comes back when the last one ends.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from collections.abc import Iterator

from thibaud_cli.errors import TemplateError

#: How much a render may grow the process's address space.
MEMORY_CEILING = 512 * 1024 * 1024

_lock = threading.Lock()
_users = 0
_saved: tuple[int, int] | None = None


def memory_error() -> TemplateError:
    """What a render that ran into the ceiling says."""
    return TemplateError(
        f"The template needs more than {MEMORY_CEILING // (1024 * 1024)} MiB of memory to "
        "render: refused, nothing was written."
    )


def address_space() -> int:
    """This process's address space in bytes (VmSize), from /proc; 0 if unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.contextmanager
def memory_ceiling(ceiling: int = MEMORY_CEILING) -> Iterator[None]:
    """Cap the process's address space at its current size plus *ceiling*."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = resource.getrlimit(resource.RLIMIT_AS)
            used = address_space()
            soft, hard = _saved
            if used:
                limit = used + ceiling
                if soft != resource.RLIM_INFINITY:
                    limit = min(limit, soft)
                if hard != resource.RLIM_INFINITY:
                    limit = min(limit, hard)
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_AS, _saved)


@contextlib.contextmanager
def ceiling_lifted() -> Iterator[None]:
    """The ceiling lifted while a child process is started (``Popen``, not its whole run).

    ``RLIMIT_AS`` is the process's, and a child inherits it when it forks: an installer or
    an interpreter started while variants render in other threads would run under the
    renders' ceiling (uv, which reserves address space freely, fails at once). Renders
    wait on the lock for the few milliseconds of the start.
    """
    with _lock:
        if _users == 0 or _saved is None:
            yield
            return
        current = resource.getrlimit(resource.RLIMIT_AS)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, _saved)
        try:
            yield
        finally:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, current)
