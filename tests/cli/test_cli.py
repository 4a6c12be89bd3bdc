"""The command line itself: help, version, forwarding to Thibaud, fast start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.support.cli import run_cli
from thibaud_cli.cli import app as cli
from thibaud_cli.cli import main

BIN = Path(sys.executable).parent
HEAVY_MODULES = ("copier", "jinja2", "thibaud", "yaml", "pydantic")


def test_help_lists_our_commands_and_mentions_thibauds(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in (
        "startproject",
        "add-asgi-middleware",
        "remove-asgi-middleware",
        "list-asgi-middleware",
        "regenerate-asgi",
    ):
        assert command in result.output
    assert "thibaud-cli help" in result.output
    # Which name to type where (a project's venv has Thibaud's thibaud-admin).
    note = " ".join(result.output.split())
    assert "type thibaud-cli for these commands (install it with pipx or 'uv tool install'" in note
    assert "_THIBAUD_ADMIN_COMPLETE" in result.output


def test_version_shows_ours_and_thibauds(runner: CliRunner) -> None:
    from importlib.metadata import version

    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert f"thibaud-admin {version('thibaud-cli')}" in result.output
    assert f"Thibaud {version('Thibaud')}" in result.output


def test_python_dash_m_is_the_same_program(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path, module=True)
    assert result.returncode == 0
    assert result.stdout == run_cli("--version", cwd=tmp_path).stdout
    usage = run_cli("--help", cwd=tmp_path, module=True)
    assert usage.stdout.startswith("Usage: thibaud-admin")


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["startproject", "--help"], ["--version"]],
)
def test_start_imports_nothing_heavy(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        "from thibaud_cli.cli import main\n"
        f"try:\n    main({argv!r}, prog_name='thibaud-admin')\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_shell_completion_works_and_imports_nothing_heavy() -> None:
    probe = (
        "import os, sys\n"
        "os.environ.update(_THIBAUD_ADMIN_COMPLETE='bash_complete',\n"
        "                  COMP_WORDS='thibaud-admin st', COMP_CWORD='1')\n"
        "from thibaud_cli.cli import main\n"
        "try:\n    main(prog_name='thibaud-admin')\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "plain,startproject" in lines
    assert lines[-1] == "HEAVY="


def test_bash_completion_script_is_provided() -> None:
    result = subprocess.run(
        [str(BIN / "thibaud-admin")],
        env={**os.environ, "_THIBAUD_ADMIN_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "complete -o nosort -F _thibaud_admin_completion thibaud-admin" in result.stdout


def test_help_is_forwarded_to_thibaud(tmp_path: Path) -> None:
    result = run_cli("help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("startapp", "runserver", "migrate", "check", "shell"):
        assert command in result.stdout


def test_startapp_and_check_are_forwarded_inside_a_project(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    created = run_cli("startapp", "blog", cwd=project)
    assert created.returncode == 0, created.stderr
    assert (project / "blog" / "apps.py").is_file()
    assert "class BlogConfig" in (project / "blog" / "apps.py").read_text()
    check = run_cli("check", cwd=project)
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout


def test_forwarded_commands_keep_their_arguments_and_exit_code(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    # A failing system check: a view path that does not exist.
    settings = project / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + '\nROOT_URLCONF = "mysite.nowhere"\n')
    failing = run_cli("check", "--settings", "mysite.settings", "--pythonpath", ".", cwd=project)
    assert failing.returncode == 1
    assert "mysite.nowhere" in failing.stderr
    unknown = run_cli("nosuchcommand", cwd=project)
    assert unknown.returncode == 1
    assert "Unknown command: 'nosuchcommand'" in unknown.stderr
    own_help = run_cli("startapp", "--help", cwd=project)
    assert own_help.returncode == 0
    assert "Creates a Thibaud app directory structure" in own_help.stdout


def test_named_settings_import_from_the_project_root_as_the_default_does(make_project) -> None:  # type: ignore[no-untyped-def]
    """At a project's root, ``--settings mysite.settings`` (or the variable exported)
    finds the project as plain ``check`` does: manage.py's directory is on sys.path."""
    project = make_project()
    named = run_cli("check", "--settings", "mysite.settings", cwd=project)
    assert named.returncode == 0, named.stderr
    assert "System check identified no issues" in named.stdout
    exported = run_cli("check", cwd=project, env={"THIBAUD_SETTINGS_MODULE": "mysite.settings"})
    assert exported.returncode == 0, exported.stderr


