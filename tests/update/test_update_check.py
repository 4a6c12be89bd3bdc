"""``update --check`` asks git which version is newest before it renders anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.large_template import build_template, commit_all, release_version_2
from thibaud_cli.operations.startproject import start_project
from thibaud_cli.operations.update import check_for_update, update_project
from thibaud_cli.template.gitrefs import latest_tag, names_same_commit


def test_latest_tag_is_copiers_choice() -> None:
    # PEP 440 order, prereleases and names that are no version left out.
    assert latest_tag(["v1", "v10", "v2", "v11rc1", "nightly"]) == "v10"
    assert latest_tag(["nightly"]) is None


@pytest.mark.parametrize(
    ("recorded", "same"),
    [("v2", True), ("v1", False), ("v1-3-gabc1234", False), ("v2-1-gdef5678", True)],
)
def test_a_recorded_commit_is_matched_by_tag_or_hash(recorded: str, same: bool) -> None:
    tags = {"v1": "abc1234" + "0" * 33, "v2": "def5678" + "0" * 33}
    assert names_same_commit(recorded, tags["v2"], tags) is same


def refuse_to_render(*args: object, **kwargs: object) -> None:
    raise AssertionError("rendered, though the answer needed none")


def test_an_up_to_date_project_is_checked_without_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = build_template(tmp_path / "template", 20)
    project = tmp_path / "project"
    start_project("shop", project, template=str(template))
    monkeypatch.setattr("thibaud_cli.template.versions.render_template", refuse_to_render)
    plan = check_for_update(project)
    assert plan.up_to_date and not plan.changes


def test_update_asks_git_status_only_when_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = build_template(tmp_path / "template", 20, release_v2=False)
    project = tmp_path / "project"
    start_project("shop", project, template=str(template))
    commit_all(project)
    asked: list[Path] = []
    monkeypatch.setattr("thibaud_cli.operations.update.refuse_uncommitted_changes", asked.append)
    assert not update_project(project).written  # up to date: nothing to write
    assert not update_project(project, dry_run=True).written
    assert asked == []
    release_version_2(template)
    assert update_project(project).written
    assert asked == [project]
