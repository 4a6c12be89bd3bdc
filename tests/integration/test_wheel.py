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
        "thibaud_cli/cli.py",
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
    # The project's own dependencies (environs, dj-database-url, servestatic...), as
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
