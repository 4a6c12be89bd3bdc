"""Issue 3, item 4: the generated README's "behind a proxy" and "static files" commands,
run as written (only the port differs) against the real servers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.deploy import (
    generate_project,
    readme_blocks,
    readme_command,
    readme_production_env,
    run_readme_line,
    serve_readme_command,
)

pytestmark = pytest.mark.servers

# What the proxy in front says about the client it received the request from.
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}

#: server id -> (README heading, how its proxy-aware run line starts)
PROXY_LINES = {
    "uvicorn": ("Uvicorn", "uvicorn "),
    "hypercorn": ("Hypercorn", "hypercorn "),
    "daphne": ("Daphne", "daphne "),
    "gunicorn-uvicorn-worker": ("Gunicorn with the Uvicorn worker", "gunicorn "),
}


@pytest.mark.parametrize("server", sorted(PROXY_LINES))
def test_behind_a_proxy_the_client_address_and_scheme_come_through(
    tmp_path: Path, server: str
) -> None:
    project = generate_project(tmp_path)
    heading, starts_with = PROXY_LINES[server]
    proxy_block = readme_blocks(project)[heading][1]
    # Setup lines (Hypercorn's middleware) run first, as a reader would.
    for line in proxy_block:
        if not line.startswith(starts_with):
            result = run_readme_line(line, project)
            assert result.returncode == 0, result.stdout + result.stderr
    line = readme_command(project, heading, starts_with, block=1)
    with serve_readme_command(line, project) as running:
        whoami = httpx.get(running.base_url + "/checks/whoami/", headers=FORWARDED).json()
    assert whoami["remote_addr"] == "203.0.113.7"
    assert whoami["secure"] is True


def test_daphne_without_proxy_headers_ignores_them(tmp_path: Path) -> None:
    """The control for the test above: the README's proxy line is what makes the difference."""
    project = generate_project(tmp_path)
    with serve_readme_command(readme_command(project, "Daphne", "daphne "), project) as running:
        whoami = httpx.get(running.base_url + "/checks/whoami/", headers=FORWARDED).json()
    assert whoami["remote_addr"] == "127.0.0.1"
    assert whoami["secure"] is False


def test_static_files_are_served_by_servestatic_in_production(tmp_path: Path) -> None:
    project = generate_project(tmp_path)
    production_env = readme_production_env(project)
    (collect,) = readme_blocks(project)["Static files"][0]
    assert collect == "python manage.py collectstatic --noinput"
    collected = run_readme_line(collect, project, env=production_env)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((project / "staticfiles" / "staticfiles.json").read_text("utf-8"))
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"

    line = readme_command(project, "Uvicorn", "uvicorn ")
    with serve_readme_command(line, project, env=production_env) as running:
        response = httpx.get(running.base_url + "/static/admin/css/base.css")
        hashed_response = httpx.get(running.base_url + "/static/" + hashed)
        start_page = httpx.get(running.base_url + "/", headers={"Host": "example.com", **FORWARDED})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.content == (project / "staticfiles/admin/css/base.css").read_bytes()
    assert "immutable" not in response.headers.get("cache-control", "")
    assert hashed_response.status_code == 200
    assert hashed_response.headers["cache-control"] == "max-age=315360000, public, immutable"
    assert start_page.status_code == 200


def test_without_collectstatic_static_files_are_not_served_in_production(tmp_path: Path) -> None:
    """The control for the test above: with DEBUG off, nothing is served from the apps
    themselves; only what collectstatic gathered."""
    project = generate_project(tmp_path)
    production_env = readme_production_env(project)
    line = readme_command(project, "Uvicorn", "uvicorn ")
    with serve_readme_command(line, project, env=production_env) as running:
        response = httpx.get(
            running.base_url + "/static/admin/css/base.css",
            headers={"Host": "example.com", **FORWARDED},
        )
    assert response.status_code == 404
