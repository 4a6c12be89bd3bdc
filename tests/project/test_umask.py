"""Every file and directory startproject writes honours the user's umask, whatever the
template: an executable template file stays executable, within the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree

CUSTOM_COPIER = {
    "copier.yml": "_templates_suffix: .jinja\n",
    "manage.py.jinja": "# {{ project_name }}\n",
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/settings.py.jinja": "SECRET_KEY = '{{ secret_key }}'\n",
}
DJANGO_STYLE = {
    "manage.py-tpl": "# {{ project_name }}\n",
    "project_name/__init__.py-tpl": "",
    "project_name/settings.py-tpl": "SECRET_KEY = '{{ secret_key }}'\n",
}
#: umask -> (mode of manage.py, of settings.py, of each directory)
EXPECTED = {0o077: (0o700, 0o600, 0o700), 0o022: (0o755, 0o644, 0o755)}


def _template(kind: str, root: Path) -> list[str]:
    if kind == "bundled":
        return []
    template = build_file_tree(root, CUSTOM_COPIER if kind == "copier" else DJANGO_STYLE)
    manage = next(template.glob("manage.py*"))
    manage.chmod(0o755)
    for path in template.rglob("*"):
        if path.is_file() and path != manage:
            path.chmod(0o644)
    return ["--template", str(template)]


def _modes(project: Path) -> dict[str, int]:
    modes = {}
    for dirpath, dirnames, filenames in os.walk(project):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            modes[path.relative_to(project).as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    modes["."] = stat.S_IMODE(project.stat().st_mode)
    return modes


@pytest.mark.parametrize("kind", ["bundled", "copier", "django-style"])
@pytest.mark.parametrize("umask", sorted(EXPECTED))
@pytest.mark.parametrize("into_existing", [False, True])
def test_startproject_honours_the_umask(
    tmp_path: Path, kind: str, umask: int, into_existing: bool
) -> None:
    args = _template(kind, tmp_path / "template")
    work = tmp_path / "work"
    work.mkdir()
    destination = ["target"] if into_existing else []
    if into_existing:
        (work / "target").mkdir(mode=0o700)
    done = run_cli("startproject", "proj", *destination, *args, cwd=work, module=True, umask=umask)
    assert done.returncode == 0, done.stderr
    manage_mode, file_mode, dir_mode = EXPECTED[umask]
    modes = _modes(work / ("target" if into_existing else "proj"))
    if into_existing:
        del modes["."]  # the user's own directory: not ours to change
    assert modes.pop("manage.py") == manage_mode
    # The deploy scripts are executable in the template too: they stay so, within the umask.
    for script in ("deploy/serve.sh", "deploy/release.sh"):
        if script in modes:  # the bundled template's
            assert modes.pop(script) == manage_mode
    assert modes.pop("proj/settings.py") == file_mode
    for path, mode in modes.items():
        is_dir = (work / ("target" if into_existing else "proj") / path).is_dir()
        assert mode == (dir_mode if is_dir else file_mode), path
