"""The real wheel, installed into a fresh virtual environment, runs startproject."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("thibaud_cli-*.whl")
    return built


def test_the_wheel_ships_the_bundled_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "thibaud_cli/templates/project/copier.yml",
        "thibaud_cli/templates/project/{{ project_name }}/asgi.py.jinja",
        "thibaud_cli/templates/project/manage.py.jinja",
        # The app template startapp renders in a generated project.
        "thibaud_cli/templates/app/apps.py-tpl",
        "thibaud_cli/templates/app/migrations/__init__.py-tpl",
        "thibaud_cli/cli/app.py",
        # The zygote script and the probe it loads by path: never imported, shipped all the same.
        "thibaud_cli/checks/boot_probe.py",
        "thibaud_cli/checks/probe_zygote.py",
    ):
        assert expected in names
    assert not any(name.endswith(".pyc") for name in names)


def test_startproject_from_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    work = tmp_path / "work"
    work.mkdir()
    _names_the_project_depends_on_are_refused(env_dir / "bin", work)
    created = subprocess.run(
        [str(env_dir / "bin" / "thibaud-admin"), "startproject", "mysite"],
        cwd=work,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert created.returncode == 0, created.stderr
    project = work / "mysite"
    assert (project / "mysite" / "asgi.py").is_file()
    answers = yaml.safe_load((project / ".thibaud-answers.yml").read_text())
    assert answers["_template"] == "bundled"
    # Our script replaced the framework's one of the same name.
    version = subprocess.run(
        [str(env_dir / "bin" / "thibaud-admin"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("thibaud-admin ")
    # The closing hint, followed as printed: a venv of the project's own with its
    # dependencies (environs, servestatic...), then Uvicorn serving it.
    hint = created.stdout.split("Serve it: ")[1].splitlines()[0]
    *install, serve = hint.split(" && ")
    assert install[0] == "cd mysite"
    # As in a shell where thibaud-cli's venv is active: its python3 is 3.12.
    path = f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"
    installed = subprocess.run(
        " && ".join(install),
        shell=True,
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
    )
    assert installed.returncode == 0, installed.stderr
    check = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "manage.py", "check"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    import httpx

    from tests.support.servers import free_port, run_server

    port = free_port()
    argv = [*shlex.split(serve), "--host", "127.0.0.1", "--port", str(port)]
    with run_server(argv, cwd=project, port=port) as server:
        assert httpx.get(server.base_url + "/health/live").status_code == 200


def _names_the_project_depends_on_are_refused(bin_dir: Path, work: Path) -> None:
    """With only thibaud-cli installed (the project's dependencies are not, so nothing
    is importable under their names), the names of what the project would depend on,
    for the answers given, are refused before anything is written."""
    cases = [
        ("uvicorn", (), "uvicorn"),
        ("environs", (), "environs"),
        ("psycopg", ("--data", "database=postgresql"), "psycopg"),
    ]
    for name, data, clash in cases:
        refused = _run(str(bin_dir / "thibaud-cli"), "startproject", name, *data, cwd=work)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.count("\n") == 1, refused.stderr
        # Refused for what the project depends on, whether installed here or not.
        assert f"depends on '{clash}'" in refused.stderr or "existing Python module" in (
            refused.stderr
        )
        assert f"'{name}_site'" in refused.stderr or f"'{name}_project'" in refused.stderr
    assert not any(work.iterdir())
    # With SQLite, psycopg is no dependency: the name is free unless importable here.
    importable = _run(
        str(bin_dir / "python"), "-c", "import importlib.util as u; print(u.find_spec('psycopg'))",
        cwd=work,
    ).stdout.strip() != "None"  # fmt: skip
    sqlite = _run(str(bin_dir / "thibaud-cli"), "startproject", "psycopg", "--dry-run", cwd=work)
    assert sqlite.returncode == (2 if importable else 0), sqlite.stderr


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _taken_back_and_restored(bin_dir: Path, work: Path) -> str:
    """Thibaud reinstalled for real over our ``thibaud-admin``; ``thibaud-cli`` says so
    (when run, and in its ``--help``) with a command, which is run as printed and must
    give the name back to us. Returns the printed command."""
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q"]
    reinstall = _run(*pip, "--force-reinstall", "--no-deps", "thibaud==6.0a1", cwd=work)
    assert reinstall.returncode == 0, reinstall.stderr
    # The stock script is back under the name, and knows nothing of our commands...
    stock = _run(str(bin_dir / "thibaud-admin"), "list-asgi-middleware", cwd=work)
    assert stock.returncode != 0
    assert "Unknown command" in stock.stderr
    # ...but `thibaud-cli` is still ours, and says what happened and what to do.
    ours = _run(str(bin_dir / "thibaud-cli"), "list-asgi-middleware", cwd=work)
    assert "No ASGI module found" in ours.stderr  # ours: it ran (outside any project)
    assert f"{bin_dir / 'thibaud-admin'} is Thibaud's own script again" in ours.stderr
    restore = ours.stderr.split("Restore it: ")[1].splitlines()[0]
    helped = _run(str(bin_dir / "thibaud-cli"), "--help", cwd=work)
    assert " ".join(helped.stdout.split()).count(f"Restore it: {restore}") == 1
    # Never the unpublished name: whatever someone published under it would install.
    assert not restore.endswith(" thibaud-cli")
    # Run as printed, with a shell, as the user pastes it.
    restored = subprocess.run(restore, shell=True, cwd=work, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    version = _run(str(bin_dir / "thibaud-admin"), "--version", cwd=work)
    assert version.stdout.startswith("thibaud-admin ")
    listing = _run(str(bin_dir / "thibaud-admin"), "list-asgi-middleware", cwd=work)
    assert "No ASGI module found" in listing.stderr
    assert "Thibaud's own script" not in listing.stderr
    assert (
        "Thibaud's own script" not in _run(str(bin_dir / "thibaud-cli"), "--help", cwd=work).stdout
    )
    return restore


def test_reinstalling_thibaud_leaves_a_way_to_our_commands(wheel: Path, tmp_path: Path) -> None:
    """pip gives ``thibaud-admin`` to whichever package it installed last: after
    Thibaud is reinstalled, ``thibaud-cli`` still runs our commands, says that the
    name was taken back and how to restore it (the wheel it came from, with this
    environment's pip), and the restore works."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    installed = _run(
        str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stderr
    assert _run(str(bin_dir / "thibaud-admin"), "--version", cwd=tmp_path).stdout.startswith(
        "thibaud-admin "
    )
    restore = _taken_back_and_restored(bin_dir, tmp_path)
    assert restore == (f"{bin_dir / 'python'} -m pip install --force-reinstall --no-deps {wheel}")


def test_the_restore_of_a_git_install_names_its_url_and_commit(tmp_path: Path) -> None:
    """Installed from a git URL (as docs/install.md shows), the advice reinstalls that
    URL at the very commit that was installed."""
    repository = tmp_path / "repository"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repository / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repository, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repository, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], cwd=repository, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True, check=True
    ).stdout.strip()
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    url = f"git+{repository.as_uri()}"
    installed = _run(str(bin_dir / "python"), "-m", "pip", "install", "-q", url, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    # Run outside the copy of the checkout, which may hold a project (the README's mysite/).
    work = tmp_path / "work"
    work.mkdir()
    restore = _taken_back_and_restored(bin_dir, work)
    assert restore == (
        f"{bin_dir / 'python'} -m pip install --force-reinstall --no-deps {url}@{commit}"
    )


def test_the_middleware_commands_on_the_frameworks_own_project_from_a_fresh_venv(
    wheel: Path, tmp_path: Path
) -> None:
    """As a user installs: the wheel and a server in a venv, the framework's stock project,
    both kinds of middleware added, served, and taken out again."""
    import httpx

    from tests.support.servers import free_port, run_server

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), "uvicorn"],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            args, cwd=tmp_path / "plain", capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        assert done.returncode == 0, done.stderr
        return done

    (tmp_path / "plain").mkdir()
    run(str(bin_dir / "python"), "-m", "thibaud", "startproject", "plain", ".")
    project = tmp_path / "plain"
    original = {
        name: (project / name).read_bytes() for name in ("plain/asgi.py", "plain/settings.py")
    }
    admin = str(bin_dir / "thibaud-admin")
    proxy = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
    run(admin, "add-asgi-middleware", proxy, "-o", 'trusted_hosts=["127.0.0.1"]')
    run(admin, "add-middleware", "thibaud.middleware.gzip.GZipMiddleware")
    assert run(admin, "list-asgi-middleware").stdout.startswith(f"1. {proxy}")
    (project / "plain" / "probe.py").write_text(
        "from thibaud.http import HttpResponse\n\n\n"
        "def probe(request):\n"
        '    return HttpResponse(request.META["REMOTE_ADDR"] * 100)\n'
    )
    urls = project / "plain" / "urls.py"
    urls.write_text(
        urls.read_text() + "\nfrom plain.probe import probe  # noqa: E402\n\n"
        "urlpatterns += [path('probe/', probe)]\n"
    )
    port = free_port()
    argv = [str(bin_dir / "uvicorn"), "plain.asgi:application", "--port", str(port)]
    argv += ["--no-proxy-headers"]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(project)}
    with run_server(argv, cwd=project, port=port, env=env) as server:
        response = httpx.get(
            server.base_url + "/probe/", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert response.text == "203.0.113.9" * 100  # the ASGI chain
        assert response.headers["content-encoding"] == "gzip"  # the setting
    run(admin, "remove-middleware", "thibaud.middleware.gzip.GZipMiddleware")
    run(admin, "remove-asgi-middleware", proxy)
    assert {name: (project / name).read_bytes() for name in original} == original
    assert not (project / ".thibaud-middleware.yml").exists()
