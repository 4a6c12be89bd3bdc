"""Issue 3, item 1 and 4: every server of the generated README's deployment guide runs
a freshly generated project, as the seed page promises, started with the README's own
command line (only the port differs)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.deploy import (
    generate_project,
    pip_install_offline,
    readme_blocks,
    readme_command,
    serve_readme_command,
)
from tests.support.servers import RunningServer, stop_process

pytestmark = pytest.mark.servers

#: server id -> (README heading, how its run line starts)
SERVERS = {
    "uvicorn": ("Uvicorn", "uvicorn "),
    "hypercorn": ("Hypercorn", "hypercorn "),
    "daphne": ("Daphne", "daphne "),
    "gunicorn-uvicorn-worker": ("Gunicorn with the Uvicorn worker", "gunicorn "),
    "gunicorn-wsgi": ("Gunicorn (WSGI)", "gunicorn "),
}


@pytest.fixture(scope="module")
def served_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_project(tmp_path_factory.mktemp("deploy-servers"))


@pytest.fixture(scope="class", params=sorted(SERVERS))
def served(request: pytest.FixtureRequest, served_project: Path) -> Iterator[RunningServer]:
    heading, starts_with = SERVERS[request.param]
    with serve_readme_command(
        readme_command(served_project, heading, starts_with), served_project
    ) as server:
        yield server


class TestEachServer:
    """One server per class parameter; the shutdown test runs last on purpose."""

    def test_start_page(self, served: RunningServer) -> None:
        response = httpx.get(served.base_url + "/")
        assert response.status_code == 200
        assert "<h1>mysite is running</h1>" in response.text

    def test_sync_view_runs_outside_the_event_loop(self, served: RunningServer) -> None:
        response = httpx.get(served.base_url + "/checks/sync/")
        assert response.status_code == 200
        assert response.json() == {"view": "sync", "in_event_loop": False}

    def test_async_view_runs_in_the_event_loop(self, served: RunningServer) -> None:
        response = httpx.get(served.base_url + "/checks/async/")
        assert response.status_code == 200
        assert response.json() == {"view": "async", "in_event_loop": True}

    def test_async_view_calling_the_orm_is_refused(self, served: RunningServer) -> None:
        response = httpx.get(served.base_url + "/checks/async-orm/")
        assert response.status_code == 200
        assert response.json() == {"error": "SynchronousOnlyOperation"}

    def test_unknown_path_is_404(self, served: RunningServer) -> None:
        response = httpx.get(served.base_url + "/no-such-page/")
        assert response.status_code == 404

    def test_shutdown_is_clean(self, served: RunningServer) -> None:
        # A single uvicorn process re-raises the SIGTERM it handled once it has shut
        # down, so its parent sees it; the others exit 0. Both are clean.
        assert stop_process(served.process) in (0, -signal.SIGTERM)
        log = served.log()
        assert "Traceback" not in log
        assert "Error" not in log


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_install_line_names_the_installed_server(served_project: Path, server: str) -> None:
    heading, _ = SERVERS[server]
    line = readme_command(served_project, heading, "pip install ")
    result = pip_install_offline(line, served_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install" not in result.stdout


def test_every_server_section_has_install_and_run_lines(served_project: Path) -> None:
    blocks = readme_blocks(served_project)
    for heading, starts_with in SERVERS.values():
        first = blocks[heading][0]
        assert [line.split()[0] for line in first] == ["pip", starts_with.strip()]
        assert "mysite." in first[1]
