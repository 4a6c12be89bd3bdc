"""Every variant of the bundled template, for real: rendered with ``startproject``,
installed with ``pip install -e ".[dev]"``, its own tests run, migrated, static files
collected, and served under Uvicorn with the README's production settings, against a
throwaway PostgreSQL 15 and Redis 7 (tests/support/services.py).

One virtual environment serves the whole session: it sees this test run's packages
through a ``.pth`` file (so installing a project downloads nothing and builds only the
project), and each variant is installed into it under a name of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import sysconfig
import time
import venv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.project.test_template_variants import CI_FILE, VARIANTS
from tests.support.cli import BIN_DIR
from tests.support.deploy import readme_blocks, readme_production_env
from tests.support.servers import RunningServer, free_port, run_server
from tests.support.services import (
    PostgresServer,
    RedisServer,
    postgres_server,
    redis_server,
)
from thibaud_cli.operations.startproject import start_project

pytestmark = [pytest.mark.servers, pytest.mark.slow]

#: Every variant this interpreter can install (a project asking for Python 3.13 cannot
#: be installed by 3.12).
SERVED = {name: answers for name, answers in VARIANTS.items() if "python_version" not in answers}
#: The Host a load balancer's probe sends: the instance's own address.
PROBE_HOST = "10.0.0.5:8000"
HOST = "example.com"
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https"}
ADMIN_PASSWORD = "a-long-test-password-0123456789"
COMMAND_TIMEOUT = 180


@dataclass(frozen=True)
class SharedVenv:
    directory: Path

    @property
    def python(self) -> str:
        return str(self.directory / "bin" / "python")

    @property
    def bin_dir(self) -> Path:
        return self.directory / "bin"


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> SharedVenv:
    directory = tmp_path_factory.mktemp("shared-venv") / "venv"
    venv.create(directory, with_pip=True)
    site_packages = Path(
        sysconfig.get_path("purelib", vars={"base": str(directory), "platbase": str(directory)})
    )
    (site_packages / "_test_run_packages.pth").write_text(
        sysconfig.get_path("purelib") + "\n", "utf-8"
    )
    return SharedVenv(directory)


@dataclass
class Services:
    postgres: PostgresServer
    redis: RedisServer


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with postgres_server() as postgres, redis_server() as redis:
        yield Services(postgres, redis)


def clean_env(extra: Mapping[str, str], venv_: SharedVenv) -> dict[str, str]:
    """A shell's environment: no settings module, no PYTHONPATH, the venv first."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("THIBAUD_", "DJANGO_")) and key not in {"PYTHONPATH"}
    }
    env["PATH"] = f"{venv_.bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run(argv: list[str], project: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        argv,
        cwd=project,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


def readme_test_commands(project: Path, venv_: SharedVenv) -> list[list[str]]:
    """The README's "Tests" block, with its ``.venv`` swapped for the shared one.
    The shared venv has no ``pytest`` script of its own (pytest comes from the test
    run's packages), so ``pytest`` runs as ``python -m pytest``."""
    commands = []
    for line in readme_blocks(project)["Tests"][0]:
        argv = shlex.split(line)
        assert argv[0].startswith(".venv/bin/"), line
        tool = argv[0].removeprefix(".venv/bin/")
        if tool == "pytest":
            commands.append([venv_.python, "-m", "pytest", "-p", "no:cacheprovider", *argv[1:]])
        else:
            commands.append([str(venv_.bin_dir / tool), *argv[1:]])
    return commands


@dataclass(frozen=True)
class WorkflowStep:
    name: str
    script: str
    env: dict[str, str]


def ci_workflow_steps(project: Path) -> list[WorkflowStep]:
    """The ``run`` steps of the generated CI workflow, with the job's and the step's
    environment (``uses`` steps, checkout and setup-python, are GitHub's)."""
    workflow = yaml.safe_load((project / CI_FILE).read_text("utf-8"))
    (job,) = workflow["jobs"].values()
    job_env = {key: str(value) for key, value in job.get("env", {}).items()}
    return [
        WorkflowStep(
            name=step.get("name", step["run"]),
            script=step["run"],
            env={**job_env, **{key: str(value) for key, value in step.get("env", {}).items()}},
        )
        for step in job["steps"]
        if "run" in step
    ]


def generate(root: Path, variant: str) -> tuple[str, Path]:
    name = "site_" + re.sub(r"\W", "_", variant)
    project = root / name
    start_project(name, project, data=SERVED[variant])
    return name, project


