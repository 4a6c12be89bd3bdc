from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.large_template import LargeTemplate
from tests.support.projects import GeneratedProjects, ProjectSpec
from thibaud_cli.operations.startproject import start_project


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's own cache directory (our template clones and copier's), never
    the user's: XDG_CACHE_HOME, for this process and every command it starts."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def generated_projects(tmp_path_factory: pytest.TempPathFactory) -> GeneratedProjects:
    return GeneratedProjects(tmp_path_factory.mktemp("generated"))


@pytest.fixture
def project_spec() -> ProjectSpec:
    """What ``project`` is generated from: override it in a module, or parametrize it."""
    return ProjectSpec()


@pytest.fixture
def project(
    project_spec: ProjectSpec, generated_projects: GeneratedProjects, tmp_path: Path
) -> Path:
    """A project generated from ``project_spec`` (the bundled template, ``mysite``, by
    default) under tmp_path, the test's to change."""
    return generated_projects.copy(project_spec, tmp_path / f"{project_spec.name}-project")


@pytest.fixture
def make_project(generated_projects: GeneratedProjects, tmp_path: Path) -> Callable[..., Path]:
    """``project`` for tests that want several, or answers of their own:
    ``make_project(name="mysite", *, template=None, **data)``."""

    def make(name: str = "mysite", *, template: str | None = None, **data: str) -> Path:
        spec = ProjectSpec.of(name, template=template, **data)
        return generated_projects.copy(spec, tmp_path / f"{name}-project")

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
