"""Several instances of a generated project behind a real nginx, on 127.0.0.1.

The instances are started with the project's own ``deploy/serve.sh`` and nginx with
the project's own ``deploy/nginx.conf`` (only its ports and paths changed), so what
is tested is what the project ships. Everything is stopped afterwards.

    with nginx_balancer(project_dir, [a.port, b.port], static_root) as port:
        ...

Used by ``tests/integration/test_scale_out.py`` and ``bench/scale_out.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.servers import free_port, stop_process
from tests.support.services import nginx_path

#: How long an instance may take to answer /health/ready after it starts.
READY_TIMEOUT = 60.0


def get(
    port: int, path: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """One GET to 127.0.0.1:*port*: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@dataclass
class Instance:
    """One instance of the project, started by ``deploy/serve.sh SERVER PORT``."""

    name: str
    server: str
    project_dir: Path
    env: Mapping[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        self.starts += 1
        bin_dir = str(Path(sys.executable).parent)
        env = {**self.env, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                # As the README runs it: the script is executable.
                ["deploy/serve.sh", self.server, str(self.port)],
                cwd=self.project_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group: a signal reaches the server and its workers.
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if get(self.port, "/health/ready", timeout=2.0)[0] == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready in {timeout} s:\n{self.log_tail()}")

    def terminate(self, grace: float = 40.0) -> int:
        """SIGTERM to the server's main process, as Docker, Kubernetes and systemd with
        ``KillMode=mixed`` stop a service; wait for it to exit.

        Not to its workers as well: a Hypercorn worker signalled directly drops the
        requests in flight, where its main process lets them finish first.
        """
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=grace)

    def kill(self) -> None:
        """SIGKILL the instance and its workers: a crash."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace=15.0)  # type: ignore[arg-type]

    def log_tail(self) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-30:])


def balancer_config(project_conf: str, *, ports: list[int], listen: int, static_root: Path) -> str:
    """The project's ``deploy/nginx.conf`` with this machine's instances, port and paths."""
    conf = re.sub(r"^\s*server 127\.0\.0\.1:\d+ [^\n]*# instances\n", "", project_conf, flags=re.M)
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in ports
    )
    conf, upstreams = re.subn(r"(upstream \w+ \{\n(?:\s*#[^\n]*\n)*)", rf"\g<1>{servers}", conf)
    conf, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", conf)
    conf, aliases = re.subn(r"alias /srv/\w+/staticfiles/;", f"alias {static_root}/;", conf)
    assert (upstreams, listens, aliases) == (1, 1, 1), "deploy/nginx.conf changed shape"
    return conf


@contextlib.contextmanager
def nginx_balancer(project_dir: Path, ports: list[int], static_root: Path) -> Iterator[int]:
    """nginx on a free port with the project's configuration; yields the port."""
    directory = Path(tempfile.mkdtemp(prefix="thibaud-test-nginx-"))
    # nginx's workers run as nobody when the master is root: let them in.
    directory.chmod(0o755)
    listen = free_port()
    site = balancer_config(
        (project_dir / "deploy" / "nginx.conf").read_text("utf-8"),
        ports=ports,
        listen=listen,
        static_root=static_root,
    )
    temp_paths = "".join(
        f"    {kind}_temp_path {directory / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (directory / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 512; }\n"
        "http {\n    include /etc/nginx/mime.types;\n"
        f"    access_log {directory / 'access.log'};\n{temp_paths}{site}\n}}\n",
        "utf-8",
    )
    with open(directory / "stderr.log", "wb") as log:
        process = subprocess.Popen(
            [str(nginx_path()), "-p", str(directory), "-c", str(directory / "nginx.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                get(listen, "/health/live", timeout=1.0)
                break
            if process.poll() is not None or time.monotonic() > deadline:
                errors = (directory / "stderr.log").read_text("utf-8", "replace")
                raise RuntimeError(f"nginx did not start:\n{errors}")
            time.sleep(0.1)
        yield listen
    finally:
        stop_process(process, grace=10.0)  # type: ignore[arg-type]
        shutil.rmtree(directory, ignore_errors=True)


class Traffic:
    """Steady GETs through the balancer from *clients* threads, bounded in time and count.

    Each client waits *pause* between requests. Every status is counted; a request
    that gets no HTTP answer at all counts as its exception's name.
    """

    def __init__(
        self,
        port: int,
        path: str = "/",
        *,
        clients: int = 4,
        pause: float = 0.02,
        max_seconds: float = 120.0,
        max_requests: int = 20_000,
    ) -> None:
        self.port, self.path, self.clients, self.pause = port, path, clients, pause
        self.max_seconds, self.max_requests = max_seconds, max_requests
        self.results: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.results.values())

    def _client(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self.total >= self.max_requests:
                return
            try:
                outcome = str(get(self.port, self.path, timeout=30.0)[0])
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
            with self._lock:
                self.results[outcome] += 1
            time.sleep(self.pause)

    def __enter__(self) -> Traffic:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def cluster_project(directory: Path, name: str) -> Path:
    """A project for several instances behind nginx: PostgreSQL and Redis, generated by
    ``startproject`` in a process of its own (as a user runs it) at *directory*/*name*."""
    done = run_cli(
        *("startproject", name, str(directory / name)),
        *("--data", "database=postgresql", "--data", "cache=redis"),
        cwd=directory,
        module=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"startproject failed:\n{done.stdout}{done.stderr}")
    return directory / name
