"""Shared test helpers: throwaway templates, projects, and real servers."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from thibaud_cli.template.source import bundled_template_path

BIN_DIR = Path(sys.executable).parent


def build_file_tree(root: Path, spec: Mapping[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under *root* (copier's tests do the same)."""
    for relative, content in spec.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return root


def copy_bundled_template(destination: Path) -> Path:
    """A private copy of the bundled template, for tests that break it."""
    import shutil

    shutil.copytree(bundled_template_path(), destination)
    return destination


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every path under *root* with a digest of its content (or 'dir'/'link')."""
    snapshot: dict[str, str] = {}
    if not root.exists():
        return snapshot
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                snapshot[relative] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                snapshot[relative] = "dir"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                snapshot[relative] = f"{digest}:{oct(path.stat().st_mode)}"
    return snapshot


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


# Commits in tests must not depend on the machine's git configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in *repo* with a fixed identity; return its output."""
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def git_commit_all(repo: Path, message: str, *, tag: str | None = None) -> None:
    """Commit everything in *repo* (creating the repository if needed), and tag it."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    if tag is not None:
        git(repo, "tag", tag)


@dataclass(frozen=True)
class LargeTemplate:
    """A synthetic git template of 1,000 files, and a project generated at its v1."""

    template: Path
    #: Generated at v1, a tenth of its files edited, committed: copy it before writing.
    project: Path


def thibaud_admin(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run this environment's installed ``thibaud-admin`` script, as a user would: no
    settings module inherited from the test run (one given in *env* is kept)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(env or {})
    return subprocess.run(
        [str(Path(sys.executable).parent / "thibaud-admin"), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