def backing_env(services: Services, name: str, answers: Mapping[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    if answers.get("database") == "postgresql":
        env["DATABASE_URL"] = services.postgres.create_database(name)
    if answers.get("cache") == "redis":
        env["REDIS_URL"] = services.redis.url
    return env


def serve(
    name: str, project: Path, env: Mapping[str, str]
) -> contextlib.AbstractContextManager[RunningServer]:
    """Uvicorn from the shared venv, as the README runs it, on a free port."""
    port = free_port()
    argv = [
        str(Path(env["PATH"].split(os.pathsep)[0]) / "python"),
        "-m",
        "uvicorn",
        f"{name}.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return run_server(argv, cwd=project, port=port, env=env, ready_path="/health/live", timeout=60)


def log_in(server: RunningServer) -> str:
    """Log in to the admin over the TLS proxy's (forwarded) HTTPS; the session cookie."""
    with httpx.Client(base_url=server.base_url, headers=HTTPS) as client:
        page = client.get("/admin/login/")
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        # The cookies are Secure: httpx would not send them over this plain connection.
        csrf_cookie = page.cookies["csrftoken"]
        response = client.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "admin",
                "password": ADMIN_PASSWORD,
            },
            headers={"Origin": f"https://{HOST}", "Cookie": f"csrftoken={csrf_cookie}"},
        )
        assert response.status_code == 302, response.text
        assert response.headers["location"] == "/admin/"
        session = response.cookies["sessionid"]
        admin = client.get("/admin/", headers={"Cookie": f"sessionid={session}"})
        assert admin.status_code == 200
        assert "Log out" in admin.text or "logout" in admin.text
    return session


@pytest.mark.parametrize("variant", SERVED)
def test_variant_installs_passes_its_tests_migrates_and_serves(
    variant: str,
    shared_venv: SharedVenv,
    services: Services,
    tmp_path: Path,
) -> None:
    answers = SERVED[variant]
    name, project = generate(tmp_path, variant)
    backing = backing_env(services, name, answers)

    if answers.get("ci") == "none":
        # The README's "Tests" block: the dev extra installs, the project's tests pass.
        for argv in readme_test_commands(project, shared_venv):
            result = run(argv, project, clean_env(backing, shared_venv))
        assert " passed" in result.stdout and "failed" not in result.stdout
    else:
        # The CI workflow, step by step: install, lint, the project's tests,
        # makemigrations --check, check --deploy. Only the services' addresses differ.
        steps = ci_workflow_steps(project)
        for step in steps:
            env = clean_env({**step.env, **backing}, shared_venv)
            # ruff and pytest come from this test run (the shared venv sees its packages).
            env["PATH"] = f"{shared_venv.bin_dir}{os.pathsep}{BIN_DIR}{os.pathsep}{env['PATH']}"
            run(["bash", "-e", "-c", step.script], project, env)
        ran = "\n".join(step.script for step in steps)
        assert "pytest" in ran and "check --deploy" in ran and "makemigrations --check" in ran

    production = {**readme_production_env(project), **backing}
    env = clean_env(production, shared_venv)
    python = shared_venv.python
    run([python, "manage.py", "migrate", "--noinput"], project, env)
    run([python, "manage.py", "collectstatic", "--noinput"], project, env)
    run(
        [python, "manage.py", "createsuperuser", "--noinput", "--username", "admin"],
        project,
        {
            **env,
            "THIBAUD_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
            "THIBAUD_SUPERUSER_EMAIL": "admin@example.com",
        },
    )
    run([python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], project, env)

    with serve(name, project, env) as server:
        probe = {"Host": PROBE_HOST}
        live = httpx.get(server.base_url + "/health/live", headers=probe)
        ready = httpx.get(server.base_url + "/health/ready", headers=probe)
        unknown_host = httpx.get(server.base_url + "/", headers=probe)
        plain_http = httpx.get(server.base_url + "/", headers={"Host": HOST})
        start_page = httpx.get(server.base_url + "/", headers=HTTPS)
        css = httpx.get(server.base_url + "/static/admin/css/base.css", headers=HTTPS)
        session = log_in(server)

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}
    assert unknown_host.status_code == 400
    assert plain_http.status_code == 301
    assert start_page.status_code == 200 and f"{name} is running" in start_page.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    # Sessions live where every instance sees them: in Redis with the Redis cache,
    # in the database otherwise.
    if answers.get("cache") == "redis":
        import redis

        keys = redis.Redis.from_url(services.redis.url).keys(f"*sessions.cache{session}")
        assert len(keys) == 1
    else:
        count = run(
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from thibaud.contrib.sessions.models import Session;"
                f" print(Session.objects.filter(session_key={session!r}).count())",
            ],
            project,
            env,
        )
        assert count.stdout.strip() == "1"


