"""``thibaud-admin update`` with a git template: a local repository tagged v1 and v2,
a project generated at v1 with user edits, updated through the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.projects import ProjectSpec
from tests.support.trees import build_file_tree, git_commit_all, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.project.answers import answers_path, load_answers

COPIER_V1 = """\
_templates_suffix: .jinja
project_name:
  type: str
description:
  type: str
  default: A site.
"""

APP_V1 = """\
\"\"\"The {{ project_name }} application.\"\"\"

import logging

LOG = logging.getLogger(__name__)


def greet(name):
    return f"Hello, {name}!"


def farewell(name):
    return f"Goodbye, {name}."
"""

CONFIG_V1 = """\
[server]
host = "127.0.0.1"
port = 8000
workers = 1
"""

V1 = {
    "copier.yml": COPIER_V1,
    "README.md.jinja": "# {{ project_name }}\n\n{{ description }}\n",
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/app.py.jinja": APP_V1,
    "config.toml": CONFIG_V1,
    "obsolete.txt": "Dropped in v2; the user never touches it.\n",
    "legacy.txt": "Dropped in v2; the user changed it.\n",
}


def v2_changes() -> dict[str, str]:
    return {
        "copier.yml": COPIER_V1 + "licence:\n  type: str\n  default: MIT\n",
        "README.md.jinja": "# {{ project_name }}\n\n{{ description }}\n\nLicence: {{ licence }}\n",
        # The top of the file changes; the user edits the bottom.
        "{{ project_name }}/app.py.jinja": APP_V1.replace(
            "import logging\n", "import logging\nimport os\n"
        ).replace("LOG = logging.getLogger(__name__)", 'LOG = logging.getLogger("app")'),
        # The same line the user changes: a conflict.
        "config.toml": CONFIG_V1.replace("port = 8000", "port = 8080"),
        "NEWS.md.jinja": "# News\n\n{{ project_name }} is under the {{ licence }} licence.\n",
    }


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    repo = build_file_tree(tmp_path / "template", V1)
    git_commit_all(repo, "v1", tag="v1")
    return repo


def release_v2(repo: Path) -> None:
    build_file_tree(repo, v2_changes())
    (repo / "obsolete.txt").unlink()
    (repo / "legacy.txt").unlink()
    git_commit_all(repo, "v2", tag="v2")


@pytest.fixture
def project_spec(template_repo: Path) -> ProjectSpec:
    return ProjectSpec("blog", template=str(template_repo))


@pytest.fixture
def project(project: Path, template_repo: Path) -> Path:
    """The project generated at v1 (the newest tag then), edited by the user, committed;
    then the template's v2 released."""
    answers = load_answers(project)
    assert (answers.template_commit, answers.template_version) == ("v1", "1")
    app = project / "blog" / "app.py"
    app.write_text(app.read_text().replace("Goodbye, {name}.", "See you soon, {name}."))
    (project / "legacy.txt").write_text("Dropped in v2; the user changed it. Keep me.\n")
    (project / "README.md").unlink()
    git_commit_all(project, "generated at v1, edited")
    release_v2(template_repo)
    return project


def edit_conflicting_line(project: Path) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace("port = 8000", "port = 9000"))
    git_commit_all(project, "port 9000")


def test_check_reports_the_newer_tag_with_exit_3(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["update", "--check", "--project-dir", str(project)])
    assert result.exit_code == 3, result.output
    assert "Update available: template version v1 -> v2." in result.output
    assert (
        "  added     NEWS.md\n  kept      README.md (you deleted it: it stays deleted)\n"
        in result.output
    )


def test_check_json_lists_versions_and_files(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        main, ["update", "--check", "--format", "json", "--project-dir", str(project)]
    )
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert report["current_version"] == "1"
    assert report["current_commit"] == "v1"
    assert report["latest_version"] == "2"
    assert report["latest_commit"] == "v2"
    assert report["update_available"] is True
    assert report["files"] == [
        {"path": "NEWS.md", "action": "add"},
        {"path": "README.md", "action": "keep-deleted"},
        {"path": "blog/app.py", "action": "update"},
        {"path": "config.toml", "action": "update"},
        {"path": "legacy.txt", "action": "keep-changed"},
        {"path": "obsolete.txt", "action": "delete"},
    ]


