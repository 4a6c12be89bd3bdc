"""A 1,000-file git template through every command (not timed: ``bench/scaling.py``
measures). A limit on how many strings a render made once stopped all of them at
about 440 files; these prove the commands work at that size, and that the shortcuts
(rendering asgi.py alone, only the files two versions differ in) change nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.large_template import (
    LargeTemplate,
    build_template,
    edit_like_a_user,
    release_version_2,
)
from thibaud_cli.cli import main
from thibaud_cli.operations.startproject import start_project
from thibaud_cli.operations.update import plan_update
from thibaud_cli.project.answers import load_answers
from thibaud_cli.template.engine.render import render_template
from thibaud_cli.template.partial.entry_point import only_path
from thibaud_cli.template.source import resolve_template

MIDDLEWARE = '''"""A pass-through ASGI middleware."""


class PassThrough:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
'''


@pytest.fixture
def large_project(large_template: LargeTemplate, tmp_path: Path) -> Path:
    """A copy of the session's project, to write in."""
    return Path(shutil.copytree(large_template.project, tmp_path / "project", symlinks=True))


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and ".git" not in path.parts]


def test_startproject_writes_every_file(large_template: LargeTemplate) -> None:
    files = files_under(large_template.project)
    assert len(files) == 1001  # the template's files and the answers file
    assert load_answers(large_template.project).template_commit == "v1"


def test_update_check_reports_the_new_version(
    runner: CliRunner, large_template: LargeTemplate
) -> None:
    result = runner.invoke(
        main,
        ["update", "--check", "--format", "json", "--project-dir", str(large_template.project)],
    )
    assert result.exit_code == 3, result.output  # an update is available
    report = json.loads(result.output)
    assert report["update_available"] is True
    assert report["latest_commit"] == "v2"
    # A tenth of the files changed in v2; every one is listed, none is more.
    assert 90 <= len(report["files"]) <= 110


def test_rendering_only_the_changed_files_plans_the_same_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Size plays no part here: 200 files keep two whole renders short.
    template = build_template(tmp_path / "template", 200, release_v2=False)
    large_project = tmp_path / "project"
    start_project("shop", large_project, template=str(template))
    edit_like_a_user(large_project, every=7)
    release_version_2(template)
    narrowed = plan_update(large_project)
    assert narrowed.changes
    monkeypatch.setattr("thibaud_cli.template.versions.changed_sources", lambda *args: None)
    whole = plan_update(large_project)
    assert narrowed.changes == whole.changes
    assert narrowed.answers == whole.answers
    assert narrowed.target == whole.target


def test_a_template_at_a_url_renders_only_the_changed_files_for_the_same_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, the template at a file:// URL (served as hosts serve partial clones):
    the changed files are told from the cached partial clone, not by rendering all."""
    from thibaud_cli.template.gitrefs import changed_sources

    template = build_template(tmp_path / "template", 200, release_v2=False)
    for setting in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        subprocess.run(["git", "config", setting, "true"], cwd=template, check=True)
    url = f"file://{template}"
    large_project = tmp_path / "project"
    start_project("shop", large_project, template=url)
    edit_like_a_user(large_project, every=7)
    release_version_2(template)
    changed = changed_sources(url, "v1", "v2")
    assert changed is not None and 15 <= len(changed) <= 60
    narrowed = plan_update(large_project)
    assert narrowed.changes
    monkeypatch.setattr("thibaud_cli.template.versions.changed_sources", lambda *args: None)
    whole = plan_update(large_project)
    assert narrowed.changes == whole.changes
    assert narrowed.answers == whole.answers
    assert narrowed.target == whole.target


def test_update_merges_the_new_version_into_the_edited_project(
    runner: CliRunner, large_project: Path
) -> None:
    result = runner.invoke(main, ["update", "--project-dir", str(large_project)])
    assert result.exit_code == 0, result.output
    assert load_answers(large_project).template_commit == "v2"
    changed = [path for path in files_under(large_project) if "hanged in v2" in path.read_text()]
    assert 90 <= len(changed) <= 110
    edited = [
        path for path in files_under(large_project) if "dited by the user" in path.read_text()
    ]
    assert edited  # the user's edits are still there
    up_to_date = runner.invoke(main, ["update", "--check", "--project-dir", str(large_project)])
    assert up_to_date.exit_code == 0, up_to_date.output


def test_asgi_py_renders_alone(large_template: LargeTemplate, tmp_path: Path) -> None:
    destination = tmp_path / "asgi-only"
    render_template(
        resolve_template(str(large_template.template)),
        destination,
        data={"project_name": "shop", "secret_key": "x"},
        run_tasks=False,
        exclude=only_path("shop/asgi.py"),
    )
    assert [path.relative_to(destination).as_posix() for path in files_under(destination)] == [
        "shop/asgi.py"
    ]


def test_add_asgi_middleware_and_regenerate_asgi(runner: CliRunner, large_project: Path) -> None:
    (large_project / "shop" / "passthrough.py").write_text(MIDDLEWARE, "utf-8")
    added = runner.invoke(
        main,
        [
            "add-asgi-middleware",
            "shop.passthrough:PassThrough",
            "--project-dir",
            str(large_project),
        ],
    )
    assert added.exit_code == 0, added.output
    asgi = (large_project / "shop" / "asgi.py").read_text()
    assert "application = PassThrough(application)" in asgi
    regenerated = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(large_project)])
    assert regenerated.exit_code == 0, regenerated.output
    assert (large_project / "shop" / "asgi.py").read_text() == asgi
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=large_project,
        capture_output=True,
        text=True,
        check=True,
    )
    # asgi.py, the answers file and the new module: nothing else was written.
    assert len(status.stdout.splitlines()) == 3, status.stdout


def test_validate_template_with_one_variant(
    runner: CliRunner, large_template: LargeTemplate, tmp_path: Path
) -> None:
    matrix = tmp_path / "matrix.json"
    matrix.write_text(json.dumps([{"description": "Large"}]), "utf-8")
    result = runner.invoke(
        main, ["validate-template", str(large_template.template), "--matrix", str(matrix)]
    )
    assert result.exit_code == 0, result.output
