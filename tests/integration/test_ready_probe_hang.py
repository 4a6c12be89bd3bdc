"""Issue 25, item 7: a database that hangs delays neither the readiness probe past its
checks' timeout nor anyone else's requests.

The attack: ``/health/ready`` ran every check in the one thread Thibaud's ASGI handler
runs synchronous views in, so a database that accepts connections and never answers
held up every probe and every page behind it. Here the PostgreSQL variant is served by
a real Uvicorn with DATABASE_URL pointing at a socket on 127.0.0.1 that listens and
never answers (the kernel completes each connection; nothing is ever sent). Several
probes in flight at once each answer 503, naming the database alone (the cache's check
ran beside it, in time), and the start page, a synchronous view, is answered while the
probes still wait on the database.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.test_hostile_requests import HOST, behind_tls_proxy
from tests.support.deploy import readme_production_env
from tests.support.servers import RunningServer, free_port, project_env, run_server
from thibaud_cli.operations.startproject import start_project

pytestmark = pytest.mark.servers

PROBES = 4
PROBE_HOST = "10.0.0.5:8000"


@pytest.fixture(scope="module")
def silent_database() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, silent_database: int
) -> Iterator[RunningServer]:
    project = tmp_path_factory.mktemp("probe-hang") / "mysite"
    start_project("mysite", project, data={"database": "postgresql"})
    env = behind_tls_proxy(readme_production_env(project))
    env["DATABASE_URL"] = f"postgres://mysite:mysite@127.0.0.1:{silent_database}/mysite"
    port = free_port()
    argv = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    with run_server(
        argv, cwd=project, port=port, env=project_env(project, env), ready_path="/health/live"
    ) as running:
        yield running


def check_timeout(project: Path) -> float:
    """healthchecks.py's CHECK_TIMEOUT, read from the generated file."""
    source = (project / "mysite" / "healthchecks.py").read_text("utf-8")
    (value,) = re.findall(r"^CHECK_TIMEOUT = ([0-9.]+)$", source, re.MULTILINE)
    return float(value)


def test_probes_and_pages_are_not_held_by_a_database_that_hangs(server: RunningServer) -> None:
    """Others' probes waiting on the database (anyone can send them) hold up neither the
    load balancer's probe, answered within three times the checks' timeout (one after
    another, five probes would take five times it), nor a page."""
    timeout = check_timeout(Path(server.log_path).parent)
    page_headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    # The server's first request through Thibaud loads the URLconf and the templates,
    # which on a loaded machine can take seconds: warm it up before the race, so the page
    # below measures what it is for (not held by the probes), not a cold start.
    warm_up = httpx.get(server.base_url + "/", headers=page_headers, timeout=120)
    assert warm_up.status_code == 200, server.log()
    answers: list[httpx.Response] = []

    def probe() -> None:
        answers.append(
            httpx.get(server.base_url + "/health/ready", headers={"Host": PROBE_HOST}, timeout=120)
        )

    others = [threading.Thread(target=probe) for _ in range(PROBES)]
    for thread in others:
        thread.start()
    # Let their probes reach the server first (were they to come later, what follows
    # would only be answered sooner).
    time.sleep(0.5)
    page = httpx.get(server.base_url + "/", headers=page_headers, timeout=120)
    pending_when_the_page_came = PROBES - len(answers)
    started = time.monotonic()
    balancer = httpx.get(
        server.base_url + "/health/ready", headers={"Host": PROBE_HOST}, timeout=120
    )
    waited = time.monotonic() - started
    for thread in others:
        thread.join(timeout=120)

    assert page.status_code == 200 and "mysite is running" in page.text
    assert pending_when_the_page_came > 0, server.log()
    # A deadline, not a speed figure: the checks behind one thread made this probe wait
    # for the others' in turn, (PROBES + 1) * timeout in all; its own timeout and a
    # loaded machine's slack stay well under that.
    assert waited < 3 * timeout, server.log()
    assert len(answers) == PROBES
    for response in (*answers, balancer):
        assert response.status_code == 503
        # Each check has its own timeout: the cache's answered beside the database's.
        assert response.json()["checks"] == {"database": "failed", "cache": "ok"}
    assert "Readiness check 'database' took over" in server.log()
