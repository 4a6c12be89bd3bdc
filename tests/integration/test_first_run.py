"""The first hour of a new user, in a fresh virtual environment holding only
``pip install <this repository>`` and two servers (Uvicorn, Gunicorn): never the test
extras, never the project's own install.

There, the default project must migrate, check, answer under ``runserver``, Uvicorn and
Gunicorn, and pass its own tests; ``validate-template`` of the bundled template must
pass its default variants, and every variant with ``--install`` (from local wheels, no
index); and a project whose answers need a driver the environment lacks (psycopg for
PostgreSQL, redis for Redis) must stop every command and server with one line naming
the command that installs it, never a traceback.

The environment is built once for the module (it is the slow part); each test starts
from its own copy of nothing but the project it generates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port, run_server, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.servers]
REPO = Path(__file__).resolve().parents[2]
PSYCOPG_LINE = (
    "The PostgreSQL database (DATABASE_URL) needs psycopg, which is not installed: "
    'pip install "psycopg[binary,pool]"'
)
REDIS_LINE = "The Redis cache (REDIS_URL) needs redis, which is not installed: pip install redis"


@dataclass(frozen=True)
class PlainEnvironment:
    """A virtual environment with thibaud-cli, Uvicorn and Gunicorn, and nothing else."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self) -> dict[str, str]:
        """What a shell with this environment activated passes on: no settings module,
        no PYTHONPATH, the test run's own interpreter nowhere on PATH."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
            and not key.startswith(("PYTEST_", "VIRTUAL_ENV"))
        }
        env["PATH"] = f"{self.bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
        env["VIRTUAL_ENV"] = str(self.root)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def run(self, *argv: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        program = str(self.bin / argv[0]) if (self.bin / argv[0]).exists() else argv[0]
        return subprocess.run(
            [program, *argv[1:]],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def startproject(self, directory: Path, name: str, *data: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        answers = [part for answer in data for part in ("--data", answer)]
        created = self.run("thibaud-admin", "startproject", name, *answers, cwd=directory)
        assert created.returncode == 0, created.stderr
        return directory / name


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> PlainEnvironment:
    root = tmp_path_factory.mktemp("plain") / "venv"
    venv.create(root, with_pip=True)
    environment = PlainEnvironment(root)
    installed = environment.run(
        "python", "-m", "pip", "install", "-q", str(REPO), "uvicorn", "gunicorn", cwd=REPO
    )
    assert installed.returncode == 0, installed.stderr
    return environment


def test_the_environment_holds_no_driver_and_no_django(plain: PlainEnvironment) -> None:
    """What the rest of the module relies on: the drivers are really missing, and no
    dependency brought Django in."""
    probe = (
        "import importlib.util as u; "
        "print(*[m for m in ('psycopg', 'redis', 'dj_database_url', 'django', 'pytest') "
        "if u.find_spec(m)])"
    )
    found = plain.run("python", "-c", probe, cwd=plain.root)
    assert (found.returncode, found.stdout.strip()) == (0, "")


@pytest.fixture(scope="module")
def default_project(plain: PlainEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = plain.startproject(tmp_path_factory.mktemp("default"), "mysite")
    migrated = plain.run("python", "manage.py", "migrate", "--noinput", cwd=project)
    assert migrated.returncode == 0, migrated.stderr
    return project


def test_the_default_project_migrates_and_checks(
    plain: PlainEnvironment, default_project: Path
) -> None:
    assert (default_project / "db.sqlite3").is_file()
    checked = plain.run("python", "manage.py", "check", cwd=default_project)
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout
    forwarded = plain.run("thibaud-admin", "check", cwd=default_project)
    assert forwarded.returncode == 0, forwarded.stderr


def serve(plain: PlainEnvironment, project: Path, argv: list[str], port: int) -> dict[str, int]:
    """Status of the start page, the readiness probe and an admin stylesheet."""
    with run_server(argv, cwd=project, port=port, env=plain.env()) as server:
        start = httpx.get(server.base_url + "/")
        ready = httpx.get(server.base_url + "/health/ready")
        css = httpx.get(server.base_url + "/static/admin/css/base.css")
    assert "<h1>mysite is running</h1>" in start.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}
    return {"/": start.status_code, "ready": ready.status_code, "css": css.status_code}


SERVERS = {
    "runserver": lambda bin_dir, port: [
        str(bin_dir / "python"), "manage.py", "runserver", f"127.0.0.1:{port}"
    ],
    "uvicorn": lambda bin_dir, port: [
        str(bin_dir / "uvicorn"), "mysite.asgi:application", "--port", str(port)
    ],
    "gunicorn": lambda bin_dir, port: [
        str(bin_dir / "gunicorn"), "mysite.wsgi:application", "-b", f"127.0.0.1:{port}"
    ],
}  # fmt: skip


@pytest.mark.parametrize("server", SERVERS)
def test_the_default_project_serves(
    plain: PlainEnvironment, default_project: Path, server: str
) -> None:
    port = free_port()
    statuses = serve(plain, default_project, SERVERS[server](plain.bin, port), port)
    assert statuses == {"/": 200, "ready": 200, "css": 200}


def test_validate_template_on_the_bundled_template(plain: PlainEnvironment, tmp_path: Path) -> None:
    """The default variants pass; the PostgreSQL and Redis ones, whose drivers are not
    installed here, fail with the one line that says what to install (``--install``
    gives each variant its declared dependencies)."""
    validated = plain.run("thibaud-admin", "validate-template", "--format", "json", cwd=tmp_path)
    assert validated.returncode == 1, validated.stderr
    checks = {
        variant["name"]: {check["name"]: check for check in variant["checks"]}
        for variant in json.loads(validated.stdout)["variants"]
    }
    assert len(checks) == 7
    for name, variant in checks.items():
        needs = [
            line
            for answer, line in (("postgresql", PSYCOPG_LINE), ("redis", REDIS_LINE))
            if answer in name
        ]
        if not needs:
            assert {check["status"] for check in variant.values()} == {"passed"}, name
        else:
            expected = f"settings module mysite.settings exits: {needs[0]}"
            assert (variant["settings"]["status"], variant["settings"]["message"]) == (
                "failed",
                expected,
            )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the bundled template's variants declare, as wheels: validate-template
    --install builds their environments from them, offline."""
    directory = tmp_path_factory.mktemp("wheels")
    requirements = ["Thibaud", "uvicorn", "environs", "servestatic"]
    requirements += ["psycopg[binary,pool]", "redis"]
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(directory), *requirements],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert downloaded.returncode == 0, downloaded.stderr
    return directory


