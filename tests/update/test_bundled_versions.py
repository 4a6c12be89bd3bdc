"""Older bundled template versions generated (``--vcs-ref 1``), then updated, with each
conflict named at the line of its marker in the file written (issue 22)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.cli import run_cli
from tests.support.trees import git_commit_all, tree_snapshot
from thibaud_cli.template.bundled import BundledTemplates


def _answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".thibaud-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_an_older_bundled_version_is_generated_then_updated_to_the_latest(
    tmp_path: Path,
) -> None:
    created = run_cli("startproject", "mysite", "--vcs-ref", "1", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "mysite"
    answers = _answers(project)
    assert (answers["_template"], answers["_template_version"]) == ("bundled", "1")
    # Version 1's files, not the current template's: every file it renders, no other.
    history = BundledTemplates.installed().history / "1"
    assert not (project / "Dockerfile").exists()
    assert (history / "pyproject.toml.jinja").is_file() and (project / "pyproject.toml").is_file()
    assert "healthchecks" not in (project / "mysite" / "asgi.py").read_text()
    git_commit_all(project, "version 1")
    updated = run_cli("update", cwd=project)
    assert updated.returncode == 0, updated.stderr
    latest = BundledTemplates.installed().latest_version
    assert f"Updated from template version 1 to {latest}:" in updated.stdout
    assert _answers(project)["_template_version"] == latest
    assert "healthchecks" in (project / "mysite" / "asgi.py").read_text()


def test_an_unknown_bundled_version_is_a_usage_error(tmp_path: Path) -> None:
    refused = run_cli("startproject", "mysite", "--vcs-ref", "0.9", cwd=tmp_path)
    assert refused.returncode == 2
    known = ", ".join(BundledTemplates.installed().versions())
    assert refused.stderr == f"Error: --vcs-ref 0.9: the bundled template has versions {known}.\n"
    assert tree_snapshot(tmp_path) == {}


def test_an_inline_conflict_is_named_at_its_marker_line(tmp_path: Path) -> None:
    """Version 2 adds imports near the top of asgi.py and a block at its end; the user
    added lines at the end too. The conflict is at the end of their file, but in the
    file written the template's new imports come first: the line named must be the
    one holding ``<<<<<<<``, not where the conflict was before the update."""
    created = run_cli("startproject", "mysite", "--vcs-ref", "1", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "mysite"
    asgi = project / "mysite" / "asgi.py"
    before = asgi.read_text().splitlines()
    with asgi.open("a") as handle:
        handle.write("\n# Mine.\napplication = application\n")
    git_commit_all(project, "version 1, edited")
    updated = run_cli("update", "--to", "2", "--conflict", "inline", cwd=project)
    assert updated.returncode == 1
    headers = [line for line in updated.stderr.splitlines() if line.startswith("mysite/asgi.py:")]
    assert len(headers) == 1
    named = int(headers[0].split(":")[1])
    written = asgi.read_text().splitlines()
    assert written[named - 1] == "<<<<<<< ours"
    # Not where the conflict started in the user's file before the update.
    assert named != len(before) + 1
