"""What a rendered project declares it needs, as ``--install`` installs it:
``pyproject.toml``'s ``[project].dependencies``, else ``requirements.txt`` (its ``-r``
includes followed), else nothing. The files are read by ``project.declared``; here,
what ``--install`` cannot install from is refused in one line.

Requirements are normalized (names as PEP 503 compares them, extras and specifiers in
one order) so that two variants that declare the same set in other words share one
environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import DependencyFileError
from thibaud_cli.project.declared import (
    PER_REQUIREMENT_OPTIONS,
    PYPROJECT,
    REQUIREMENTS,
    project_table,
    requirement_lines,
    split_options,
)

#: How deep ``-r`` includes may nest (a loop is refused before this).
_MAX_INCLUDES = 10


@dataclass(frozen=True)
class DeclaredDependencies:
    """A project's requirements, normalized and sorted, and the file they came from."""

    source: str | None
    requirements: tuple[str, ...]


def declared_dependencies(project_dir: Path) -> DeclaredDependencies:
    """What *project_dir* declares, or :class:`DependencyFileError` saying what is wrong."""
    pyproject = project_dir / PYPROJECT
    if pyproject.is_file():
        listed = _pyproject_dependencies(pyproject)
        if listed is not None:
            return DeclaredDependencies(PYPROJECT, normalized(listed, PYPROJECT))
    requirements = project_dir / REQUIREMENTS
    if requirements.is_file():
        lines = _requirement_lines(requirements, project_dir, ())
        return DeclaredDependencies(REQUIREMENTS, normalized(lines, REQUIREMENTS))
    return DeclaredDependencies(None, ())


def _pyproject_dependencies(path: Path) -> list[str] | None:
    """``[project].dependencies``; None when the file declares none (or declares them
    dynamic: a build backend computes them, which we do not run)."""
    project = project_table(path)
    if project is None or "dependencies" not in project:
        return None
    listed = project["dependencies"]
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise DependencyFileError(f"{PYPROJECT}: [project].dependencies is not a list of strings")
    return listed


def _requirement_lines(path: Path, root: Path, seen: tuple[Path, ...]) -> list[str]:
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if path in seen or len(seen) >= _MAX_INCLUDES:
        raise DependencyFileError(f"{name}: included again (a loop of -r includes)")
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DependencyFileError(f"{name}: cannot be read: {error}") from error
    lines: list[str] = []
    for number, line in requirement_lines(text):
        option, _, value = line.partition(" ")
        if option in ("-r", "--requirement"):
            included = (path.parent / value.strip()).resolve()
            if not included.is_relative_to(root.resolve()):
                raise DependencyFileError(f"{name}:{number}: includes a file outside the project")
            lines += _requirement_lines(included, root.resolve(), (*seen, path))
        elif line.startswith("-"):
            # An index, an editable install, a constraints file: how to install, which
            # validate-template decides (--find-links, --no-index, uv's variables).
            raise DependencyFileError(
                f"{name}:{number}: {option} is not read by --install: list requirements "
                "only (indexes go to --find-links/--no-index or uv's UV_* variables)"
            )
        else:
            requirement, options = split_options(line)
            unknown = [option for option in options if option not in PER_REQUIREMENT_OPTIONS]
            if unknown:
                raise DependencyFileError(
                    f"{name}:{number}: {unknown[0]} is not an option pip takes after a "
                    f"requirement (it takes {', '.join(sorted(PER_REQUIREMENT_OPTIONS))})"
                )
            # --hash and the like say how pip installs it; --install resolves afresh.
            lines.append(requirement)
    return lines


def normalized(requirements: list[str], source: str) -> tuple[str, ...]:
    """*requirements* as one canonical string each, sorted, each once."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    result = set()
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise DependencyFileError(
                f"{source}: {text!r} is not a requirement: {error}"
            ) from error
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        url = f" @ {requirement.url}" if requirement.url else ""
        specifier = ",".join(sorted(str(spec) for spec in requirement.specifier))
        marker = f"; {requirement.marker}" if requirement.marker else ""
        result.add(f"{canonicalize_name(requirement.name)}{extras}{specifier}{url}{marker}")
    return tuple(sorted(result))
