"""Boot a rendered project through ASGI, WSGI and ``manage.py check``, in a fresh process.

Never imported by the tool itself: ``probe_zygote.py`` loads it by its path, in an
interpreter of its own (``python -P``, possibly the project's ``--python``), and it
uses only the standard library and the installed Thibaud. The zygote calls
:func:`preload_framework` once, then forks a copy of itself per variant that calls
:func:`run_job`, so variants never share ``sys.modules`` and none pays for the
framework import.

A job is ``{"project_dir": ..., "entry_points": {"settings": ..., "asgi": ..., "wsgi":
...}, "results": ...}``: :func:`run_job` boots that project (its settings, ASGI and
WSGI modules) and writes its check results as a JSON list to the ``results`` file.
After a failed check, the next ones run in a copy of the process forked before it
(see ``_run_checks``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import json
import os
import runpy
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: How long one ASGI exchange (lifespan or request) may take before it counts as hung.
ASGI_TIMEOUT = 20.0
#: Every request carries this Host: Thibaud's development defaults accept it.
HOST = "127.0.0.1"

CheckResult = dict[str, Any]
#: How a message says an import is missing from the interpreter (validate notes it).
MISSING_MARK = "not installed for"


def preload_framework() -> None:
    """Import what every project needs, before the project is known: the slow part."""
    import thibaud.core.asgi  # noqa: F401
    import thibaud.core.management  # noqa: F401
    import thibaud.core.signals  # noqa: F401
    import thibaud.core.wsgi  # noqa: F401


def _result(
    name: str,
    status: str,
    message: str = "",
    file: str | None = None,
    line: int | None = None,
    started: float | None = None,
) -> CheckResult:
    duration = time.perf_counter() - started if started is not None else 0.0
    return {
        "name": name,
        "status": status,
        "message": message,
        "file": file,
        "line": line,
        "duration": duration,
    }


def _location(error: BaseException, project_dir: Path) -> tuple[str | None, int | None]:
    """The innermost frame of *error* inside the project: where the project went wrong."""
    found: tuple[str | None, int | None] = (None, None)
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = Path(frame.f_code.co_filename)
        if filename.is_absolute() and filename.is_relative_to(project_dir):
            found = (str(filename.relative_to(project_dir)), lineno)
    if found == (None, None) and isinstance(error, SyntaxError) and error.filename:
        filename = Path(error.filename)
        if filename.is_relative_to(project_dir):
            found = (str(filename.relative_to(project_dir)), error.lineno)
    return found


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _failure(
    name: str, what: str, error: BaseException, project_dir: Path, started: float
) -> CheckResult:
    file, line = _location(error, project_dir)
    message = f"{what}: {_describe(error)}"
    missing = getattr(error, "name", None) if isinstance(error, ImportError) else None
    if missing and not (project_dir / missing.split(".")[0]).exists():
        # Not the project's own module: a dependency this interpreter lacks.
        message += f" ({MISSING_MARK} {sys.executable}: pass --python PATH to validate with it)"
    return _result(name, "failed", message, file, line, started)


@contextlib.contextmanager
def _request_exceptions() -> Iterator[list[BaseException]]:
    """Collect the exceptions Thibaud turns into error responses, to name their cause."""
    from thibaud.core.signals import got_request_exception

    caught: list[BaseException] = []

    def record(sender: object, **kwargs: object) -> None:
        # Sent from inside Thibaud's ``except`` block, in the thread that ran the view.
        error = sys.exc_info()[1]
        if error is not None:
            caught.append(error)

    got_request_exception.connect(record, weak=False)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(record)


def _status_result(
    name: str,
    interface: str,
    status: int | None,
    caught: list[BaseException],
    project_dir: Path,
    started: float,
) -> CheckResult:
    if status is not None and status < 500:
        return _result(name, "passed", f"GET / answered {status}", started=started)
    if caught:
        file, line = _location(caught[-1], project_dir)
        message = f"GET / through {interface} answered {status}: {_describe(caught[-1])}"
        return _result(name, "failed", message, file, line, started)
    message = (
        f"GET / through {interface} answered {status}"
        if status is not None
        else f"GET / through {interface} sent no response status"
    )
    return _result(name, "failed", message, started=started)


# ASGI -------------------------------------------------------------------------


async def _lifespan(app: Callable[..., Any]) -> str | None:
    """Run lifespan startup and shutdown; the problem, or None when fine or unsupported.

    An application that raises, or returns, without answering ``lifespan.startup`` does
    not implement the protocol (Thibaud's own handler refuses every non-HTTP scope):
    servers then carry on without it, and so do we.
    """
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, incoming.get, outgoing.put))
    try:
        for phase in ("startup", "shutdown"):
            await incoming.put({"type": f"lifespan.{phase}"})
            getter = asyncio.ensure_future(outgoing.get())
            done, _ = await asyncio.wait(
                {getter, task}, timeout=ASGI_TIMEOUT, return_when="FIRST_COMPLETED"
            )
            if getter not in done:
                getter.cancel()
                if task in done:
                    # Raised or returned without answering: lifespan not supported.
                    with contextlib.suppress(BaseException):
                        task.result()
                    return None
                return f"the application did not complete lifespan {phase} in {ASGI_TIMEOUT:.0f} s"
            message = getter.result()
            if message.get("type") == f"lifespan.{phase}.failed":
                return f"lifespan {phase} failed: {message.get('message', '')}".rstrip(": ")
            if message.get("type") != f"lifespan.{phase}.complete":
                return f"the application answered lifespan.{phase} with {message.get('type')!r}"
        return None
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _asgi_get(app: Callable[..., Any]) -> int | None:
    """GET / through the ASGI interface; the response status (None if none was sent)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", HOST.encode())],
        "client": ("127.0.0.1", 50000),
        "server": (HOST, 80),
        "state": {},
    }
    status: int | None = None
    request_sent = False
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # The client stays connected until the whole response has arrived.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    await asyncio.wait_for(app(scope, receive, send), ASGI_TIMEOUT)
    return status


