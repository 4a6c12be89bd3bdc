"""The boot zygote, seen from validate-template: one process per run that boots variants.

``probe_zygote.py`` is started once, before the template is read, so that its
framework import overlaps copier's and the first renders; it then forks a process per variant (the
protocol is in its docstring). Boots run from several threads: requests are written
under a lock, and a reader thread hands each variant's exit to the thread waiting
for it.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

_SCRIPT = Path(__file__).with_name("probe_zygote.py")
#: How long a killed variant, or the zygote at the end, may take to be reaped.
_REAP_TIMEOUT = 30.0


@dataclass(frozen=True)
class ProbeExit:
    """How a variant's boot process ended."""

    #: Its exit status as ``subprocess`` gives it; None if the zygote itself is gone.
    code: int | None
    #: It did not finish in time and was killed.
    timed_out: bool = False


class Zygote:
    """A running ``probe_zygote.py``: :meth:`boot` runs one variant's job in a fork of it."""

    def __init__(
        self, python: str | None, env: Mapping[str, str], workdir: Path, name: str = "zygote"
    ) -> None:
        #: What the zygote itself printed (its own failures; each variant has a log).
        self.log_path = workdir / f"{name}.log"
        from thibaud_cli.template.sandbox.memory import ceiling_lifted

        # Started while variants render (--install: a zygote per environment, when its
        # first variant is ready): not under the renders' memory ceiling.
        with open(self.log_path, "w", encoding="utf-8") as log, ceiling_lifted():
            # -P: the script's directory (our package) must not shadow the project's modules.
            self._process = subprocess.Popen(
                [python or sys.executable, "-P", str(_SCRIPT)],
                cwd=workdir,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self._lock = threading.Lock()
        self._waiting: dict[str, Future[int | None]] = {}
        self._ids = itertools.count()
        self._gone = False
        self._booted = False
        self._reader = threading.Thread(target=self._read, name="zygote-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stdout: IO[bytes] | None = self._process.stdout
        assert stdout is not None  # stdout=PIPE
        for line in stdout:
            report = json.loads(line)
            with self._lock:
                future = self._waiting.pop(str(report["id"]), None)
            if future is not None:
                future.set_result(int(report["exit"]))
        # The zygote is gone: nothing it was running will report.
        with self._lock:
            self._gone = True
            orphans, self._waiting = list(self._waiting.values()), {}
        for future in orphans:
            future.set_result(None)

    def _send(self, request: dict[str, Any]) -> bool:
        """Write *request*; False if the zygote no longer reads. Call with the lock held."""
        stdin = self._process.stdin
        assert stdin is not None  # stdin=PIPE
        try:
            stdin.write((json.dumps(request) + "\n").encode())
            stdin.flush()
        except (BrokenPipeError, ValueError):  # exited, or closed by close()
            return False
        return True

    def boot(self, job: Mapping[str, Any], log_path: Path, timeout: float) -> ProbeExit:
        """Run *job* (boot_probe.run_job's) in a fork, its output in *log_path*; kill it
        after *timeout* seconds."""
        ident = str(next(self._ids))
        done: Future[int | None] = Future()
        with self._lock:
            self._waiting[ident] = done
            self._booted = True
            if self._gone or not self._send({"id": ident, "job": dict(job), "log": str(log_path)}):
                self._waiting.pop(ident, None)
                return ProbeExit(None)
        try:
            return ProbeExit(done.result(timeout=timeout))
        except FutureTimeout:
            with self._lock:
                self._send({"kill": ident})
            try:
                return ProbeExit(done.result(timeout=_REAP_TIMEOUT), timed_out=True)
            except FutureTimeout:
                return ProbeExit(None, timed_out=True)

    def exit_status(self) -> int | None:
        """The zygote's own exit status, once it is gone."""
        try:
            return self._process.wait(timeout=_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        """End of requests: the zygote kills what still runs, reaps it, and exits."""
        if not self._booted:
            # Nothing forked (a usage error, nothing rendered): no import to wait for.
            self._process.kill()
        with self._lock:
            if self._process.stdin is not None:
                try:
                    self._process.stdin.close()
                except BrokenPipeError:
                    pass
        try:
            self._process.wait(timeout=_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ZygotePool:
    """A zygote per interpreter (--install gives each dependency set its own), each
    started when a variant first needs it; the default interpreter's at once, so that its
    framework import overlaps the planning."""

    def __init__(
        self, python: str | None, env: Mapping[str, str], workdir: Path, *, eager: bool
    ) -> None:
        self._env = dict(env)
        self._workdir = workdir
        self._lock = threading.Lock()
        self._zygotes: dict[str | None, Zygote] = {}
        if eager:
            self.get(python)

    def get(self, python: str | None) -> Zygote:
        with self._lock:
            if python not in self._zygotes:
                name = f"zygote-{len(self._zygotes)}" if self._zygotes else "zygote"
                self._zygotes[python] = Zygote(python, self._env, self._workdir, name)
            return self._zygotes[python]

    def close(self) -> None:
        for zygote in self._zygotes.values():
            zygote.close()

    def __enter__(self) -> ZygotePool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
