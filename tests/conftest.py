from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from thibaud_cli.project import start_project


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Generate a project from the bundled template (or *template*) under tmp_path."""

    def make(name: str = "mysite", *, template: str | None = None, **data: str) -> Path:
        directory = tmp_path / f"{name}-project"
        start_project(name, directory, template=template, data=data)
        return directory

    return make
