"""The boot zygote: imports the framework once, then forks a copy of itself per variant.

Run as a script (``python -P probe_zygote.py``) by ``zygote.py``, one process per
validate-template run, in the interpreter that boots the variants. Like
``boot_probe.py``, which it loads by its path (a module name looked up on
``sys.path`` could be shadowed by a project's, or shadow one), it uses only the
standard library and the installed Thibaud.

Why: a fresh interpreter per variant paid for Python's start and the framework import
every time, most of a variant's cost. A fork of a process that has imported the
framework and configured nothing (no settings module is set in its environment) starts
where a fresh one would be after the import, and has its own copy of every module:
what one variant's boot does to ``sys.modules``, settings or any global never reaches
the zygote or another variant.

Protocol, one JSON object a line. In: ``{"id": ID, "job": {...}, "log": PATH}`` boots
a variant (the job as ``boot_probe.run_job`` takes it; all it prints goes to the log),
``{"kill": ID}`` kills one that hangs. Out: ``{"id": ID, "exit": CODE}`` once its
process has ended, CODE as ``subprocess`` tells it (negative: killed by that signal).
At the end of input the variants still running are killed (nobody waits for them),
and the zygote exits once each has been reaped.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import selectors
import signal
import sys
import traceback
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

#: Framework modules the boot of a project with the default apps imports beyond the
#: entry points (``manage.py check``, migrations' checks, admin, auth, sessions,
#: messages, static files, SQLite), importable before any settings exist. Imported
#: once here rather than in each variant; a module that reads settings at import
#: refuses to import without them, and is left to the variants.
_WARM_MODULES = (
    "thibaud.conf.urls",
    "thibaud.contrib.admin.filters",
    "thibaud.contrib.admin.sites",
    "thibaud.contrib.admin.templatetags.base",
    "thibaud.contrib.admin.views.main",
    "thibaud.contrib.auth.checks",
    "thibaud.contrib.auth.hashers",
    "thibaud.contrib.auth.password_validation",
    "thibaud.contrib.auth.validators",
    "thibaud.contrib.contenttypes.checks",
    "thibaud.contrib.messages.storage.cookie",
    "thibaud.contrib.messages.storage.session",
    "thibaud.contrib.sessions.backends.base",
    "thibaud.contrib.sessions.exceptions",
    "thibaud.contrib.staticfiles.checks",
    "thibaud.contrib.staticfiles.handlers",
    "thibaud.core.cache.utils",
    "thibaud.core.management.commands.check",
    "thibaud.core.management.sql",
    "thibaud.core.management.utils",
    "thibaud.db.backends.sqlite3.base",
    "thibaud.db.migrations.autodetector",
    "thibaud.db.migrations.executor",
    "thibaud.db.migrations.writer",
    "thibaud.utils.translation.reloader",
    "thibaud.views.defaults",
)


def _load_probe() -> ModuleType:
    path = Path(__file__).with_name("boot_probe.py")
    spec = importlib.util.spec_from_file_location("_thibaud_cli_boot_probe", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exit_code(exit_: SystemExit) -> int:
    """The status Python gives ``sys.exit(code)`` at the top of a script."""
    if exit_.code is None:
        return 0
    if isinstance(exit_.code, int):
        return exit_.code
    print(exit_.code, file=sys.stderr)
    return 1


def _variant(probe: ModuleType, job: dict[str, Any], log: str, plumbing: list[int]) -> NoReturn:
    """In the forked child: boot one variant with its output in *log*, then exit."""
    code = 1
    try:
        # The zygote's signal handling and pipes are not the variant's.
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for descriptor in plumbing:
            os.close(descriptor)
        output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.close(nothing)
        probe.run_job(job)
        code = 0
    except SystemExit as exit_:  # the project called sys.exit(): as a script would exit
        code = _exit_code(exit_)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        # Skip the interpreter's teardown (joining the framework's thread pools,
        # finalising every module): the results are written, the zygote waits.
        os._exit(code)


def _report(ident: str, code: int) -> None:
    # One short write: whole on a pipe. The parent may be gone: then nobody asks.
    with contextlib.suppress(OSError):
        os.write(1, (json.dumps({"id": ident, "exit": code}) + "\n").encode())


def _reap(running: dict[int, str]) -> None:
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        ident = running.pop(pid, None)
        if ident is not None:
            _report(ident, os.waitstatus_to_exitcode(status))


def serve(probe: ModuleType) -> None:
    """Read requests until the end of input; fork a variant for each job."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    # A child's end writes to wake_write (a handler must exist for the wakeup fd to be
    # written), so that select() below returns to reap it: no thread, nothing polled.
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    # What a child closes: the wakeup pipe, and the epoll (or kqueue) descriptor if any.
    fileno = getattr(selector, "fileno", None)
    plumbing = [wake_read, wake_write, *([fileno()] if fileno is not None else [])]
    running: dict[int, str] = {}
    pending = b""
    reading = True
    while reading or running:
        for key, _ in selector.select():
            if key.fd == wake_read:
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_read, 512):
                        pass
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                reading = False
                selector.unregister(0)
                for pid in running:
                    os.kill(pid, signal.SIGKILL)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                request = json.loads(line)
                if "kill" in request:
                    # Still in running, so not reaped: the pid is still this child's.
                    for pid, ident in running.items():
                        if ident == request["kill"]:
                            os.kill(pid, signal.SIGKILL)
                    continue
                # Nothing buffered may be written twice, by the zygote and by a child.
                sys.stdout.flush()
                sys.stderr.flush()
                with warnings.catch_warnings():
                    # 3.12 warns of forking with threads; the zygote starts none, but an
                    # import might have: the child runs as a process started fresh would.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pid = os.fork()
                if pid == 0:
                    _variant(probe, request["job"], request["log"], plumbing)
                running[pid] = str(request["id"])
        _reap(running)


def _warm() -> None:
    for name in _WARM_MODULES:
        # Needs settings, or not in this version of Thibaud: the variant imports it.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def main() -> int:
    probe = _load_probe()
    try:
        probe.preload_framework()
    except Exception:
        # A framework that does not import here fails each variant's import again,
        # in its process, with the traceback in its own log.
        pass
    else:
        _warm()
    # What is imported now stays: out of the collector's sight, a fork's collections
    # neither walk it nor write to its pages (which would copy each one into the fork).
    gc.collect()
    gc.freeze()
    serve(probe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
