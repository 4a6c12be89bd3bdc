"""``update`` with templates whose own code runs (issue 24, item 5): all or nothing
whatever fails, the template's extensions and tasks included, and ``update --check`` as
a CI drift check that compares versions without ``--trust`` and reports a new required
question as part of the update, beside ``copier check-update`` on the same project."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.company_templates import EXTENSION, company_template, release
from tests.support.trees import git, git_commit_all, tree_snapshot

SETTINGS = "{{ project_slug }}/settings.py.jinja"


@pytest.fixture
def released(tmp_path: Path) -> tuple[Path, Path]:
    """A template with a local extension at 1.0.0 and a project made from it, committed."""
    template = company_template(tmp_path / "template", extension=EXTENSION)
    release(template, "1.0.0")
    project = tmp_path / "blog"
    made = run_cli(
        "startproject", "blog", str(project), "--template", str(template), "--trust",
        cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    git_commit_all(project, "generated")
    return template, project


def _copier_check(project: Path) -> tuple[bool, str, str]:
    from copier._main import get_update_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_update_data(project, answers_file=".copier/project.yml")


def _settings_change(template: Path, line: str) -> dict[str, str]:
    return {SETTINGS: (template / SETTINGS).read_text() + line}


def _without_git(root: Path) -> dict[str, str]:
    return {k: v for k, v in tree_snapshot(root).items() if not k.startswith(".git/")}


def test_check_compares_versions_without_trust(released: tuple[Path, Path]) -> None:
    template, project = released
    up_to_date = run_cli("update", "--check", cwd=project)
    assert up_to_date.returncode == 0, up_to_date.stderr
    assert up_to_date.stdout == "Up to date: template version 1.0.0.\n"
    release(template, "1.1.0", _settings_change(template, "USE_TZ = True\n"))
    drift = run_cli("update", "--check", cwd=project)
    assert drift.returncode == 3, drift.stderr
    assert drift.stdout.splitlines() == [
        "Update available: template version 1.0.0 -> 1.1.0.",
        "The files it changes are not listed: the template's Jinja extensions run code on "
        "this machine: pass --trust to see which files the update changes.",
    ]
    assert _copier_check(project) == (True, "1.0.0", "1.1.0")
    report = json.loads(run_cli("update", "--check", "--format", "json", cwd=project).stdout)
    assert (report["current_version"], report["latest_version"]) == ("1.0.0", "1.1.0")
    assert report["update_available"] and report["files_unknown"]
    trusted = run_cli("update", "--check", "--trust", cwd=project)
    assert trusted.returncode == 3
    assert "  updated   blog/settings.py" in trusted.stdout.splitlines()


def test_check_reports_a_new_required_question_as_part_of_the_update(
    released: tuple[Path, Path],
) -> None:
    template, project = released
    config = (template / "copier.yml").read_text() + "license:\n  type: str\n  help: Licence\n"
    release(template, "1.1.0", {"copier.yml": config})
    drift = run_cli("update", "--check", "--trust", cwd=project)
    assert drift.returncode == 3, drift.stderr
    assert drift.stdout.splitlines() == [
        "Update available: template version 1.0.0 -> 1.1.0.",
        "The files it changes are not listed: version 1.1.0 asks a new question, 'license', "
        "with no default: give it with --data license=VALUE when you update.",
    ]
    assert _copier_check(project) == (True, "1.0.0", "1.1.0")
    done = run_cli("update", "--trust", "--data", "license=MIT", cwd=project)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((project / ".copier" / "project.yml").read_text())["license"] == "MIT"


def test_every_new_required_question_is_named_by_check_and_by_update(
    released: tuple[Path, Path],
) -> None:
    """A release that adds two questions without a default: --check names both in its
    one line, and so does the update that was given neither, or only one of them."""
    template, project = released
    added = "license:\n  type: str\n  help: Licence\nowner:\n  type: str\n  help: Owner\n"
    release(template, "1.1.0", {"copier.yml": (template / "copier.yml").read_text() + added})
    drift = run_cli("update", "--check", "--trust", cwd=project)
    assert drift.returncode == 3, drift.stderr
    assert drift.stdout.splitlines() == [
        "Update available: template version 1.0.0 -> 1.1.0.",
        "The files it changes are not listed: version 1.1.0 asks new questions, 'license', "
        "'owner', with no default: give them with --data license=VALUE --data owner=VALUE "
        "when you update.",
    ]
    before = _without_git(project)
    refused = run_cli("update", "--trust", cwd=project)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        "Error: Questions license, owner are required (no default): give them with "
        "--data license=VALUE --data owner=VALUE. Nothing was written."
    ]
    half = run_cli("update", "--trust", "--data", "license=MIT", cwd=project)
    assert half.returncode == 2, half.stderr
    assert half.stderr.splitlines() == [
        'Error: Question "owner" is required: give it with --data owner=VALUE. Nothing was written.'
    ]
    assert _without_git(project) == before
    done = run_cli("update", "--trust", "--data", "license=MIT", "--data", "owner=Ann", cwd=project)
    assert done.returncode == 0, done.stderr
    recorded = yaml.safe_load((project / ".copier" / "project.yml").read_text())
    assert (recorded["license"], recorded["owner"]) == ("MIT", "Ann")


def test_an_extension_that_raises_on_update_leaves_the_project_as_it_was(
    released: tuple[Path, Path],
) -> None:
    template, project = released
    raising = EXTENSION.replace(
        '        context["build"] = "2024.10"\n',
        '        if context.get("_copier_operation") != "copy":\n'
        '            raise RuntimeError("the release server cannot be reached")\n',
    )
    changes = _settings_change(template, "USE_TZ = True\n")
    release(template, "1.1.0", {**changes, "extensions/context.py": raising})
    before = _without_git(project)
    failed = run_cli("update", "--trust", cwd=project)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "Error: extensions/context.py:7: the template's own code raised RuntimeError: the "
        "release server cannot be reached. It is the template's error: nothing was written."
    ]
    assert _without_git(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_a_task_that_fails_after_the_files_changed_undoes_the_whole_update(
    released: tuple[Path, Path],
) -> None:
    template, project = released
    config = (template / "copier.yml").read_text()
    tasks = {"_tasks": ["echo task was here > README.md", "touch new-by-task.txt", "exit 4"]}
    release(
        template,
        "1.1.0",
        {
            **_settings_change(template, "USE_TZ = True\n"),
            "copier.yml": yaml.safe_dump(tasks) + config,
        },
    )
    before = _without_git(project)
    failed = run_cli("update", "--trust", cwd=project)
    assert failed.returncode == 1
    assert "task 3 of 3 (exit 4) exited with status 4" in failed.stderr
    assert "The update was undone: every file of the project is as it was." in failed.stderr
    assert _without_git(project) == before
    assert git(project, "status", "--porcelain") == ""
