"""``thibaud-admin help``: our commands beside Thibaud's, each described, typos caught.

Each behaviour is checked in-process (CliRunner) and through ``python -m thibaud_cli``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from thibaud_cli.cli import main

OURS = sorted(name for name, command in main.commands.items() if not command.hidden)
TYPOS = [
    ("add-asgi-midleware", "add-asgi-middleware"),
    ("validate-templat", "validate-template"),
    ("startprojet", "startproject"),
    ("migrat", "migrate"),
    ("makemigration", "makemigrations"),
]


@pytest.fixture(autouse=True)
def _outside_any_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THIBAUD_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)


def _python_m(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _sections(help_text: str) -> dict[str, list[str]]:
    """``[group]`` -> its command names, from Thibaud's main help layout."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in help_text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif line.startswith("    ") and current is not None:
            current.append(line.strip())
        else:
            current = None
    return sections


def _assert_lists_ours_then_thibauds(help_text: str) -> None:
    sections = _sections(help_text)
    assert list(sections)[0] == "thibaud-admin"
    assert sections["thibaud-admin"] == OURS
    for command in ("startapp", "runserver", "migrate", "check", "shell"):
        assert command in sections["thibaud"]
    assert help_text.index("Available subcommands:") < help_text.index("[thibaud-admin]")


def test_help_lists_our_commands_beside_thibauds(runner: CliRunner) -> None:
    result = runner.invoke(main, ["help"], prog_name="thibaud-admin")
    assert result.exit_code == 0, result.output
    assert "Type 'thibaud-admin help <subcommand>'" in result.stdout
    _assert_lists_ours_then_thibauds(result.stdout)


def test_help_lists_our_commands_beside_thibauds_from_python_dash_m(tmp_path: Path) -> None:
    completed = _python_m("thibaud_cli", "help", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    _assert_lists_ours_then_thibauds(completed.stdout)


def test_help_commands_lists_every_name_once(runner: CliRunner) -> None:
    result = runner.invoke(main, ["help", "--commands"])
    assert result.exit_code == 0, result.output
    names = result.stdout.split()
    assert names == sorted(set(names))
    assert set(OURS) <= set(names)
    assert {"migrate", "startapp"} <= set(names)


@pytest.mark.parametrize("command", OURS)
def test_help_on_one_of_our_commands_is_its_own_help(runner: CliRunner, command: str) -> None:
    via_help = runner.invoke(main, ["help", command], prog_name="thibaud-admin")
    via_option = runner.invoke(main, [command, "--help"], prog_name="thibaud-admin")
    assert via_help.exit_code == 0, via_help.output
    assert via_help.stdout.startswith(f"Usage: thibaud-admin {command} [OPTIONS]")
    assert via_help.stdout == via_option.stdout


def test_help_on_one_of_our_commands_from_python_dash_m(tmp_path: Path) -> None:
    via_help = _python_m("thibaud_cli", "help", "startproject", cwd=tmp_path)
    via_option = _python_m("thibaud_cli", "startproject", "--help", cwd=tmp_path)
    assert via_help.returncode == 0, via_help.stderr
    assert "Create a Thibaud project NAME" in via_help.stdout
    assert via_help.stdout == via_option.stdout


def test_help_on_a_thibaud_command_is_thibauds(runner: CliRunner) -> None:
    result = runner.invoke(main, ["help", "startapp"], prog_name="thibaud-admin")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("usage: thibaud-admin startapp")
    assert "Creates a Thibaud app directory structure" in result.stdout


def test_help_on_a_thibaud_command_from_python_dash_m_in_a_project(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    completed = _python_m("thibaud_cli", "help", "migrate", cwd=project)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: thibaud-admin migrate")
    assert "Updates database schema" in completed.stdout


@pytest.mark.parametrize("prefix", [[], ["help"]], ids=["command", "help"])
@pytest.mark.parametrize(("typo", "meant"), TYPOS)
def test_a_typo_suggests_the_closest_command(
    runner: CliRunner, prefix: list[str], typo: str, meant: str
) -> None:
    result = runner.invoke(main, [*prefix, typo], prog_name="thibaud-admin")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"Unknown command: '{typo}'. Did you mean {meant}?\nType 'thibaud-admin help' for usage.\n"
    )


@pytest.mark.parametrize(("typo", "meant"), [TYPOS[0], TYPOS[3]])
def test_a_typo_from_python_dash_m(tmp_path: Path, typo: str, meant: str) -> None:
    completed = _python_m("thibaud_cli", typo, cwd=tmp_path)
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr == (
        "No Thibaud settings specified.\n"
        f"Unknown command: '{typo}'. Did you mean {meant}?\n"
        "Type 'thibaud-admin help' for usage.\n"
    )


def test_a_typo_is_reported_in_the_shape_stock_thibaud_uses(tmp_path: Path) -> None:
    ours = _python_m("thibaud_cli", "migrat", cwd=tmp_path)
    stock = _python_m("thibaud", "migrat", cwd=tmp_path)
    assert (ours.returncode, ours.stdout) == (stock.returncode, stock.stdout) == (1, "")
    assert ours.stderr == stock.stderr.replace("python -m thibaud", "thibaud-admin")


def test_an_unknown_command_with_nothing_close_gets_no_suggestion(runner: CliRunner) -> None:
    result = runner.invoke(main, ["nosuchcommand"], prog_name="thibaud-admin")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Unknown command: 'nosuchcommand'\nType 'thibaud-admin help' for usage.\n"
    )
