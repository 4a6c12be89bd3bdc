"""What a --template, --data, --matrix or version that names nothing usable is told.

One line each, the same in every command that takes it: usage errors exit 2, and
nothing renders (nothing is written) before they are refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.real_templates import cookiecutter_template
from thibaud_cli.cli.app import main

#: Both commands that take a template, with what each needs beside it.
COMMANDS = {
    "startproject": lambda template, out: [
        "startproject",
        "shop",
        str(out),
        "--template",
        template,
    ],
    "validate-template": lambda template, out: ["validate-template", template, "--no-boot"],
}


def _one_line(result: object, code: int) -> str:
    output = str(getattr(result, "output", ""))
    assert getattr(result, "exit_code", None) == code, output
    assert len(output.strip().splitlines()) == 1, output
    assert "Traceback" not in output
    return output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_template_that_does_not_exist_is_a_usage_error_everywhere(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    result = runner.invoke(main, COMMANDS[command](str(tmp_path / "nope"), tmp_path / "out"))
    output = _one_line(result, 2)
    assert "does not exist" in output and "Django-style" in output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_empty_directory_names_both_kinds_of_template(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    (tmp_path / "emptydir").mkdir()
    result = runner.invoke(main, COMMANDS[command](str(tmp_path / "emptydir"), tmp_path / "out"))
    output = _one_line(result, 2)
    assert "is neither a copier template (it has no copier.yml) nor a Django-style one" in output
    assert "a git URL" in output and "an archive" in output
    assert sorted(os.listdir(tmp_path)) == ["emptydir"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_cookiecutter_template_is_told_it_is_not_supported(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    template = cookiecutter_template(tmp_path / "cc")
    result = runner.invoke(main, COMMANDS[command](str(template), tmp_path / "out"))
    output = _one_line(result, 2)
    assert "is a cookiecutter template (cookiecutter.json), which thibaud-admin does not " in (
        output
    )
    assert "a copier template (a directory with a copier.yml, or a git URL)" in output
    assert sorted(os.listdir(tmp_path)) == ["cc"]
