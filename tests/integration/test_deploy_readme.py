"""Issue 3, items 4 and 6: the READMEs' commands, run as a reader would run them.

- thibaud-cli's README: its first command ends with the new project answering on
  127.0.0.1:8000 under uvicorn (here on a free port; the rest is the README's text).
- The generated project's README: "Run it locally" in a fresh virtual environment, and
  every command it shows is one the deployment tests run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.integration import (
    test_deploy_proxy_static,
    test_deploy_servers,
)
from tests.support.deploy import (
    on_port,
    readme_blocks,
    readme_command,
)
from tests.support.servers import free_port, run_server
from thibaud_cli.operations.startproject import start_project

REPOSITORY = Path(__file__).resolve().parents[2]
START_PAGE_HEADING = "<h1>mysite is running</h1>"


def clean_environment() -> dict[str, str]:
    """This process's environment without a settings module: what a new shell has."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }


def first_command() -> str:
    blocks = readme_blocks(REPOSITORY)
    first_heading = next(iter(blocks))
    return blocks[first_heading][0][0]


@pytest.mark.servers
@pytest.mark.slow
def test_readme_first_command_ends_with_the_project_on_port_8000(tmp_path: Path) -> None:
    """The README's first command, step by step, in a fresh virtual environment: only
    where it runs differs (the clone is REPOSITORY, the project goes into tmp_path),
    `python3` is this test's interpreter, and the port is a free one."""
    steps = first_command().split(" && ")
    assert steps[:2] == ["python3 -m venv .venv", ".venv/bin/pip install ."]
    assert steps[-1].endswith("--host 127.0.0.1 --port 8000")
    env = clean_environment()
    for step, command in (
        (0, [sys.executable, "-m", "venv", ".venv"]),
        (1, [".venv/bin/pip", "install", "-q", str(REPOSITORY)]),
    ):
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{steps[step]}\n{done.stdout}{done.stderr}"
    port = free_port()
    script = " && ".join([*steps[2:-1], on_port(steps[-1], port)])
    with run_server(
        ["bash", "-c", script], cwd=tmp_path, port=port, env=env, timeout=300
    ) as server:
        response = httpx.get(server.base_url + "/")
    assert response.status_code == 200
    assert START_PAGE_HEADING in response.text
    assert (tmp_path / "mysite" / "mysite" / "asgi.py").is_file()


def test_readme_test_command_installs_the_servers() -> None:
    """The README's test command runs nox, whose tests session installs ``.[test]``,
    which pulls in every server the deployment tests start."""
    blocks = readme_blocks(REPOSITORY)
    test_command = blocks[next(iter(blocks))][1][0]
    assert test_command.endswith("&& .venv/bin/nox")
    assert '"-e", ".[test]"' in (REPOSITORY / "noxfile.py").read_text("utf-8")
    extras = tomllib.loads((REPOSITORY / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    assert "thibaud-cli[servers]" in extras["test"]
    names = {requirement.split(">")[0].split("=")[0] for requirement in extras["servers"]}
    assert names == {"uvicorn", "hypercorn", "daphne", "gunicorn", "uvicorn-worker"}


@pytest.mark.servers
@pytest.mark.slow
def test_generated_readme_run_it_locally(tmp_path: Path) -> None:
    """The generated README's first block in a new virtual environment (pip installs the
    project and its dependencies), then an edit picked up by ``--reload``."""
    project = tmp_path / "mysite"
    start_project("mysite", project)
    venv, install, migrate, serve = readme_blocks(project)["Run it locally"][0]
    # `python` is this test run's interpreter (Python 3.12+, as the project requires).
    env = {**clean_environment(), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for line in (venv, install, migrate):
        result = _run(line, project, env)
        assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"
    assert (project / "db.sqlite3").is_file()
    port = free_port()
    with run_server(on_port(serve, port).split(), cwd=project, port=port, env=env) as server:
        assert START_PAGE_HEADING in httpx.get(server.base_url + "/").text
        # DEBUG is on: the admin's static files are served under uvicorn too.
        assert httpx.get(server.base_url + "/static/admin/css/base.css").status_code == 200
        views = project / "mysite" / "views.py"
        views.write_text(views.read_text("utf-8").replace("is running", "is reloaded"), "utf-8")
        deadline = time.monotonic() + 30
        while "is reloaded" not in _get_or_empty(server.base_url + "/"):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.5)
            # The reloader records each file's mtime on its first pass; an edit made
            # before that pass (a busy machine) is its baseline, not a change. Touching
            # the file again makes it a change for any reloader that has started.
            os.utime(views)


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        line.split(), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _get_or_empty(url: str) -> str:
    # The server restarts while reloading: a refused connection just means "not yet".
    try:
        return httpx.get(url).text
    except httpx.TransportError:
        return ""


def test_every_command_of_the_generated_readme_is_run_by_a_test(tmp_path: Path) -> None:
    project = tmp_path / "mysite"
    start_project("mysite", project)
    blocks = readme_blocks(project)
    shown = {line for lines in blocks.values() for block in lines for line in block}
    run: set[str] = set()
    run.update(blocks["Run it locally"][0])  # test_generated_readme_run_it_locally
    run.update(blocks["Production settings"][0])  # test_deploy_settings
    run.add(readme_command(project, "The settings module", "THIBAUD_SETTINGS_MODULE="))
    for heading, starts_with in test_deploy_servers.SERVERS.values():
        run.add(readme_command(project, heading, "pip install "))
        run.add(readme_command(project, heading, starts_with))
    for heading, _ in test_deploy_proxy_static.PROXY_LINES.values():
        run.update(blocks[heading][1])
    run.update(blocks["Static files"][0])
    run.update(blocks["Tests"][0])  # test_production_stack: the generated project's tests
    # Docker is not installed where the tests run: the Dockerfile and compose.yaml are
    # linted and validated instead (test_production_stack), their commands not run.
    run.update(blocks["Docker"][0])
    run.add(readme_command(project, "ASGI middleware", "uvicorn "))  # test_deploy_embedding
    # test_scale_out: the release step, and the instances it starts (on free ports).
    run.update(line for block in blocks["Scaling out"] for line in block)
    assert shown - run == set()
