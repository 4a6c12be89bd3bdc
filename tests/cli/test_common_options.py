"""Thibaud's common command options on our commands, run as the real ``thibaud-admin``.

``--version``, ``-v/--verbosity``, ``--settings``, ``--pythonpath``, ``--traceback``,
``--no-color`` and ``--force-color``: every Thibaud command takes them, so scripts
written for the stock ``startproject`` pass them; each of our commands takes them too
(``thibaud_cli.cli.common``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree, git_commit_all
from thibaud_cli.cli import main
from thibaud_cli.cli.common import ThibaudCommand

BIN = Path(sys.executable).parent
#: Our commands: the ones that declare the common options.
OURS = sorted(
    name for name, command in main.commands.items() if isinstance(command, ThibaudCommand)
)
COMMON = ["--version", "--verbosity", "--settings", "--pythonpath", "--traceback", "--no-color"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
#: Each command's required arguments, so that the command line is otherwise valid.
ARGUMENTS = {
    "startproject": ["mysite"],
    "add-asgi-middleware": [PROXY],
    "remove-asgi-middleware": [PROXY],
    "add-middleware": ["thibaud.middleware.gzip.GZipMiddleware"],
    "remove-middleware": ["thibaud.middleware.gzip.GZipMiddleware"],
    "merge-reports": ["report.json"],
}
BROKEN_TEMPLATE = {
    "copier.yml": "project_name:\n  type: str\n",
    "{{ project_name }}/settings.py.jinja": "x = {{ project_name \n",
}


def test_our_commands_all_declare_them() -> None:
    assert OURS == [
        "add-asgi-middleware",
        "add-middleware",
        "list-asgi-middleware",
        "list-middleware",
        "merge-reports",
        "regenerate-asgi",
        "remove-asgi-middleware",
        "remove-middleware",
        "startproject",
        "update",
        "validate-template",
    ]


@pytest.mark.parametrize("command", OURS)
def test_every_command_accepts_all_of_them(command: str, tmp_path: Path) -> None:
    # --version is eager: it answers once the whole command line has parsed, so an
    # option a command did not accept would be refused first.
    completed = run_cli(
        command,
        "-v",
        "0",
        "--settings",
        "mysite.settings",
        "--pythonpath",
        str(tmp_path),
        "--traceback",
        "--no-color",
        "--version",
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("thibaud-admin ")
    assert "(Thibaud " in completed.stdout
    completed = run_cli(command, "--verbosity=3", "--force-color", "--version", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("command", OURS)
def test_help_lists_them(command: str, tmp_path: Path) -> None:
    for help_args in ([command, "--help"], ["help", command]):
        completed = run_cli(*help_args, cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
        for option in [*COMMON, "--force-color"]:
            assert option in completed.stdout
        assert "-v, --verbosity [0|1|2|3]" in completed.stdout
        # Last, as Thibaud lists them: after the command's own options.
        assert completed.stdout.index("--verbosity") > completed.stdout.index("Options:")


@pytest.mark.parametrize("command", OURS)
def test_no_color_with_force_color_is_a_usage_error(command: str, tmp_path: Path) -> None:
    arguments = ARGUMENTS.get(command, [])
    completed = run_cli(command, "--no-color", "--force-color", *arguments, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "Error: The --no-color and --force-color options can't be used together.\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", OURS)
@pytest.mark.parametrize("level", ["4", "-1", "loud"])
def test_an_invalid_verbosity_is_a_usage_error(command: str, level: str, tmp_path: Path) -> None:
    completed = run_cli(command, "-v", level, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""
    errors = [line for line in completed.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: Invalid value for '-v' / '--verbosity': '{level}' is not one of "
        "'0', '1', '2', '3'."
    ]


def test_verbosity_0_prints_nothing_on_success(tmp_path: Path) -> None:
    completed = run_cli("startproject", "-v", "0", "mysite", cwd=tmp_path)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
    assert (tmp_path / "mysite" / "manage.py").is_file()


def test_verbosity_0_still_prints_what_was_asked_for(tmp_path: Path) -> None:
    completed = run_cli("startproject", "--dry-run", "-v", "0", "mysite", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Would create project 'mysite' in mysite:\n")
    assert "  manage.py\n" in completed.stdout


def test_verbosity_1_is_the_default(tmp_path: Path) -> None:
    default = run_cli("startproject", "one", cwd=tmp_path)
    explicit = run_cli("startproject", "-v", "1", "two", cwd=tmp_path)
    assert default.returncode == explicit.returncode == 0
    assert default.stdout.replace("one", "NAME") == explicit.stdout.replace("two", "NAME")
    assert "Creating" not in default.stdout


@pytest.mark.parametrize("level", ["2", "3"])
def test_verbosity_2_lists_each_file_written(level: str, tmp_path: Path) -> None:
    completed = run_cli("startproject", "mysite", "--verbosity", level, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    created = [line.removeprefix("Creating ") for line in lines if line.startswith("Creating ")]
    written = sorted(
        str(path.relative_to(tmp_path))
        for path in (tmp_path / "mysite").rglob("*")
        if path.is_file()
    )
    assert sorted(created) == written
    assert "mysite/manage.py" in created
    assert lines[len(created)].startswith("Created project 'mysite' in mysite (")


def test_verbosity_2_lists_the_files_of_a_django_style_template(tmp_path: Path) -> None:
    template = build_file_tree(
        tmp_path / "classic",
        {"manage.py-tpl": "# {{ project_name }}\n", "project_name/__init__.py-tpl": ""},
    )
    completed = run_cli(
        "startproject", "--template", str(template), "-v", "2", "web", "out", cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[:2] == [
        "Creating out/manage.py",
        "Creating out/web/__init__.py",
    ]


def test_traceback_shows_the_stack_of_a_failure(tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "broken", BROKEN_TEMPLATE)
    plain = run_cli("startproject", "--template", str(template), "mysite", cwd=tmp_path)
    assert plain.returncode == 1
    assert plain.stderr.startswith("Error: {{ project_name }}/settings.py.jinja:1: Jinja syntax")
    assert len(plain.stderr.splitlines()) == 1
    assert "Traceback" not in plain.stderr

    traced = run_cli(
        "startproject", "--template", str(template), "mysite", "--traceback", cwd=tmp_path
    )
    assert traced.returncode == 1
    assert traced.stdout == ""
    assert traced.stderr.startswith("Traceback (most recent call last):\n")
    assert 'thibaud_cli/operations/startproject.py", line' in traced.stderr
    last = traced.stderr.splitlines()[-1]
    assert last.startswith(
        "thibaud_cli.errors.TemplateError: {{ project_name }}/settings.py.jinja:1:"
    )
    assert not (tmp_path / "mysite").exists()


def test_traceback_keeps_a_usage_error_exit_code(tmp_path: Path) -> None:
    completed = run_cli("startproject", "--traceback", "os", cwd=tmp_path)
    assert completed.returncode == 2
    assert "Traceback (most recent call last):" in completed.stderr
    assert completed.stderr.splitlines()[-1].startswith(
        "thibaud_cli.errors.InvalidProjectName: 'os' conflicts with the name of an existing"
    )


def test_force_color_colours_an_error_even_in_a_pipe(tmp_path: Path) -> None:
    args = ("startproject", "os")
    piped = run_cli(*args, cwd=tmp_path)
    forced = run_cli(*args, "--force-color", cwd=tmp_path)
    plain = run_cli(*args, "--no-color", cwd=tmp_path)
    assert piped.returncode == forced.returncode == plain.returncode == 2
    assert not ANSI.search(piped.stderr)
    assert not ANSI.search(plain.stderr)
    assert "\x1b[31m" in forced.stderr
    assert ANSI.sub("", forced.stderr) == piped.stderr == plain.stderr


def test_pythonpath_modules_take_a_name(tmp_path: Path) -> None:
    library = build_file_tree(tmp_path / "lib", {"inventory.py": "", "billing/__init__.py": ""})
    work = tmp_path / "work"
    work.mkdir()
    for name in ("inventory", "billing"):
        taken = run_cli("startproject", "--pythonpath", str(library), name, cwd=work)
        assert taken.returncode == 2
        assert f"'{name}' conflicts with the name of an existing Python module" in taken.stderr
        assert not (work / name).exists()
    # Without --pythonpath that directory is nowhere the project imports from.
    free = run_cli("startproject", "-v", "0", "inventory", cwd=work)
    assert (free.returncode, free.stderr) == (0, "")


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--settings=bad_settings"], {}), ([], {"THIBAUD_SETTINGS_MODULE": "bad_settings"})],
    ids=["option", "environment"],
)
def test_settings_that_do_not_import_are_no_matter(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    # As Thibaud's startproject, which needs no settings (ThibaudAdminNoSettings.
    # test_commands_with_invalid_settings): it renders with its own.
    completed = run_cli("startproject", *args, "mysite", cwd=tmp_path, env=env)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "mysite" / "manage.py").is_file()
    classic = run_cli(
        "startproject", *args, "--template", _stock_template(), "other", cwd=tmp_path, env=env
    )
    assert classic.returncode == 0, classic.stderr
    assert (tmp_path / "other" / "manage.py").is_file()


def _stock_template() -> str:
    import thibaud

    return str(Path(thibaud.__file__).parent / "conf" / "project_template")


def test_middleware_commands_at_each_verbosity(project: Path) -> None:
    args = ("--no-verify", "--project-dir", str(project))
    quiet = run_cli("add-asgi-middleware", PROXY, "-v", "0", *args, cwd=project)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert "ProxyHeadersMiddleware(application)" in (project / "mysite" / "asgi.py").read_text()

    listed = run_cli("list-asgi-middleware", "-v", "0", "--project-dir", str(project), cwd=project)
    # The listing is what the command is for: it is printed at every verbosity.
    assert listed.returncode == 0
    assert "ProxyHeadersMiddleware" in listed.stdout

    removed = run_cli(
        "remove-asgi-middleware", PROXY, "-v", "2", "--project-dir", str(project), cwd=project
    )
    assert removed.returncode == 0, removed.stderr
    first, *diff = removed.stdout.splitlines()
    assert first == f"Removed {PROXY} from mysite/asgi.py."
    assert diff[:2] == ["--- a/mysite/asgi.py", "+++ b/mysite/asgi.py"]
    assert any(line.startswith("-") and "ProxyHeadersMiddleware" in line for line in diff)

    regenerated = run_cli("regenerate-asgi", "-v", "0", "--project-dir", str(project), cwd=project)
    assert (regenerated.returncode, regenerated.stdout) == (0, "")


def test_update_at_verbosity_0(project: Path) -> None:
    completed = run_cli("update", "-v", "0", "--project-dir", str(project), cwd=project)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
    # --check's report is what was asked for.
    checked = run_cli("update", "--check", "-v", "0", "--project-dir", str(project), cwd=project)
    assert (checked.returncode, checked.stdout) == (0, "Up to date: template version 3.\n")


def test_settings_reach_the_middleware_import_check(project: Path) -> None:
    # A middleware whose module needs particular settings to import (as one reading
    # thibaud.conf.settings at import time does).
    (project / "needs_settings.py").write_text(
        "import os\n"
        "if os.environ['THIBAUD_SETTINGS_MODULE'] != 'mysite.settings_staging':\n"
        "    raise ImportError('not the staging settings')\n"
        "class Middleware:\n"
        "    def __init__(self, app):\n"
        "        self.app = app\n"
    )
    args = ("add-asgi-middleware", "needs_settings:Middleware", "--project-dir", str(project))
    refused = run_cli(*args, cwd=project)
    assert refused.returncode != 0
    assert "not the staging settings" in refused.stderr
    accepted = run_cli(*args, "--settings", "mysite.settings_staging", cwd=project)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == "Added needs_settings:Middleware to mysite/asgi.py.\n"


@pytest.mark.parametrize("level", ["0", "1", "2"])
def test_update_at_each_verbosity(level: str, tmp_path: Path) -> None:
    from thibaud_cli.operations.startproject import start_project

    v1 = {"copier.yml": "project_name:\n  type: str\n", "README.md.jinja": "# {{ project_name }}\n"}
    template = build_file_tree(tmp_path / "template", v1)
    git_commit_all(template, "v1", tag="v1")
    project = tmp_path / "blog"
    start_project("blog", project, template=str(template))
    git_commit_all(project, "generated at v1")
    build_file_tree(template, {"README.md.jinja": "# {{ project_name }}\n\nNews.\n"})
    git_commit_all(template, "v2", tag="v2")

    completed = run_cli("update", "-v", level, "--project-dir", str(project), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert (project / "README.md").read_text() == "# blog\n\nNews.\n"
    summary = "Updated from template version v1 to v2:\n  updated   README.md\n"
    diff = "--- a/README.md\n+++ b/README.md\n@@ -1 +1,3 @@\n # blog\n+\n+News.\n"
    expected = {"0": "", "1": summary, "2": summary + diff}[level]
    assert completed.stdout == expected