def test_ready_turns_503_naming_the_dependency_that_stops(
    shared_venv: SharedVenv, tmp_path: Path
) -> None:
    """Services of its own: it stops them under the served project."""
    with postgres_server() as postgres, redis_server() as redis_:
        own = Services(postgres, redis_)
        name, project = generate(tmp_path, "postgresql-redis")
        env = clean_env(
            {
                **readme_production_env(project),
                **backing_env(own, name, SERVED["postgresql-redis"]),
            },
            shared_venv,
        )
        env["DATABASE_POOL_TIMEOUT"] = "2"
        run([shared_venv.python, "manage.py", "migrate", "--noinput"], project, env)
        with serve(name, project, env) as server:

            def probe(path: str) -> httpx.Response:
                return httpx.get(server.base_url + path, headers={"Host": PROBE_HOST}, timeout=30)

            assert probe("/health/ready").status_code == 200

            redis_.stop()
            ready = probe("/health/ready")
            assert ready.status_code == 503
            assert ready.json()["failed"] == ["cache"]
            assert probe("/health/live").status_code == 200
            redis_.start()
            assert probe("/health/ready").status_code == 200

            postgres.stop()
            ready = probe("/health/ready")
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "unavailable",
                "failed": ["database"],
                "checks": {"database": "failed", "cache": "ok"},
            }
            assert probe("/health/live").status_code == 200
            postgres.start()
            deadline = time.monotonic() + 30
            while probe("/health/ready").status_code != 200:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.5)
        # Nothing about the failures reached a client: the log has them.
        assert "Readiness check 'database' failed" in server.log()
        assert json.loads(ready.text)["checks"]["database"] == "failed"


def test_pip_install_keeps_working_after_startapp_and_collectstatic(
    shared_venv: SharedVenv, tmp_path: Path
) -> None:
    name, project = generate(tmp_path, "defaults")
    env = clean_env({}, shared_venv)
    pip = str(shared_venv.bin_dir / "pip")
    run([shared_venv.python, "manage.py", "startapp", "blog"], project, env)
    run([shared_venv.python, "manage.py", "collectstatic", "--noinput"], project, env)
    assert (project / "staticfiles" / "admin").is_dir()
    run([pip, "install", "-e", "."], project, env)
    # Installed, not merely importable from the project directory: both packages.
    imported = run(
        [shared_venv.python, "-c", f"import blog, {name}; print(blog.__file__)"], tmp_path, env
    )
    assert imported.stdout.strip() == str(project / "blog" / "__init__.py")


def test_wsgi_serves_the_probes_and_the_static_files(
    shared_venv: SharedVenv, tmp_path: Path
) -> None:
    """wsgi.py wraps the application as asgi.py does, here under Gunicorn."""
    name, project = generate(tmp_path, "defaults")
    env = clean_env(readme_production_env(project), shared_venv)
    run([shared_venv.python, "manage.py", "migrate", "--noinput"], project, env)
    run([shared_venv.python, "manage.py", "collectstatic", "--noinput"], project, env)
    manifest = json.loads((project / "staticfiles" / "staticfiles.json").read_text("utf-8"))
    hashed = manifest["paths"]["admin/css/base.css"]
    port = free_port()
    argv = [
        shared_venv.python,
        "-m",
        "gunicorn",
        f"{name}.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with run_server(argv, cwd=project, port=port, env=env, ready_path="/health/live") as server:
        probe = {"Host": PROBE_HOST}
        live = httpx.get(server.base_url + "/health/live", headers=probe)
        ready = httpx.get(server.base_url + "/health/ready", headers=probe)
        unknown_host = httpx.get(server.base_url + "/", headers=probe)
        css = httpx.get(server.base_url + "/static/" + hashed, headers=HTTPS)
    assert live.status_code == 200
    assert ready.status_code == 200, ready.text
    assert unknown_host.status_code == 400
    assert css.status_code == 200
    assert css.headers["cache-control"] == "max-age=315360000, public, immutable"
