"""Generated projects for tests: each kind generated once a session, copied for each test.

``startproject`` on the bundled template is the same work every time; a test that only
needs *a* project to write in gets a copy of the one generated for its
:class:`ProjectSpec`. A project from a template a test built itself is generated afresh,
since that template may change from one generation to the next.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.trees import git, git_commit_all


@dataclass(frozen=True)
class ProjectSpec:
    """What a test's project is generated from."""

    name: str = "mysite"
    #: ``None``: the bundled template; else a template the test built (never cached).
    template: str | None = None
    #: ``--data`` answers, as ``(key, value)`` pairs.
    data: tuple[tuple[str, str], ...] = ()
    #: Middleware added once generated: ``(SPEC, option, ...)`` each.
    middleware: tuple[tuple[str, ...], ...] = field(default=())
    #: Committed to a new git repository once generated (and given its middleware).
    committed: bool = False

    @classmethod
    def of(cls, name: str = "mysite", *, template: str | None = None, **data: str) -> ProjectSpec:
        return cls(name, template, tuple(sorted(data.items())))


class GeneratedProjects:
    """Projects generated under *root*, one per :class:`ProjectSpec`, copied on request."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._generated: dict[ProjectSpec, Path] = {}

    def copy(self, spec: ProjectSpec, destination: Path) -> Path:
        """A project generated from *spec* at *destination*, the test's to change."""
        if spec.template is not None:
            return generate(spec, destination)
        if spec not in self._generated:
            home = self._root / str(len(self._generated))
            home.mkdir()
            self._generated[spec] = generate(spec, home / spec.name)
        copy = Path(shutil.copytree(self._generated[spec], destination, symlinks=True))
        if spec.committed:
            # The index holds each file's inode and times: a copy's differ, and the first
            # git status would rewrite the index. Refreshed now, it is as a commit left it.
            git(copy, "update-index", "-q", "--refresh")
        return copy


def generate(spec: ProjectSpec, directory: Path) -> Path:
    """``startproject`` as *spec* says, into *directory*."""
    from thibaud_cli.operations.asgi_chain import add_asgi_middleware
    from thibaud_cli.operations.startproject import start_project

    data: Mapping[str, str] = dict(spec.data)
    start_project(spec.name, directory, template=spec.template, data=data)
    for target, *options in spec.middleware:
        add_asgi_middleware(directory, target, options=options)
    if spec.committed:
        git_commit_all(directory, "generated")
    return directory
