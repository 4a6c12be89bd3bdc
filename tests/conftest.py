from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.helpers import LargeTemplate
from thibaud_cli.operations.startproject import start_project


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--load",
        action="store_true",
        help="also run the tests marked load (tens of thousands of requests each)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The load cases take both cores for a minute and a half: opt in with --load.
    if config.getoption("--load"):
        return
    skip = pytest.mark.skip(reason="a load test: run it with --load (nox -s load)")
    for item in items:
        if item.get_closest_marker("load") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def large_template(tmp_path_factory: pytest.TempPathFactory) -> LargeTemplate:
    """Built once a session: the template at v1, the project, then the template's v2."""
    from tests.support.large_template import (
        build_template,
        commit_all,
        edit_like_a_user,
        release_version_2,
    )

    root = tmp_path_factory.mktemp("large")
    template = build_template(root / "template", 1000, release_v2=False)
    project = root / "project"
    start_project("shop", project, template=str(template))
    edit_like_a_user(project)
    commit_all(project, "generated at v1, edited")
    release_version_2(template)
    return LargeTemplate(template, project)
