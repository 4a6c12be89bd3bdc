"""A slow database does not let anyone delay the load balancer's probe (issue 25: the
generated ``/health/ready`` ran every check behind one thread, so a database that does
not answer held the probe, and every synchronous view with it).

Shaped as the attack was: the generated project served by uvicorn, its database a
server on 127.0.0.1 that accepts connections and never says a word, and probes sent by
anyone, twenty or more at once. Each probe must answer 503 naming the database within
about one checks' timeout, not when the database lets go, and the application's other
views keep answering meanwhile.

A flood of probes does not queue: probes arriving while a check runs share that run,
and wait for it on the event loop. Each probe used to hold one of the event loop's
executor threads (the processor count plus 4, at most 32) while its checks ran, so
probes beyond that waited their turn, a timeout a batch: on 2 cores, twenty at once
were answered between 3.4 and 12.2 s.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.test_ready_probe_hang import check_timeout
from tests.support.deploy import generate_project, readme_production_env
from tests.support.servers import free_port, project_env, run_server

pytestmark = pytest.mark.servers

#: How long the silent database holds each connection: far longer than any answer
#: the test waits for (not a timing assertion on our speed: without the checks'
#: timeout, a probe would wait all of it).
HOLD = 90.0
#: What the page may take here, against HOLD: a first request through Thibaud, on a
#: loaded machine.
ANSWERED_WITHIN = 30.0
#: Probes sent at once: enough that, were each to hold one of the event loop's
#: executor threads while its checks time out, the last would wait four timeouts.
FLOOD = max(20, 3 * min(32, (os.cpu_count() or 1) + 4) + 1)
#: What a probe of the flood may take, in checks' timeouts. A deadline, not a speed
#: figure: one timeout for the shared checks, one and a half of slack for a loaded
#: machine, far from the four timeouts (12 s) of probes queued for threads.
PROBE_TIMEOUTS = 2.5
PROBE_HOST = "10.0.0.5:8000"


@contextlib.contextmanager
def silent_database() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers; its
    connections are closed when the block ends (the hung checks then end too)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        ends = time.monotonic() + HOLD
        while not stop.is_set() and time.monotonic() < ends:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=10)
        for connection in held:
            connection.close()
        listener.close()


def timed_get(url: str, host: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, headers={"Host": host}, timeout=HOLD + 30)
    return response, time.monotonic() - started


def test_a_silent_database_fails_the_probe_in_time_and_holds_up_nothing(
    tmp_path: Path,
) -> None:
    project = generate_project(tmp_path)
    env = readme_production_env(project)
    site_host = env["THIBAUD_ALLOWED_HOSTS"].split(",")[0].strip()
    port = free_port()
    with silent_database() as database_port:
        env["DATABASE_URL"] = f"postgres://mysite:secret@127.0.0.1:{database_port}/mysite"
        argv = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        with run_server(
            argv, cwd=project, port=port, env=project_env(project, env), ready_path="/health/live"
        ) as server:
            ready = server.base_url + "/health/ready"
            with ThreadPoolExecutor(max_workers=FLOOD + 1) as pool:
                # Anyone may send probes: more at once than the checks have threads,
                # and than the event loop's executor has.
                probes = [pool.submit(timed_get, ready, PROBE_HOST) for _ in range(FLOOD)]
                time.sleep(1)  # the database checks now hang, every thread of them
                # A request to the site itself runs in the thread synchronous code
                # shares: the hung checks are not in it.
                site, site_took = timed_get(server.base_url + "/", site_host)
                answers = [probe.result() for probe in probes]
            late, late_took = timed_get(ready, PROBE_HOST)
            log = server.log()
    assert site.status_code < 500 and site_took < ANSWERED_WITHIN, (site.status_code, site_took)
    deadline = PROBE_TIMEOUTS * check_timeout(project)
    for response, took in [*answers, (late, late_took)]:
        assert response.status_code == 503, (response.status_code, response.text, log[-2000:])
        assert took < deadline, sorted(took for _, took in answers)
        body = response.json()
        assert body["status"] == "unavailable" and "database" in body["failed"], body
    assert "Readiness check 'database' took over" in log
