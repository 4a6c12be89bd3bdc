"""Issue 3, items 2 and 3: the settings module comes from the environment the way the
seed page says (with Django's variable name honoured), and the generated settings are
production-ready once the README's production variables are set."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.deploy import (
    generate_project,
    readme_blocks,
    readme_command,
    readme_production_env,
    run_until_exit,
    serve_readme_command,
)
from tests.support.servers import RunningServer, free_port, project_env, run_server

pytestmark = pytest.mark.servers

SECOND_SETTINGS = "from .settings import *  # noqa: F403\n"
DEFAULT = "mysite.settings"
SECOND = "mysite.settings_production"
OTHER = "mysite.settings_other"


@pytest.fixture(scope="module")
def served_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = generate_project(tmp_path_factory.mktemp("deploy-settings"))
    for module in (SECOND, OTHER):
        (directory / (module.replace(".", "/") + ".py")).write_text(SECOND_SETTINGS, "utf-8")
    return directory


def settings_module_served(served_project: Path, argv: list[str], env: dict[str, str]) -> str:
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in argv]
    with run_server(
        argv, cwd=served_project, port=port, env=project_env(served_project, env)
    ) as server:
        module = httpx.get(server.base_url + "/checks/whoami/").json()["settings_module"]
    return str(module)


ENTRY_POINTS = {
    "asgi.py under uvicorn": [
        "uvicorn",
        "mysite.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ],
    "wsgi.py under gunicorn": ["gunicorn", "mysite.wsgi:application", "--bind", "127.0.0.1:{port}"],
}

# (environment, the settings module Thibaud must load)
ENVIRONMENTS = {
    "neither": ({}, DEFAULT),
    "THIBAUD_SETTINGS_MODULE": ({"THIBAUD_SETTINGS_MODULE": SECOND}, SECOND),
    "DJANGO_SETTINGS_MODULE": ({"DJANGO_SETTINGS_MODULE": SECOND}, SECOND),
    "both, THIBAUD wins": (
        {"THIBAUD_SETTINGS_MODULE": SECOND, "DJANGO_SETTINGS_MODULE": OTHER},
        SECOND,
    ),
}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_servers_load_the_settings_module_from_the_environment(
    served_project: Path, entry_point: str, environment: str
) -> None:
    env, expected = ENVIRONMENTS[environment]
    assert settings_module_served(served_project, ENTRY_POINTS[entry_point], env) == expected


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_manage_py_loads_the_settings_module_from_the_environment(
    served_project: Path, environment: str
) -> None:
    env, expected = ENVIRONMENTS[environment]
    result = subprocess.run(
        [
            "python",
            "manage.py",
            "shell",
            "-c",
            "from thibaud.conf import settings; print(settings.SETTINGS_MODULE)",
        ],
        cwd=served_project,
        env=project_env(served_project, env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_readme_settings_line_serves_the_second_settings_module(served_project: Path) -> None:
    line = readme_command(served_project, "The settings module", "THIBAUD_SETTINGS_MODULE=")
    with serve_readme_command(line, served_project) as server:
        whoami = httpx.get(server.base_url + "/checks/whoami/").json()
    assert whoami["settings_module"] == SECOND


@pytest.mark.parametrize("variable", ["THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE"])
@pytest.mark.parametrize(
    "argv",
    [
        ["uvicorn", "mysite.asgi:application", "--port", "{port}"],
        ["gunicorn", "mysite.wsgi:application", "--bind", "127.0.0.1:{port}"],
        ["python", "manage.py", "check"],
    ],
    ids=["uvicorn", "gunicorn", "manage.py"],
)
def test_a_wrong_settings_module_stops_at_startup_with_thibauds_error(
    served_project: Path, variable: str, argv: list[str]
) -> None:
    argv = [part.replace("{port}", str(free_port())) for part in argv]
    exited = run_until_exit(
        argv, served_project, project_env(served_project, {variable: "mysite.nope"})
    )
    assert exited.returncode != 0
    assert "No module named 'mysite.nope'" in exited.output


# Production settings


@pytest.fixture(scope="module")
def production_env(served_project: Path) -> dict[str, str]:
    return readme_production_env(served_project)


def test_readme_production_block_passes_check_deploy(served_project: Path) -> None:
    block = readme_blocks(served_project)["Production settings"][0]
    assert block[-1] == "python manage.py check --deploy"
    result = subprocess.run(
        ["bash", "-c", "\n".join(["set -e", *block])],
        cwd=served_project,
        env=project_env(served_project),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_development_defaults_do_not_pass_check_deploy(served_project: Path) -> None:
    """The control for the test above: check --deploy does warn without the variables."""
    result = subprocess.run(
        ["python", "manage.py", "check", "--deploy"],
        cwd=served_project,
        env=project_env(served_project),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


@pytest.mark.parametrize("key", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_production_without_a_secret_key_stops_at_startup(
    served_project: Path, production_env: dict[str, str], key: str | None
) -> None:
    env = {**production_env, "THIBAUD_SECRET_KEY": key or ""}
    if key is None:
        env.pop("THIBAUD_SECRET_KEY")
    exited = run_until_exit(
        ["uvicorn", "mysite.asgi:application", "--port", str(free_port())],
        served_project,
        project_env(served_project, env),
    )
    assert exited.returncode == 1
    # One line, no traceback.
    assert exited.output.startswith("THIBAUD_DEBUG is off but THIBAUD_SECRET_KEY is not set")
    assert exited.output.count("\n") == 1 and "Traceback" not in exited.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [("THIBAUD_DEBUG", "maybe"), ("THIBAUD_SECURE_HSTS_SECONDS", "one year")],
)
def test_an_unreadable_value_names_the_variable(
    served_project: Path, variable: str, value: str
) -> None:
    result = subprocess.run(
        ["python", "manage.py", "check"],
        cwd=served_project,
        env=project_env(served_project, {variable: value}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    # environs' error (a ValueError) names the variable it could not read.
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        f'environs.exceptions.EnvValidationError: Environment variable "{variable}" invalid: '
    )


def test_behind_a_tls_proxy_thibaud_trusts_x_forwarded_proto(served_project: Path) -> None:
    """For a server that leaves the scheme alone (Daphne without --proxy-headers)."""
    line = readme_command(served_project, "Daphne", "daphne ")
    headers = {"X-Forwarded-Proto": "https"}
    with serve_readme_command(
        line, served_project, env={"THIBAUD_BEHIND_TLS_PROXY": "1"}
    ) as server:
        behind = httpx.get(server.base_url + "/checks/whoami/", headers=headers).json()
    with serve_readme_command(line, served_project) as server:
        direct = httpx.get(server.base_url + "/checks/whoami/", headers=headers).json()
    assert behind["secure"] is True
    assert direct["secure"] is False


HOST = "example.com"


@pytest.fixture(scope="class")
def server(served_project: Path, production_env: dict[str, str]) -> Iterator[RunningServer]:
    line = readme_command(served_project, "Uvicorn", "uvicorn ")
    with serve_readme_command(line, served_project, env=production_env, host_header=HOST) as server:
        yield server


class TestProductionUnderUvicorn:
    """The README's Uvicorn line with the README's production variables."""

    @staticmethod
    def get(server: RunningServer, path: str, host: str = HOST) -> httpx.Response:
        # Uvicorn trusts X-Forwarded-Proto from 127.0.0.1: this is the TLS proxy's request.
        headers = {"Host": host, "X-Forwarded-Proto": "https"}
        return httpx.get(server.base_url + path, headers=headers)

    def test_debug_is_off(self, server: RunningServer) -> None:
        assert self.get(server, "/checks/whoami/").json()["debug"] is False

    def test_start_page_is_served_over_https_with_hsts(self, server: RunningServer) -> None:
        response = self.get(server, "/")
        assert response.status_code == 200
        assert "<h1>mysite is running</h1>" in response.text
        hsts = response.headers["strict-transport-security"]
        assert hsts == "max-age=31536000; includeSubDomains; preload"

    def test_plain_http_is_redirected_to_https(self, server: RunningServer) -> None:
        response = httpx.get(server.base_url + "/", headers={"Host": HOST})
        assert response.status_code == 301
        assert response.headers["location"] == f"https://{HOST}/"

    def test_a_bad_host_gets_400_and_is_not_echoed(self, server: RunningServer) -> None:
        response = self.get(server, "/", host="attacker.example")
        assert response.status_code == 400
        assert "attacker.example" not in response.text
        assert "ALLOWED_HOSTS" not in response.text

    def test_404_page_reveals_no_urls(self, server: RunningServer) -> None:
        response = self.get(server, "/no-such-page/")
        assert response.status_code == 404
        for revealing in ("checks/", "admin/", "URLconf", "no-such-page", "mysite"):
            assert revealing not in response.text

    def test_500_page_reveals_nothing(
        self, server: RunningServer, production_env: dict[str, str]
    ) -> None:
        response = self.get(server, "/checks/boom/")
        assert response.status_code == 500
        for revealing in (
            "boom-detail",
            production_env["THIBAUD_SECRET_KEY"],
            "Traceback",
            "RuntimeError",
            "checks.py",
            "THIBAUD_",
        ):
            assert revealing not in response.text
