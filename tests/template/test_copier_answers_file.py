"""The template's own copier answers file, byte for byte what copier writes, wherever
``_answers_file`` puts it, at startproject and after an update (issue 24, item 2).

Each test runs the installed copier on the same template beside thibaud-admin."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.support.company_templates import company_template, release, run_copier_copy
from tests.support.trees import git_commit_all, tree_snapshot
from thibaud_cli.cli import main

DATA = {"port": "9000", "description": "The shop", "python_version": "3.13"}


def _startproject(runner: CliRunner, template: Path, project: Path, *extra: str) -> None:
    pairs = [arg for key, value in DATA.items() for arg in ("--data", f"{key}={value}")]
    project.parent.mkdir(parents=True, exist_ok=True)
    result = runner.invoke(
        main, ["startproject", "blog", str(project), "--template", str(template), *pairs, *extra]
    )
    assert result.exit_code == 0, result.output


def _without_our_answers(root: Path) -> dict[str, str]:
    snapshot = tree_snapshot(root)
    snapshot.pop(".thibaud-answers.yml", None)
    return {path: digest for path, digest in snapshot.items() if not path.startswith(".git")}


@pytest.mark.parametrize("answers_file", [None, ".copier/project.yml"])
def test_the_answers_file_is_the_one_copier_writes(
    runner: CliRunner, tmp_path: Path, answers_file: str | None
) -> None:
    template = company_template(tmp_path / "template", answers_file=answers_file)
    ours, theirs = tmp_path / "ours" / "blog", tmp_path / "copier" / "blog"
    _startproject(runner, template, ours)
    run_copier_copy(str(template), theirs, project_slug="blog", **DATA)
    where = answers_file or ".copier-answers.yml"
    written = (ours / where).read_text()
    assert written == (theirs / where).read_text()
    # Sorted as copier's to_nice_yaml sorts them, not in the questions' order.
    keys = [line.split(":")[0] for line in written.splitlines() if line[:1].isalpha()]
    assert keys == sorted(keys) and "port" in keys and "api_token" not in keys
    # The rest of the project is copier's too, byte for byte.
    assert _without_our_answers(ours) == _without_our_answers(theirs)


def test_an_answers_file_in_a_subdirectory_updates_as_copier_updates_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template")
    release(template, "1.0.0")
    settings = template / "{{ project_slug }}" / "settings.py.jinja"
    release(
        template,
        "1.1.0",
        {settings.relative_to(template).as_posix(): settings.read_text() + "USE_TZ = True\n"},
    )
    ours, theirs = tmp_path / "ours" / "blog", tmp_path / "copier" / "blog"
    _startproject(runner, template, ours, "--vcs-ref", "1.0.0")
    git_commit_all(ours, "generated")
    updated = runner.invoke(main, ["update", "--project-dir", str(ours)])
    assert updated.exit_code == 0, updated.output
    assert "CONFLICT" not in updated.output
    assert ".copier/project.yml" in updated.output

    import copier
    from copier._settings import SettingsModel

    run_copier_copy(str(template), theirs, project_slug="blog", vcs_ref="1.0.0", **DATA)
    git_commit_all(theirs, "generated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_update(
            theirs,
            answers_file=".copier/project.yml",
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
            settings=SettingsModel(),
        )
    answers = (ours / ".copier" / "project.yml").read_text()
    assert answers == (theirs / ".copier" / "project.yml").read_text()
    assert yaml.safe_load(answers)["_commit"] == "1.1.0"
    assert _without_our_answers(ours) == _without_our_answers(theirs)
