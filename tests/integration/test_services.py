"""The throwaway services other tests build on answer, and are gone afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.helpers import free_port, stop_process
from tests.integration.services import nginx_proxy, postgres_server, redis_server

pytestmark = pytest.mark.servers


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_postgres_and_redis_answer_and_stop(tmp_path: Path) -> None:
    with postgres_server() as postgres, redis_server() as redis_:
        url = postgres.create_database("things")
        assert url.endswith(f":{postgres.port}/things")
        assert postgres.psql("SELECT 1 + 1", "things").strip() == "2"
        client = redis.Redis.from_url(redis_.url)
        assert client.ping()
        directories = (postgres.directory, redis_.directory)
        ports = (postgres.port, redis_.port)
    assert not any(_listening(port) for port in ports)
    assert not any(directory.exists() for directory in directories)


def test_nginx_balances_over_its_upstreams(tmp_path: Path) -> None:
    upstreams = []
    try:
        for name in ("one", "two"):
            root = tmp_path / name
            root.mkdir()
            (root / "who").write_text(name)
            port = free_port()
            upstreams.append(
                (
                    port,
                    subprocess.Popen(
                        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                        cwd=root,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    ),
                )
            )
        for port, _ in upstreams:
            for _attempt in range(100):
                if _listening(port):
                    break
                time.sleep(0.05)
        with nginx_proxy([f"127.0.0.1:{port}" for port, _ in upstreams]) as proxy:
            answers = {httpx.get(proxy.base_url + "/who").text for _ in range(4)}
            port = proxy.port
        assert answers == {"one", "two"}
        assert not _listening(port)
    finally:
        for _, process in upstreams:
            stop_process(process)
