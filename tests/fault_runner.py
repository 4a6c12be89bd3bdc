"""Run thibaud-admin in this process with a fault at the Nth file-system write.

Usage: python -m tests.fault_runner MODE N ARGS...; MODE is sigkill, interrupt,
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


if __name__ == "__main__":
    main()