def test_validate_template_install_passes_every_variant(
    plain: PlainEnvironment, tmp_path: Path, wheels: Path
) -> None:
    """With --install, each variant boots in an environment with its declared
    dependencies (the drivers included), built by uv from local wheels; the venv itself
    is left as it was."""
    env = {
        **plain.env(),
        "THIBAUD_CLI_CACHE_DIR": str(tmp_path / "cache"),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    validated = subprocess.run(
        [str(plain.bin / "thibaud-admin"), "validate-template", "--format", "json"]
        + ["--install", "--find-links", str(wheels), "--no-index"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    failed = {
        (variant["name"], check["name"]): check["message"][:300]
        for variant in json.loads(validated.stdout)["variants"]
        for check in variant["checks"]
        if check["status"] != "passed"
    }
    assert (validated.returncode, failed) == (0, {}), validated.stderr


@pytest.fixture(scope="module")
def driver_projects(
    plain: PlainEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("drivers")
    return {
        "postgresql": plain.startproject(root / "pg", "mysite", "database=postgresql"),
        "redis": plain.startproject(root / "redis", "mysite", "cache=redis"),
    }


LINES = {"postgresql": PSYCOPG_LINE, "redis": REDIS_LINE}


@pytest.mark.parametrize("answer", LINES)
@pytest.mark.parametrize(
    "command",
    [
        ("python", "manage.py", "check"),
        ("python", "manage.py", "migrate", "--noinput"),
        ("thibaud-admin", "check"),
        ("thibaud-admin", "migrate"),
    ],
    ids=" ".join,
)
def test_a_missing_driver_is_one_line(
    plain: PlainEnvironment, driver_projects: dict[str, Path], answer: str, command: tuple[str]
) -> None:
    done = plain.run(*command, cwd=driver_projects[answer])
    assert (done.returncode, done.stderr, done.stdout) == (1, LINES[answer] + "\n", "")


def test_a_postgres_database_url_needs_psycopg_too(
    plain: PlainEnvironment, default_project: Path, tmp_path: Path
) -> None:
    env = {**plain.env(), "DATABASE_URL": "postgres://u:p@127.0.0.1:1/mysite"}
    done = subprocess.run(
        [str(plain.bin / "python"), "manage.py", "migrate"],
        cwd=default_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, PSYCOPG_LINE + "\n")


@pytest.fixture
def exited(plain: PlainEnvironment) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process(process)


@pytest.mark.parametrize("answer", LINES)
@pytest.mark.parametrize("server", ["uvicorn", "gunicorn"])
def test_a_server_stops_at_once_with_the_line(
    plain: PlainEnvironment,
    driver_projects: dict[str, Path],
    exited: list[subprocess.Popen[bytes]],
    answer: str,
    server: str,
    tmp_path: Path,
) -> None:
    """Uvicorn exits 1 with the line alone. Gunicorn's worker exits with Gunicorn's
    "application failed to load" status, so that its master stops too (exit 4) instead
    of starting a worker that fails the same way, for ever."""
    port = free_port()
    argv = SERVERS[server](plain.bin, port)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=driver_projects[answer],
            env=plain.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    exited.append(process)
    code = process.wait(timeout=60)
    output = log.read_text("utf-8")
    assert "Traceback" not in output
    assert output.count(LINES[answer]) == 1, output
    if server == "uvicorn":
        assert (code, output) == (1, LINES[answer] + "\n")
    else:
        assert code == 4
        assert "Reason: App failed to load." in output


def test_the_default_projects_own_tests_pass(
    plain: PlainEnvironment, default_project: Path
) -> None:
    """Last, as it installs pytest (the project's `dev` extra has it; the project itself
    stays uninstalled)."""
    installed = plain.run("python", "-m", "pip", "install", "-q", "pytest", cwd=default_project)
    assert installed.returncode == 0, installed.stderr
    tested = plain.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=default_project
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout
