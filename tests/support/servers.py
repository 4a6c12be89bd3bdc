"""Real servers for tests: a free port on 127.0.0.1, a server process started, waited
for until it answers HTTP, and always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.cli import BIN_DIR


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A server process started by :func:`run_server`."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    exit_code: int | None = field(default=None)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


def project_env(project_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a server of the generated project runs with."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE"}
    }
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(project_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@contextlib.contextmanager
def run_server(
    argv: list[str],
    *,
    cwd: Path,
    port: int,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    timeout: float = 30.0,
    host_header: str | None = None,
) -> Iterator[RunningServer]:
    """Start *argv* (a server listening on 127.0.0.1:*port*), wait until it answers
    HTTP, yield it, and always stop it (SIGTERM, then SIGKILL)."""
    log_path = cwd / f".server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else project_env(cwd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = RunningServer(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        _wait_until_ready(server, ready_path, timeout, host_header)
        yield server
    finally:
        server.exit_code = stop_process(process)


def _wait_until_ready(
    server: RunningServer, path: str, timeout: float, host_header: str | None
) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Host": host_header} if host_header else {}
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.process.returncode} before answering:\n{server.log()}"
            )
        try:
            httpx.get(server.base_url + path, timeout=2.0, headers=headers)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {timeout}s:\n{server.log()}")


def stop_process(process: subprocess.Popen[bytes], grace: float = 15.0) -> int:
    """SIGTERM the process group, wait, SIGKILL if needed; return the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return process.wait(timeout=grace)
    return process.returncode
