"""The real wheel, installed into a fresh virtual environment, runs startproject."""

from __future__ import annotations

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
    # The project's own dependencies (environs, servestatic...), as
    # its README installs them.
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-e", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    check = subprocess.run(
        [str(python), "manage.py", "check"], cwd=project, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_reinstalling_thibaud_leaves_a_way_to_our_commands(wheel: Path, tmp_path: Path) -> None:
    """pip gives ``thibaud-admin`` to whichever package it installed last: after
    Thibaud is reinstalled, ``thibaud-cli`` still runs our commands, says that the
    name was taken back and how to restore it, and the restore works."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )

    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q"]
    assert run(*pip, str(wheel)).returncode == 0
    assert run(str(bin_dir / "thibaud-admin"), "--version").stdout.startswith("thibaud-admin ")
    reinstall = run(*pip, "--force-reinstall", "--no-deps", "thibaud==6.0a1")
    assert reinstall.returncode == 0, reinstall.stderr
    # The stock script is back under the name, and knows nothing of our commands...
    stock = run(str(bin_dir / "thibaud-admin"), "list-asgi-middleware")
    assert stock.returncode != 0
    assert "Unknown command" in stock.stderr
    # ...but `thibaud-cli` is still ours, and says what happened and what to do.
    ours = run(str(bin_dir / "thibaud-cli"), "list-asgi-middleware")
    assert "No ASGI module found" in ours.stderr  # ours: it ran (outside any project)
    assert f"{bin_dir / 'thibaud-admin'} is Thibaud's own script again" in ours.stderr
    restore = ours.stderr.split("Restore it: ")[1].splitlines()[0]
    assert restore == "pip install --force-reinstall --no-deps thibaud-cli"
    # The restore, as printed (from the wheel here: thibaud-cli is not on PyPI yet).
    assert run(*pip, "--force-reinstall", "--no-deps", str(wheel)).returncode == 0
    restored = run(str(bin_dir / "thibaud-admin"), "list-asgi-middleware")
    assert "No ASGI module found" in restored.stderr
    assert "Thibaud's own script" not in restored.stderr
    assert "Thibaud's own script" not in run(str(bin_dir / "thibaud-cli"), "--help").stderr


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
