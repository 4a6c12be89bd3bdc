"""What a --template, --data, --matrix or version that names nothing usable is told.

One line each, the same in every command that takes it: usage errors exit 2, and
nothing renders (nothing is written) before they are refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.real_templates import cookiecutter_template, django_like_template
from tests.support.trees import git_commit_all, tree_snapshot
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


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A copier template shaped like the published Django ones, ported, in a git
    repository with one release tag: its ``database`` question offers sqlite and postgres."""
    built = django_like_template(tmp_path / "template")
    git_commit_all(built, "First release", tag="1.0")
    return built


def test_a_misspelt_data_key_is_refused_by_validate_template_as_by_startproject(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    for command in (
        ["validate-template", str(template), "--no-boot"],
        ["startproject", "shop", str(tmp_path / "out"), "--template", str(template)],
    ):
        result = runner.invoke(main, [*command, "--data", "databse=postgres"])
        output = _one_line(result, 2)
        assert "--data databse: the template asks no such question (its questions: " in output
        assert "Did you mean 'database'?" in output
    assert sorted(os.listdir(tmp_path)) == ["template"]


def test_a_misspelt_key_in_a_matrix_file_is_refused_before_anything_renders(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    matrix = tmp_path / "matrix.json"
    matrix.write_text('[{"database": "postgres"}, {"databse": "postgres"}]')
    for listing in ((), ("--list-variants", "--format", "github-matrix")):
        result = runner.invoke(
            main, ["validate-template", str(template), "--matrix", str(matrix), *listing]
        )
        output = _one_line(result, 2)
        assert f"--matrix {matrix}: entry 2: databse: the template asks no such question" in (
            output
        )
        assert "Did you mean 'database'?" in output


def test_an_answer_the_template_refuses_is_refused_once_before_the_variants(
    runner: CliRunner, template: Path
) -> None:
    result = runner.invoke(
        main, ["validate-template", str(template), "--no-boot", "--data", "database=mysql"]
    )
    output = _one_line(result, 2)
    assert "'database'" in output and "'mysql'" in output
    # A yes/no question's answer too.
    result = runner.invoke(
        main, ["validate-template", str(template), "--no-boot", "--data", "use_celery=maybe"]
    )
    assert "'use_celery' is a yes/no question" in _one_line(result, 2)


@pytest.mark.parametrize("remote", [False, True], ids=["directory", "url"])
def test_an_unknown_version_of_a_git_template_is_a_usage_error_naming_its_tags(
    runner: CliRunner, tmp_path: Path, template: Path, remote: bool
) -> None:
    source = template.as_uri() if remote else str(template)
    out = tmp_path / "out"
    commands = (
        ["startproject", "shop", str(out), "--template", source, "--vcs-ref", "nosuchref"],
        ["validate-template", source, "--vcs-ref", "nosuchref"],
    )
    for command in commands:
        output = _one_line(runner.invoke(main, command), 2)
        assert "has no tag, branch or commit 'nosuchref' (its tags: 1.0)" in output
    assert not out.exists()


def test_update_to_an_unknown_version_is_a_usage_error_naming_its_tags(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    project = tmp_path / "shop"
    created = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", str(template)]
    )
    assert created.exit_code == 0, created.output
    git_commit_all(project, "Generated")
    before = tree_snapshot(project)
    result = runner.invoke(main, ["update", "--to", "v9", "--project-dir", str(project)])
    output = _one_line(result, 2)
    assert "has no tag, branch or commit 'v9' (its tags: 1.0)" in output
    assert tree_snapshot(project) == before