def test_update_merges_every_file(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["update", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "Updated from template version v1 to v2:" in result.output
    app = (project / "blog" / "app.py").read_text()
    assert "import os\n" in app and 'logging.getLogger("app")' in app  # the template's
    assert "See you soon, {name}." in app  # the user's
    assert "port = 8080" in (project / "config.toml").read_text()
    assert not (project / "README.md").exists()  # deleted by the user: stays deleted
    news = (project / "NEWS.md").read_text()
    assert news == "# News\n\nblog is under the MIT licence.\n"  # new question, default
    assert not (project / "obsolete.txt").exists()
    assert "Keep me." in (project / "legacy.txt").read_text()
    answers = load_answers(project)
    assert (answers.template_commit, answers.template_version) == ("v2", "2")
    assert answers.template_answers["licence"] == "MIT"
    check = runner.invoke(main, ["update", "--check", "--project-dir", str(project)])
    assert check.exit_code == 0, check.output
    assert "Up to date: template version v2." in check.output


def test_conflicts_are_refused_by_default(runner: CliRunner, project: Path) -> None:
    edit_conflicting_line(project)
    before = tree_snapshot(project)
    result = runner.invoke(main, ["update", "--project-dir", str(project)])
    assert result.exit_code == 1
    assert (
        "config.toml:3:\n<<<<<<< ours\nport = 9000\n=======\nport = 8080\n>>>>>>> template\n"
        in (result.output)
    )
    assert "1 file(s) conflict with the template's changes (config.toml): nothing was written." in (
        result.output
    )
    assert "Traceback" not in result.output
    assert tree_snapshot(project) == before


def test_conflicts_inline_get_markers(runner: CliRunner, project: Path) -> None:
    edit_conflicting_line(project)
    result = runner.invoke(main, ["update", "--conflict", "inline", "--project-dir", str(project)])
    assert result.exit_code == 1
    assert "  CONFLICT  config.toml\n" in result.output
    assert "1 file(s) have conflicts" in result.output
    assert (project / "config.toml").read_text() == (
        '[server]\nhost = "127.0.0.1"\n'
        "<<<<<<< ours\nport = 9000\n=======\nport = 8080\n>>>>>>> template\n"
        "workers = 1\n"
    )
    assert "See you soon, {name}." in (project / "blog" / "app.py").read_text()
    assert (project / "NEWS.md").is_file()
    assert not list(project.rglob("*.rej"))
    assert load_answers(project).template_commit == "v2"


def test_dry_run_prints_the_diff(runner: CliRunner, project: Path) -> None:
    before = tree_snapshot(project)
    result = runner.invoke(main, ["update", "--dry-run", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "-port = 8000\n+port = 8080\n" in result.output
    assert "+++ b/NEWS.md" in result.output
    assert tree_snapshot(project) == before


def test_to_chooses_the_version(runner: CliRunner, project: Path, template_repo: Path) -> None:
    build_file_tree(template_repo, {"config.toml": CONFIG_V1.replace("workers = 1", "workers = 4")})
    git_commit_all(template_repo, "v3", tag="v3")
    result = runner.invoke(main, ["update", "--to", "v2", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert load_answers(project).template_commit == "v2"
    assert "workers = 1" in (project / "config.toml").read_text()
    git_commit_all(project, "updated to v2")
    result = runner.invoke(main, ["update", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert load_answers(project).template_commit == "v3"
    assert "workers = 4" in (project / "config.toml").read_text()


def test_dirty_tree_is_refused(runner: CliRunner, project: Path) -> None:
    (project / "notes.txt").write_text("not committed\n")
    before = tree_snapshot(project)
    result = runner.invoke(main, ["update", "--project-dir", str(project)])
    assert result.exit_code == 1
    assert "has uncommitted changes (notes.txt): commit or stash them first" in result.output
    assert "Pass --allow-dirty" in result.output
    assert tree_snapshot(project) == before
    allowed = runner.invoke(main, ["update", "--allow-dirty", "--project-dir", str(project)])
    assert allowed.exit_code == 0, allowed.output
    assert load_answers(project).template_commit == "v2"


@pytest.mark.parametrize(
    ("key", "recorded", "shown"),
    [
        ("_template_version", "garbage", "'garbage'"),
        ("_template_version", "[1, 2]", "a list"),
        ("_template_version", "''", "''"),
        ("_template_version", "'../history/3'", "'../history/3'"),
        # Unquoted, YAML reads 3.10 as the number 3.1: never read as another version.
        ("_template_version", "3.10", "the number 3.1"),
        ("_template_commit", "1.10", "the number 1.1"),
        ("_template_commit", "''", "''"),
        ("_template_commit", "'--help'", "'--help'"),
    ],
)
@pytest.mark.parametrize("command", [["--check"], ["--dry-run"], []])
def test_a_malformed_recorded_version_is_refused_never_up_to_date(
    runner: CliRunner,
    make_project: Callable[..., Path],
    template_repo: Path,
    key: str,
    recorded: str,
    shown: str,
    command: list[str],
) -> None:
    # The project is at the newest tag: a version that reads as anything would be
    # "up to date" (issue 25: `_template_version: garbage` was, with exit 0).
    project = make_project("blog", template=str(template_repo))
    path = answers_path(project)
    text = path.read_text()
    line = next(line for line in text.splitlines() if line.startswith(f"{key}: "))
    path.write_text(text.replace(line, f"{key}: {recorded}"))
    git_commit_all(project, "answers edited by hand")
    before = tree_snapshot(project)
    result = runner.invoke(main, ["update", *command, "--project-dir", str(project)])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1, result.output
    assert f"'{key}' is {shown}, not a " in result.output
    assert "Restore it from version control" in result.output
    assert "up to date" not in result.output.lower()
    assert tree_snapshot(project) == before
