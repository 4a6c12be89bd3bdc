"""Throwaway PostgreSQL and Redis servers for tests: started on free 127.0.0.1 ports in
temporary directories, always stopped. (nginx, in front of several instances of a
project, is in ``cluster.py``.)

Reusable by any test that needs real backing services (the production-stack tests, the
scale-out test):

    with postgres_server() as pg, redis_server() as redis:
        env = {"DATABASE_URL": pg.url("mysite"), "REDIS_URL": redis.url}
        pg.create_database("mysite")
        ...
        pg.stop()   # e.g. to see /health/ready turn to 503

They need the Debian packages (``postgresql``, whose binaries are in
/usr/lib/postgresql/<version>/bin, ``redis-server``, ``nginx-light``); ``.ci/run``
installs them when missing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port, stop_process

#: Where Debian's postgresql-NN packages put initdb, pg_ctl and psql.
POSTGRES_LIB_DIR = Path("/usr/lib/postgresql")
#: How long a server may take to accept connections.
START_TIMEOUT = 30.0
#: PostgreSQL refuses to run as root: the servers run as this user then.
POSTGRES_USER = "postgres"


class ServiceUnavailable(RuntimeError):
    """The binaries a service needs are not installed."""


def postgres_bin_dir() -> Path:
    installed = sorted(
        (path.parent for path in POSTGRES_LIB_DIR.glob("*/bin/pg_ctl")),
        key=lambda directory: int(directory.parent.name) if directory.parent.name.isdigit() else 0,
    )
    if installed:
        return installed[-1]
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise ServiceUnavailable(
        "PostgreSQL is not installed (no pg_ctl): apt-get install -y postgresql"
    )


def redis_server_path() -> Path:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceUnavailable("redis-server is not installed: apt-get install -y redis-server")
    return Path(found)


def _wait_for_port(port: int, what: str, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    detail = log.read_text("utf-8", errors="replace") if log.exists() else ""
    raise RuntimeError(f"{what} did not accept connections on port {port} in {timeout}s:\n{detail}")


def _as_postgres_user() -> list[str]:
    """The prefix that runs a command as the postgres user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", POSTGRES_USER, "--"]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:port."""

    directory: Path
    port: int
    bin_dir: Path
    user: str = "test"
    password: str = "test"
    running: bool = False

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "socket"

    @property
    def log_path(self) -> Path:
        return self.directory / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_postgres_user(), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            stdin=subprocess.DEVNULL,
        )

    def init(self) -> None:
        password_file = self.directory / "password"
        password_file.write_text(self.password + "\n", "utf-8")
        if os.geteuid() == 0:
            owner = pwd.getpwnam(POSTGRES_USER)
            password_file.chmod(0o600)
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-sync",
            timeout=120,
        )
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            os.chown(self.socket_dir, owner.pw_uid, owner.pw_gid)

    def start(self) -> None:
        options = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            timeout=START_TIMEOUT + 10,
        )
        self.running = True
        _wait_for_port(self.port, "PostgreSQL", self.log_path)

    def stop(self) -> None:
        """Stop the server now (fast shutdown: open connections are cut)."""
        if not self.running:
            return
        self._run(
            str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"
        )
        self.running = False

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            stdin=subprocess.DEVNULL,
        )
        return result.stdout

    def create_database(self, name: str) -> str:
        """Create the database *name*; return its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster on a free port, stopped and deleted afterwards.

    Its directory is made in the system's temporary directory (not pytest's, which
    only root can enter), owned by the postgres user when we are root."""
    bin_dir = postgres_bin_dir()
    directory = Path(tempfile.mkdtemp(prefix="thibaud-test-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(POSTGRES_USER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(directory=directory, port=free_port(), bin_dir=bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class RedisServer:
    """A redis-server on 127.0.0.1:port that persists nothing."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(redis_server_path()),
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _wait_for_port(self.port, "Redis", self.log_path)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace=10.0)
            self.process = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server on a free port, stopped afterwards."""
    redis_server_path()
    directory = Path(tempfile.mkdtemp(prefix="thibaud-test-redis-"))
    server = RedisServer(directory=directory, port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def nginx_path() -> Path:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None
    )
    if not found:
        raise ServiceUnavailable("nginx is not installed: apt-get install -y nginx-light")
    return Path(found)
