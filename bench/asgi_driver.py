"""Call an ASGI application directly, in-process: N requests, C at a time.

Run as ``python -m bench.asgi_driver MODULE:ATTR PATH`` in the project's directory
(with THIBAUD_SETTINGS_MODULE set for a Thibaud project); prints one JSON line:
requests per second, CPU microseconds per request, p50 and p99 latency in
milliseconds, and the error count.
No network and no server: what is measured is the application and its middleware.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import statistics
import sys
import time
from typing import Any

Message = dict[str, Any]


def _scope(path: str) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        # A Host that DEBUG's default ALLOWED_HOSTS accept, as a browser would send.
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _one_request(app: Any, path: str) -> tuple[float, bool]:
    """Latency in seconds, and whether the answer was a complete 200 response."""
    request_sent = False
    status = 0
    complete = False

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # A real server blocks here until the client goes away: so do we.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, complete
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            complete = True

    started = time.perf_counter()
    await app(_scope(path), receive, send)
    return time.perf_counter() - started, status == 200 and complete


async def _drive(app: Any, path: str, requests: int, concurrency: int) -> list[tuple[float, bool]]:
    results: list[tuple[float, bool]] = []
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            results.append(await _one_request(app, path))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def measure(app: Any, path: str, *, requests: int, concurrency: int, warmup: int) -> Message:
    """Warm up, then time *requests* calls of *app* with *concurrency* in flight."""

    async def run() -> tuple[float, float, list[tuple[float, bool]]]:
        await _drive(app, path, warmup, concurrency)
        started, cpu_started = time.perf_counter(), time.process_time()
        results = await _drive(app, path, requests, concurrency)
        return time.perf_counter() - started, time.process_time() - cpu_started, results

    elapsed, cpu, results = asyncio.run(run())
    latencies = sorted(latency for latency, _ in results)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(results),
        "errors": sum(1 for _, ok in results if not ok),
        "rps": len(results) / elapsed,
        # CPU time of the whole process (the sync views' threads included) per
        # request: unlike req/s, barely moved by other work on a shared machine.
        "cpu_us": cpu / len(results) * 1e6,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "application")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", help="MODULE:ATTR of the ASGI application")
    parser.add_argument("path", help="the URL path to request, e.g. /hello/sync/")
    parser.add_argument("-n", "--requests", type=int, default=1000)
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--wrap",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="wrap the application in this middleware (repeatable, innermost first)",
    )
    parser.add_argument(
        "--stay", action="store_true", help='then measure "REQUESTS PATH" lines from stdin'
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    app = load(args.target)
    for middleware in args.wrap:
        app = load(middleware)(app)
    result = measure(
        app, args.path, requests=args.requests, concurrency=args.concurrency, warmup=args.warmup
    )
    print(json.dumps(result), flush=True)
    if args.stay:
        # Further measurements on request, "REQUESTS PATH" per line, until stdin
        # closes: the benchmark keeps one warm process per project and
        # interleaves short bursts, rather than paying a start-up per burst.
        for line in sys.stdin:
            requests, path = line.split()
            result = measure(
                app, path, requests=int(requests), concurrency=args.concurrency, warmup=0
            )
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
