"""``validate-template --server``: serve a rendered project with a real ASGI server.

The server runs in its own process group on a free 127.0.0.1 port, answers ``GET /``
(or does not), and is always stopped, whatever happened.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from thibaud_cli.checks.results import SERVER_CHECK, CheckResult
from thibaud_cli.errors import UsageError

SERVERS = ("uvicorn", "hypercorn", "daphne")
#: How long a server may take to answer its first request.
STARTUP_TIMEOUT = 30.0
_STOP_GRACE = 10.0


def require_server(server: str, python: str | None = None) -> None:
    """Refuse, before any work, a server the interpreter (*python*, else this one)
    cannot run."""
    if server not in SERVERS:
        raise UsageError(f"--server {server}: choose one of {', '.join(SERVERS)}.")
    if python is None:
        installed = importlib.util.find_spec(server) is not None
    else:
        probe = (
            f"import importlib.util, sys; sys.exit(importlib.util.find_spec({server!r}) is None)"
        )
        installed = subprocess.run([python, "-c", probe], check=False).returncode == 0
    if not installed:
        raise UsageError(
            f"--server {server}: {server} is not installed for {python or sys.executable}: "
            f"pip install {server}, or leave --server out."
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(
    server: str, application: str, port: int, python: str | None = None
) -> list[str]:
    """The command line that serves *application* (``pkg.asgi:application``) on *port*
    with *python* (default: this interpreter)."""
    arguments = {
        "uvicorn": [application, "--host", "127.0.0.1", "--port", str(port)],
        "hypercorn": ["--bind", f"127.0.0.1:{port}", application],
        "daphne": ["-b", "127.0.0.1", "-p", str(port), application],
    }[server]
    return [python or sys.executable, "-m", server, *arguments]


def _get_status(url: str) -> int | None:
    """The status of GET *url*, or None while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _log_tail(log_path: Path) -> str:
    lines = [
        line for line in log_path.read_text("utf-8", errors="replace").splitlines() if line.strip()
    ]
    return " | ".join(lines[-3:])


def check_server(
    server: str,
    project_dir: Path,
    asgi_module: str,
    env: Mapping[str, str],
    log_path: Path,
    python: str | None = None,
) -> CheckResult:
    """Start *server* on the project's ASGI application, GET /, and stop it."""
    started = time.perf_counter()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            server_command(server, f"{asgi_module}:application", port, python),
            cwd=project_dir,
            env={**env, "PYTHONPATH": str(project_dir)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own group, so stopping it also stops any worker it forked.
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return CheckResult(
                    SERVER_CHECK,
                    "failed",
                    f"{server} exited with status {process.returncode} before answering: "
                    f"{_log_tail(log_path)}",
                    duration=time.perf_counter() - started,
                )
            status = _get_status(url)
            if status is not None:
                return CheckResult(
                    SERVER_CHECK,
                    "passed" if status < 500 else "failed",
                    f"{server} on 127.0.0.1:{port} answered GET / with {status}",
                    duration=time.perf_counter() - started,
                )
            time.sleep(0.1)
        return CheckResult(
            SERVER_CHECK,
            "failed",
            f"{server} did not answer GET / within {STARTUP_TIMEOUT:.0f} s: {_log_tail(log_path)}",
            duration=time.perf_counter() - started,
        )
    finally:
        _stop(process)
