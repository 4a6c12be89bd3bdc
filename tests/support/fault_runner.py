"""Run thibaud-admin in this process with a fault at the Nth file-system write.

Usage: python -m tests.support.fault_runner MODE N ARGS...; MODE is sigkill, interrupt,
enospc or exception. The writes counted are every call of Path.write_bytes,
Path.write_text, os.link, os.rename, os.replace and os.fsync; with MODE:renames
(``sigkill:renames``) only os.link, os.rename and os.replace, the moves that put
content in place. Prints FAULT-NOT-REACHED on stderr when the run had fewer than
N writes.
"""

from __future__ import annotations

import errno
import os
import pathlib
import signal
import sys
from collections.abc import Callable
from typing import Any

WRITES = (
    (pathlib.Path, "write_bytes"),
    (pathlib.Path, "write_text"),
    (os, "link"),
    (os, "rename"),
    (os, "replace"),
    (os, "fsync"),
)
RENAMES = tuple(write for write in WRITES if write[0] is os and write[1] != "fsync")


FAULTS: dict[str, BaseException | None] = {
    "sigkill": None,
    "interrupt": KeyboardInterrupt(),
    "enospc": OSError(errno.ENOSPC, "No space left on device"),
    "exception": RuntimeError("injected fault"),
}


class WriteFaults:
    """Counts the writes and fails the *fail_at*-th one with *mode*'s fault."""

    def __init__(self, mode: str, fail_at: int) -> None:
        self.mode, _, only = mode.partition(":")
        self.writes = RENAMES if only == "renames" else WRITES
        self.fail_at = fail_at
        self.count = 0

    @property
    def fired(self) -> bool:
        return self.count >= self.fail_at

    def install(self, patch: Callable[[Any, str, Any], None] = setattr) -> WriteFaults:
        """Patch the write functions (*patch* may be pytest's monkeypatch.setattr)."""
        for owner, name in self.writes:
            patch(owner, name, self._wrap(getattr(owner, name)))
        return self

    def _wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count == self.fail_at:
                fault = FAULTS[self.mode]
                if fault is None:
                    os.kill(os.getpid(), signal.SIGKILL)
                else:
                    raise fault
            return function(*args, **kwargs)

        return wrapper


def main() -> None:
    mode, fail_at, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    faults = WriteFaults(mode, fail_at).install()
    from thibaud_cli.cli import main as thibaud_admin

    try:
        thibaud_admin(args, prog_name="thibaud-admin")
    finally:
        if not faults.fired:
            print("FAULT-NOT-REACHED", file=sys.stderr)


if __name__ == "__main__" and sys.argv[1:2] != ["--serve"]:
    main()


# A fork server: the fault tests run a command hundreds of times; starting Python and
# importing copier and Thibaud each time cost most of their run. The server imports them
# once, then forks a child per command, whose faults are its own.

_PRELOAD = (
    "thibaud_cli.cli",
    "thibaud_cli.operations.startproject",
    "thibaud_cli.operations.asgi_chain",
    "thibaud_cli.operations.update",
    "thibaud_cli.template.engine.render",
    "thibaud_cli.template.engine.worker",
    "copier",
    "yaml",
)


def _run_child(job: dict[str, Any]) -> None:
    """In the forked child: the environment of the job, its output to files, then the run."""
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child's, for its lifetime
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    sys.argv = ["fault_runner", job["mode"], str(job["n"]), *job["args"]]
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 - as an uncaught exception would end a process
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    """Read jobs as JSON lines on stdin; answer each with its exit status and output."""
    import importlib
    import json

    for name in _PRELOAD:
        importlib.import_module(name)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_child(job)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"returncode": code}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    serve()
