"""validate-template --update-from REF: each variant generated at an older release of a
git template, committed, and updated by thibaud-admin's own startproject and update;
the update check names what stops it, and the later checks run on the updated project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli
from tests.support.real_templates import django_like_template
from tests.support.trees import git_commit_all

_NEW_FILE = "config/company.py.jinja"


def _template(tmp_path: Path, question: str) -> Path:
    """A git template tagged v1, then v2 with *question* added (and a file that uses
    it) and a view that says something else."""
    template = django_like_template(tmp_path / "t")
    git_commit_all(template, "v1", tag="v1")
    config = template / "copier.yml"
    config.write_text(config.read_text("utf-8") + question, "utf-8")
    (template / _NEW_FILE).write_text('COMPANY = "{{ company }}"\n', "utf-8")
    views = next(template.glob("*/views.py"))
    views.write_text(views.read_text("utf-8").replace('"home"', '"home, v2"'), "utf-8")
    git_commit_all(template, "v2", tag="v2")
    return template


def _checks(output: str) -> dict[str, dict[str, Any]]:
    return {
        variant["name"]: {check["name"]: check for check in variant["checks"]}
        for variant in json.loads(output)["variants"]
    }


def test_a_clean_upgrade_passes_and_the_updated_project_is_checked(tmp_path: Path) -> None:
    template = _template(tmp_path, "company:\n  type: str\n  default: ACME\n")
    result = run_cli(
        "validate-template",
        str(template),
        "--update-from",
        "v1",
        "--format",
        "json",
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checks = _checks(result.stdout)
    assert len(checks) == 4
    for variant in checks.values():
        names = list(variant)
        assert names[:4] == ["render", "undefined", "update", "leftovers"], names
        assert variant["update"]["status"] == "passed"
        assert "the same files as a fresh project" in variant["update"]["message"]
        assert variant["manage-check"]["status"] == "passed"


def test_a_new_question_without_a_default_fails_the_update_naming_it(tmp_path: Path) -> None:
    template = _template(tmp_path, "company:\n  type: str\n  help: Your company\n")
    # The author answers it for the fresh renders: those pass. A user who updates
    # without knowing of the new question cannot.
    result = run_cli(
        "validate-template",
        str(template),
        "--update-from",
        "v1",
        "--data",
        "company=ACME",
        "--format",
        "json",
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    for variant in _checks(result.stdout).values():
        assert variant["render"]["status"] == "passed"
        update = variant["update"]
        assert update["status"] == "failed"
        assert "did not run" in update["message"] and '"company" is required' in update["message"]
        assert variant["settings"]["status"] == "skipped"


def test_an_upgrade_that_leaves_a_file_behind_names_it(tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "t")
    git_commit_all(template, "v1", tag="v1")
    # v2 writes a file from a migration that a fresh project does not have.
    config = template / "copier.yml"
    config.write_text(
        config.read_text("utf-8") + "_migrations:\n  - command: touch stale.txt\n    version: v2\n",
        "utf-8",
    )
    git_commit_all(template, "v2", tag="v2")
    result = run_cli(
        "validate-template",
        str(template),
        "--update-from",
        "v1",
        "--trust",
        "--variant",
        "defaults",
        "--format",
        "json",
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    update = _checks(result.stdout)["defaults"]["update"]
    assert update["status"] == "failed"
    assert "left behind" in update["message"] and "stale.txt" in update["message"]


def test_update_from_needs_a_git_template_and_a_release(tmp_path: Path) -> None:
    template = _template(tmp_path, "company:\n  type: str\n  default: ACME\n")
    refused = run_cli("validate-template", str(template), "--update-from", "v0", cwd=tmp_path)
    assert refused.returncode == 2 and "no such tag or commit" in refused.stderr
    plain = django_like_template(tmp_path / "plain")
    refused = run_cli("validate-template", str(plain), "--update-from", "v1", cwd=tmp_path)
    assert refused.returncode == 2 and "local git checkout" in refused.stderr
