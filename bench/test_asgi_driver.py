"""The in-process ASGI driver behind the served-project benchmark counts honestly.

Benchmarks are not tests: nothing here looks at a timing. What is checked is that
the driver sends every request, counts only complete 200 answers as successes,
and runs the middleware it is asked to wrap around the application.
"""

from __future__ import annotations

from typing import Any

from bench.asgi_driver import measure
from bench.raw_asgi import app as raw_app


def test_every_request_is_sent_and_answered() -> None:
    result = measure(raw_app, "/", requests=300, concurrency=32, warmup=10)
    assert result["requests"] == 300
    assert result["errors"] == 0
    assert result["rps"] > 0
    assert 0 <= result["p50_ms"] <= result["p99_ms"]


async def _server_error(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b"boom"})


async def _never_finishes_body(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})


def test_non_200_and_incomplete_answers_are_errors() -> None:
    for app in (_server_error, _never_finishes_body):
        result = measure(app, "/", requests=50, concurrency=8, warmup=0)
        assert result["errors"] == 50


def test_concurrency_is_what_was_asked() -> None:
    import asyncio

    in_flight = 0
    most = 0

    async def counting(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        await raw_app(scope, receive, send)

    measure(counting, "/", requests=200, concurrency=16, warmup=0)
    assert most == 16
