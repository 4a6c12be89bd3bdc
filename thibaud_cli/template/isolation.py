"""Rendering where a hostile template cannot take the machine down with it.

The Jinja sandbox and the budgets of :mod:`~thibaud_cli.template.limits` refuse the
known ways of making a render huge, but they count what the template produces, in
the process that renders it: a way nobody thought of (a filter's own allocation, a
device file as a template file) would still be paid for by this process, and the
machine. So every render runs in a child process with hard limits the kernel
enforces:

- memory: the child's address space is capped at :data:`MEMORY_CEILING` (512 MiB);
  past it an allocation fails (a ``MemoryError``), and the render is refused;
- time: the parent waits at most the render timeout (30 s by default,
  ``THIBAUD_RENDER_TIMEOUT`` seconds otherwise), then kills the child; the child also
  carries a CPU-time limit, so it cannot outlive a parent killed meanwhile.

Children are forked from a server process started once per command (multiprocessing's
"forkserver", with copier already imported in it), so a render does not pay for a new
interpreter, and the parent never imports copier at all.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from collections.abc import Callable
from typing import Any

from thibaud_cli.errors import TemplateError

#: The most memory (address space) a render may use, its interpreter included.
MEMORY_CEILING = 512 * 1024 * 1024
#: How long a render may take, unless THIBAUD_RENDER_TIMEOUT says otherwise.
DEFAULT_TIMEOUT = 30.0
TIMEOUT_VARIABLE = "THIBAUD_RENDER_TIMEOUT"
#: What the server process imports once, so that each forked render starts warm.
_PRELOAD = ["thibaud_cli.template.render"]


def render_timeout() -> float:
    """The render time limit in seconds: THIBAUD_RENDER_TIMEOUT, or the default."""
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 24 * 3600:
        raise TemplateError(
            f"{TIMEOUT_VARIABLE}={value!r}: give the render time limit in seconds, "
            f"e.g. {TIMEOUT_VARIABLE}=60."
        )
    return seconds


def run_isolated[T](function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in a child process under the render limits.

    *function* must be importable by name, and its arguments, result and exceptions
    picklable. Its exceptions are raised here as they were raised there.
    """
    import multiprocessing

    timeout = render_timeout()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(sender, function, args, kwargs, timeout),
        name="thibaud-render",
        daemon=True,
    )
    child.start()
    sender.close()
    try:
        outcome = _wait(receiver, child, timeout)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    kind, value = outcome
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _wait(receiver: Any, child: Any, timeout: float) -> tuple[str, Any]:
    if not receiver.poll(timeout):
        child.kill()
        raise TemplateError(
            f"The template took longer than {timeout:g} s to render: refused, nothing was "
            f"written. ({TIMEOUT_VARIABLE} sets the limit, in seconds.)"
        )
    try:
        kind, value = receiver.recv()
    except (EOFError, OSError):
        # The child died without a word: killed by the kernel, most likely for memory.
        child.join()
        raise _ceiling_error() from None
    if kind == "memory":
        raise _ceiling_error()
    return kind, value


def _ceiling_error() -> TemplateError:
    return TemplateError(
        f"The template needs more than {MEMORY_CEILING // (1024 * 1024)} MiB of memory to "
        "render: refused, nothing was written."
    )


def _child(
    sender: Any,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    timeout: float,
) -> None:
    """The render process: limits first, then the work, then one message home."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
    # A backstop the parent does not have to be alive for: SIGXCPU, then SIGKILL.
    cpu = int(timeout) + 5
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        message: tuple[str, Any] = ("ok", function(*args, **kwargs))
    except MemoryError:
        message = ("memory", None)
    except BaseException as error:  # noqa: BLE001 - every failure goes home
        message = ("error", error)
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    except Exception as error:  # noqa: BLE001 - an unpicklable result or error
        sender.send(("error", TemplateError(f"The render failed: {type(error).__name__}")))
    finally:
        sender.close()