def _entry_file(name: str) -> str:
    return name.replace(".", "/") + ".py"


def check_asgi(project_dir: Path, name: str | None) -> CheckResult:
    started = time.perf_counter()
    if name is None:
        return _result("asgi", "failed", "the project has no ASGI module", started=started)
    try:
        module = importlib.import_module(name)
    except Exception as error:
        return _failure("asgi", f"{name} does not import", error, project_dir, started)
    app = getattr(module, "application", None)
    if app is None:
        message = f"{name} defines no `application`"
        return _result("asgi", "failed", message, _entry_file(name), started=started)
    try:
        problem = asyncio.run(_lifespan(app))
    except Exception as error:
        return _failure("asgi", "lifespan", error, project_dir, started)
    if problem is not None:
        return _result("asgi", "failed", problem, _entry_file(name), started=started)
    with _request_exceptions() as caught:
        try:
            status = asyncio.run(_asgi_get(app))
        except TimeoutError:
            return _result(
                "asgi",
                "failed",
                f"GET / through ASGI took over {ASGI_TIMEOUT:.0f} s",
                started=started,
            )
        except Exception as error:
            return _failure("asgi", "GET / through ASGI raised", error, project_dir, started)
    return _status_result("asgi", "ASGI", status, caught, project_dir, started)


# WSGI -------------------------------------------------------------------------


def check_wsgi(project_dir: Path, name: str | None) -> CheckResult:
    from wsgiref.util import setup_testing_defaults

    started = time.perf_counter()
    if name is None:
        return _result("wsgi", "failed", "the project has no WSGI module", started=started)
    try:
        module = importlib.import_module(name)
    except Exception as error:
        return _failure("wsgi", f"{name} does not import", error, project_dir, started)
    app = getattr(module, "application", None)
    if app is None:
        message = f"{name} defines no `application`"
        return _result("wsgi", "failed", message, _entry_file(name), started=started)
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda data: None

    with _request_exceptions() as caught:
        try:
            body = app(environ, start_response)
            try:
                for _chunk in body:
                    pass
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        except Exception as error:
            return _failure("wsgi", "GET / through WSGI raised", error, project_dir, started)
    status = int(statuses[-1].split()[0]) if statuses else None
    return _status_result("wsgi", "WSGI", status, caught, project_dir, started)


# manage.py check -------------------------------------------------------------


