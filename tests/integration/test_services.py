"""The throwaway services other tests build on answer, and are gone afterwards."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis

from tests.support.services import postgres_server, redis_server

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