def test_forwarding_uses_the_environment_settings_over_the_project_default(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    (project / "mysite" / "other_settings.py").write_text(
        "from .settings import *  # noqa: F403\nINSTALLED_APPS = ['thibaud.contrib.nosuchapp']\n"
    )
    result = run_cli(
        "check",
        cwd=project,
        env={"THIBAUD_SETTINGS_MODULE": "mysite.other_settings", "PYTHONPATH": str(project)},
    )
    assert result.returncode == 1
    assert "nosuchapp" in result.stderr


def test_an_unexpected_error_says_how_to_report_it(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("thibaud_cli.operations.startproject.start_project", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    result = runner.invoke(main, ["startproject", "mysite"])
    assert result.exit_code == 1
    assert "unexpected internal error (RuntimeError: boom)" in result.output
    assert cli.ISSUES_URL in result.output
    assert "Traceback" not in result.output
    (log,) = tmp_path.glob("thibaud-admin-error-*.log")
    assert str(log) in result.output
    assert "RuntimeError: boom" in log.read_text()
    assert log.stat().st_mode & 0o077 == 0


def test_public_surface_is_what_we_meant() -> None:
    import thibaud_cli

    assert sorted(thibaud_cli.__all__) == [
        "ChainListing",
        "CheckResult",
        "EntryPointChange",
        "StartedProject",
        "ThibaudCliError",
        "UpdatePlan",
        "UpdateResult",
        "UsageError",
        "ValidationReport",
        "VariantResult",
        "add_asgi_middleware",
        "check_for_update",
        "list_asgi_middleware",
        "regenerate_asgi",
        "remove_asgi_middleware",
        "start_project",
        "update_project",
        "validate_template",
    ]
    for name in thibaud_cli.__all__:
        assert getattr(thibaud_cli, name).__module__.startswith("thibaud_cli.")


def test_the_command_delegates_to_the_library(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []

    def recording(name: str, directory: Path | None, **kwargs: object) -> object:
        calls.append((name, directory, kwargs))
        from thibaud_cli.operations.startproject import StartedProject

        return StartedProject(name=name, directory=directory or Path(name), files=(), dry_run=True)

    monkeypatch.setattr("thibaud_cli.operations.startproject.start_project", recording)
    result = runner.invoke(
        main, ["startproject", "shop", str(tmp_path), "--data", "a=b", "--dry-run", "--trust"]
    )
    assert result.exit_code == 0, result.output
    # The template's messages go to the command's output.
    assert callable(calls[0][2].pop("on_message"))
    assert calls == [
        (
            "shop",
            tmp_path,
            {
                "template": None,
                "data": {"a": "b"},
                "dry_run": True,
                "trust": True,
                "interactive": False,  # CliRunner's streams are no terminal
                "vcs_ref": None,
                "skip_tasks": False,
                "python_path": (),
            },
        )
    ]


@pytest.mark.parametrize(
    ("terminal", "args", "interactive"),
    [(True, [], True), (True, ["--defaults"], False), (False, [], False)],
)
def test_the_command_asks_questions_only_on_a_terminal_without_defaults(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    terminal: bool,
    args: list[str],
    interactive: bool,
) -> None:
    calls: list[object] = []

    def recording(name: str, directory: Path | None, **kwargs: object) -> object:
        calls.append(kwargs["interactive"])
        from thibaud_cli.operations.startproject import StartedProject

        return StartedProject(name=name, directory=Path(name), files=(), dry_run=True)

    monkeypatch.setattr("thibaud_cli.operations.startproject.start_project", recording)
    monkeypatch.setattr("thibaud_cli.cli.startproject._on_a_terminal", lambda: terminal)
    result = runner.invoke(main, ["startproject", "shop", *args])
    assert result.exit_code == 0, result.output
    assert calls == [interactive]


def test_django_settings_module_is_honoured_by_forwarded_commands(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    (project / "mysite" / "tokyo.py").write_text(
        'from .settings import *  # noqa: F403\nTIME_ZONE = "Asia/Tokyo"\n'
    )
    env = {"DJANGO_SETTINGS_MODULE": "mysite.tokyo", "PYTHONPATH": str(project)}
    result = run_cli("diffsettings", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert "TIME_ZONE = 'Asia/Tokyo'" in result.stdout
    # THIBAUD_SETTINGS_MODULE, when set too, wins.
    both = run_cli(
        "diffsettings", cwd=project, env={**env, "THIBAUD_SETTINGS_MODULE": "mysite.settings"}
    )
    assert "Asia/Tokyo" not in both.stdout


def test_a_forwarded_commands_own_error_is_not_reported_as_ours(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    result = run_cli("shell", "-c", "1/0", cwd=project)
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr
    assert "internal error" not in result.stderr + result.stdout
    assert cli.ISSUES_URL not in result.stderr + result.stdout


def _options_named(name: str) -> dict[str, click.Option]:
    """Every command's option *name*, by command."""
    found = {}
    for command_name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and name in param.opts:
                found[command_name] = param
    return found


@pytest.mark.parametrize(
    ("name", "commands"),
    [
        ("--trust", 7),
        ("--project-dir", 8),
        ("--dry-run", 7),
        ("--asgi-module", 7),
        ("--data", 3),
        ("--format", 3),
    ],
)
def test_a_shared_option_is_declared_once(name: str, commands: int) -> None:
    options = _options_named(name)
    assert len(options) == commands
    # Where the help differs, it is only in what the command does instead (--dry-run)
    # or with what the rest is answered (--data): the declaration is the same.
    declarations = {
        (option.is_flag, option.multiple, option.metavar, option.name, str(option.default))
        for option in options.values()
    }
    assert len(declarations) == 1
    if name in ("--trust", "--project-dir", "--asgi-module"):
        assert len({option.help for option in options.values()}) == 1


def test_the_server_choices_are_the_servers_validate_template_runs(runner: CliRunner) -> None:
    from thibaud_cli.checks.server import SERVERS

    usage = runner.invoke(main, ["validate-template", "--help"])
    assert usage.exit_code == 0
    assert f"--server [{'|'.join(SERVERS)}]" in usage.output
    refused = runner.invoke(main, ["validate-template", "--server", "gunicorn"])
    assert refused.exit_code == 2
    assert f"'gunicorn' is not one of {', '.join(map(repr, SERVERS))}." in refused.output