def check_manage(project_dir: Path) -> CheckResult:
    """``python manage.py check``, run as ``__main__`` in this interpreter: the project's
    own manage.py, without paying for another interpreter and another framework import."""
    started = time.perf_counter()
    manage = project_dir / "manage.py"
    if not manage.is_file():
        return _result("manage-check", "failed", "the project has no manage.py", started=started)
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = [str(manage), "check"]
    code: object = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(str(manage), run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code
    except Exception as error:
        return _failure("manage-check", "manage.py check raised", error, project_dir, started)
    finally:
        sys.argv = argv
    if code not in (0, None):
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        detail = " ".join(lines[:6]) or f"exit status {code}"
        return _result(
            "manage-check",
            "failed",
            f"manage.py check failed: {detail}",
            "manage.py",
            started=started,
        )
    summary = out.getvalue().strip().splitlines()
    return _result("manage-check", "passed", summary[-1] if summary else "", started=started)


# The whole boot ----------------------------------------------------------------


class _Tee(io.StringIO):
    """A copy of what is written to *stream*, which still gets every write at once (the
    boot log keeps the last words of a process that dies before returning)."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.stream.flush()
        return super().write(text)


def check_settings(project_dir: Path, settings: str | None) -> CheckResult:
    from thibaud.conf import ENVIRONMENT_VARIABLE

    started = time.perf_counter()
    module = os.environ.get(ENVIRONMENT_VARIABLE) or settings
    if module is None:
        return _result("settings", "failed", "the project has no settings module", started=started)
    os.environ[ENVIRONMENT_VARIABLE] = module
    err = _Tee(sys.stderr)
    try:
        with contextlib.redirect_stderr(err):
            importlib.import_module(module)
    except SystemExit as exit_:
        # Settings that refuse to start (a driver missing, a bad variable) say why on
        # standard error, in one line, and exit: that line is the message.
        said = [line.strip() for line in err.getvalue().splitlines() if line.strip()]
        if isinstance(exit_.code, str):
            why = exit_.code
        else:
            why = said[-1] if said else f"exit status {exit_.code}"
        return _result(
            "settings", "failed", f"settings module {module} exits: {why}", started=started
        )
    except Exception as error:
        return _failure(
            "settings", f"settings module {module} does not import", error, project_dir, started
        )
    return _result("settings", "passed", f"{module} imports", started=started)


def _read_all(descriptor: int) -> bytes:
    with os.fdopen(descriptor, "rb") as pipe:
        return pipe.read()


def _run_checks(
    checks: list[tuple[str, Callable[[], CheckResult]]], reset: Callable[[], None]
) -> list[CheckResult]:
    """Run *checks* in order, in this process, so that passing ones share one set-up.

    Before each check, a spare copy of this process is forked and kept waiting: if the
    check fails, the rest run in the spare, as things were before the failure. A set-up
    that failed half-way (``populate() isn't reentrant`` ever after) cannot fail the
    next check. A fork costs milliseconds; only a failure costs a second set-up.
    """
    results: list[CheckResult] = []
    handoff: int | None = None  # in a spare that took over: where its results go
    index = 0
    while index < len(checks):
        name, check = checks[index]
        reset()
        go_read, go_write = os.pipe()
        rest_read, rest_write = os.pipe()
        pid = os.fork() if hasattr(os, "fork") else -1
        if pid == 0:  # the spare: wait; take over after a failure, else leave
            os.close(go_write)
            os.close(rest_read)
            if not _read_all(go_read):
                os._exit(0)
            if handoff is not None:
                os.close(handoff)
            handoff, results, index = rest_write, [], index + 1
            continue
        for descriptor in (go_read, rest_write):
            os.close(descriptor)
        try:
            result = check()
        except Exception as error:  # a bug of the check itself: still a result
            result = _result(name, "failed", _describe(error))
        results.append(result)
        if result["status"] == "passed" or pid < 0:
            os.close(go_write)
            os.close(rest_read)
            if pid > 0:
                os.waitpid(pid, 0)
            index += 1
            continue
        os.write(go_write, b"go")
        os.close(go_write)
        rest = _read_all(rest_read)
        os.waitpid(pid, 0)
        results += json.loads(rest) if rest else []
        break
    if handoff is not None:
        with os.fdopen(handoff, "wb") as pipe:
            pipe.write(json.dumps(results).encode())
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return results


def boot(project_dir: Path, entry: dict[str, str | None]) -> list[CheckResult]:
    """Every boot check of one project, in order; later ones skip when settings fail."""
    settings = check_settings(project_dir, entry.get("settings"))
    if settings["status"] != "passed":
        skipped = "not run: the settings module does not import"
        return [settings] + [
            _result(name, "skipped", skipped) for name in ("asgi", "wsgi", "manage-check")
        ]
    pristine = dict(os.environ)
    checks: list[tuple[str, Callable[[], CheckResult]]] = [
        ("asgi", lambda: check_asgi(project_dir, entry.get("asgi"))),
        ("wsgi", lambda: check_wsgi(project_dir, entry.get("wsgi"))),
        ("manage-check", lambda: check_manage(project_dir)),
    ]

    def reset() -> None:
        # Each entry point sets the settings default itself, as it would in its own
        # server process: one that sets a wrong one must not pass it on to the next.
        os.environ.clear()
        os.environ.update(pristine)
        os.environ.pop(_settings_variable(), None)

    return [settings, *_run_checks(checks, reset)]


def _settings_variable() -> str:
    from thibaud.conf import ENVIRONMENT_VARIABLE

    return str(ENVIRONMENT_VARIABLE)


def run_job(job: dict[str, Any]) -> None:
    """Boot the job's project (in this process, a fork of the zygote) and write the results."""
    preload_framework()  # done already in the zygote, unless it failed there: say why here
    project_dir = Path(job["project_dir"]).resolve()
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    results = boot(project_dir, job["entry_points"])
    Path(job["results"]).write_text(json.dumps(results), "utf-8")
