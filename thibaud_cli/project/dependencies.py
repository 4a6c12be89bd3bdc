"""The project's declared dependencies: adding one to ``pyproject.toml``, comments kept.

A middleware wrapped into ``asgi.py`` is imported when the server starts, so its
distribution belongs in ``[project].dependencies``: a fresh clone of the project,
installed, must start. tomlkit edits the file in place: the user's comments,
layout and quoting stay as they are; only the new line is added, with the file's
line endings (CRLF in a file whose every line ends in CRLF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from thibaud_cli.project.declared import PYPROJECT


@dataclass(frozen=True)
class DependencyChange:
    """What adding *requirement* to the project's dependencies comes to."""

    requirement: str
    #: ``pyproject.toml``'s new text, or None when nothing is to be written.
    text: str | None = None
    #: Set when the requirement could not be added: why, for the user to add it.
    not_added: str | None = None

    @property
    def added(self) -> bool:
        return self.text is not None


def requirement_for(name: str, version: str) -> str:
    """``name>=version``, as ``uv add`` writes it: at least what the project runs on.

    A local version (``1.0+local``) is not allowed in a ``>=`` specifier: its public
    part is; an unparsable version gives the bare name.
    """
    try:
        return f"{name}>={Version(version).public}"
    except InvalidVersion:
        return name


def with_dependency(pyproject: str | None, name: str, version: str) -> DependencyChange | None:
    """*pyproject* with distribution *name* in ``[project].dependencies``.

    None if the dependencies already name it (whatever its specifier or extras), or
    it is the project itself. A
    file that cannot take it (missing, not TOML, no ``[project]`` table, dynamic
    dependencies) gives a change with ``not_added`` saying why: the middleware
    still works here, the user adds the line.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    requirement = requirement_for(name, version)
    if pyproject is None:
        return DependencyChange(requirement, not_added=f"the project has no {PYPROJECT}")
    try:
        document = tomlkit.parse(pyproject)
    except TOMLKitError as error:
        return DependencyChange(requirement, not_added=f"{PYPROJECT} is not valid TOML ({error})")
    project = document.get("project")
    if not isinstance(project, dict):
        return DependencyChange(requirement, not_added=f"{PYPROJECT} has no [project] table")
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list):
        return DependencyChange(
            requirement, not_added=f"[project].dynamic in {PYPROJECT} is not a list"
        )
    if "dependencies" in dynamic:
        return DependencyChange(
            requirement, not_added=f"{PYPROJECT} declares its dependencies dynamic"
        )
    dependencies = project.get("dependencies")
    if dependencies is None:
        project["dependencies"] = dependencies = tomlkit.array()
    if not isinstance(dependencies, list):
        return DependencyChange(
            requirement, not_added=f"[project].dependencies in {PYPROJECT} is not a list"
        )
    if canonicalize_name(name) in {_declared_name(line) for line in dependencies}:
        return None
    if canonicalize_name(name) == canonicalize_name(str(project.get("name", ""))):
        return None  # the project itself, installed: never its own dependency
    dependencies.append(requirement)
    return DependencyChange(requirement, text=_endings_kept(pyproject, tomlkit.dumps(document)))


def _endings_kept(original: str, edited: str) -> str:
    """*edited* with *original*'s line endings.

    tomlkit keeps the endings of the lines it parsed but writes those it adds (a new
    ``dependencies`` key) with LF; in a file whose every line ends in CRLF, they get
    CRLF too. A file of mixed endings keeps its own, and new lines get LF."""
    if "\r\n" in original and "\n" not in original.replace("\r\n", ""):
        return re.sub(r"(?<!\r)\n", "\r\n", edited)
    return edited


def declare(
    project_dir: Path, distributions: Iterable[tuple[str, str]]
) -> tuple[tuple[DependencyChange, ...], tuple[str, str] | None]:
    """The project's dependencies with each ``(name, version)`` of *distributions*.

    Returns each change (none for a distribution already declared), and
    ``pyproject.toml``'s text before and after (None when it does not change).
    """
    path = project_dir / PYPROJECT
    unreadable = None
    try:
        # Bytes decoded, not read_text: its universal newlines would turn CRLF into LF.
        before = path.read_bytes().decode("utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError) as error:
        before, unreadable = None, f"{PYPROJECT} cannot be read ({error})"
    text, changes = before, []
    for name, version in distributions:
        if unreadable:
            changes.append(DependencyChange(requirement_for(name, version), not_added=unreadable))
            continue
        change = with_dependency(text, name, version)
        if change is not None:
            changes.append(change)
            text = change.text if change.text is not None else text
    if before is None or text is None or text == before:
        return tuple(changes), None
    return tuple(changes), (before, text)


def _declared_name(line: object) -> str | None:
    try:
        return canonicalize_name(Requirement(str(line)).name)
    except InvalidRequirement:
        return None
