"""Faults injected at every write, in real processes: thibaud-admin run by the fault
server (``tests/support/fault_runner.py``), its *n*-th write failing as *mode* says
(SIGKILL, Ctrl-C, a full disk, an exception), and what a test checks afterwards."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from thibaud_cli.fs.lock import CONTROL_DIRNAME
from thibaud_cli.fs.scratch import TEMP_PREFIX
from thibaud_cli.project.answers import load_answers

#: The comment that opens the middleware block of the bundled template's asgi.py.
CHAIN_MARKER = "# ASGI middleware, managed by"

REPO = Path(__file__).resolve().parents[2]
#: A line of the user's, which no fault may lose.
USER_EDIT = "# a line the user wrote\n"


class FaultServer:
    """``tests.support.fault_runner --serve``: one Python with thibaud-cli imported, forking a
    child per command (a fresh interpreter per command made this file take minutes)."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "THIBAUD_SETTINGS_MODULE"}
        env["PYTHONPATH"] = str(REPO)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fault_runner", "--serve"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(
        self, mode: str, n: int, args: list[str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        import json
        import tempfile

        env = {k: v for k, v in os.environ.items() if k != "THIBAUD_SETTINGS_MODULE"}
        with tempfile.TemporaryDirectory() as scratch:
            out, err = Path(scratch) / "out", Path(scratch) / "err"
            job = {
                "mode": mode,
                "n": n,
                "args": args,
                "cwd": str(cwd),
                "env": env,
                "stdout": str(out),
                "stderr": str(err),
            }
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            assert answer, "the fault server died"
            code = json.loads(answer)["returncode"]
            return subprocess.CompletedProcess(
                args, code, out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace")
            )

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.process.wait(timeout=30)


_server: FaultServer | None = None


def run_with_fault(
    mode: str, n: int, args: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """thibaud-admin *args* in *cwd*, in a process of its own, the *n*-th write failing.

    The fault server starts on first use
    and stops when the test run ends.
    """
    global _server
    if _server is None or _server.process.poll() is not None:
        import atexit

        _server = FaultServer()
        atexit.register(_server.close)
    return _server.run(mode, n, args, cwd)


def run_without_fault(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """thibaud-admin in a process of its own forked by the fault server, no write failing
    (faster than a fresh interpreter)."""
    result = run_with_fault("none", 10**6, args, cwd)
    result.stderr = result.stderr.replace("FAULT-NOT-REACHED\n", "")
    return result


def leftovers(*directories: Path) -> list[str]:
    return [
        str(path)
        for directory in directories
        if directory.is_dir()
        for path in directory.iterdir()
        if path.name.startswith((TEMP_PREFIX, CONTROL_DIRNAME))
    ]


def chain_is_consistent(project: Path) -> list[str]:
    """The wraps in asgi.py's middleware block are exactly the recorded chain; returns
    their names. (The request guard's wrap above the block is the template's own.)"""
    answers = load_answers(project)
    source = (project / "mysite" / "asgi.py").read_text()
    lines = source.splitlines()
    (block,) = [number for number, line in enumerate(lines, 1) if line.startswith(CHAIN_MARKER)]
    wrapped = [
        node.value.func.id
        for node in ast.parse(source).body
        if node.lineno > block
        and isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id != "get_asgi_application"
    ]
    assert wrapped == [entry.target.attribute for entry in answers.asgi_middleware]
    return wrapped
