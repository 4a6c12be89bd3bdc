"""The cookiecutter peer renders the same files as our copier template, so the
generation benchmark compares tools, not templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.peers import build_cookiecutter_template
from tests.support.trees import tree_snapshot
from thibaud_cli.template.source import bundled_template_path


def test_cookiecutter_version_renders_the_same_files_as_copier(tmp_path: Path) -> None:
    cookiecutter = pytest.importorskip("cookiecutter.main", reason="a bench-only dependency")
    import copier

    answers = {"project_name": "mysite", "secret_key": "not-secret"}
    converted = build_cookiecutter_template(bundled_template_path(), tmp_path / "cc", answers)
    cookiecutter.cookiecutter(str(converted), no_input=True, output_dir=str(tmp_path / "out"))
    copier.run_copy(
        str(bundled_template_path()),
        tmp_path / "copier" / "mysite",
        data=answers,
        defaults=True,
        quiet=True,
    )
    expected = tree_snapshot(tmp_path / "copier")
    assert len(expected) > 5
    assert tree_snapshot(tmp_path / "out") == expected
