"""What a project declares it needs, read in one place: ``pyproject.toml``'s
``[project]`` table and requirements files.

Two readers stand on it. ``startproject`` reads leniently (:func:`declared_requirements`:
every dependency, optional ones and every ``requirements*.txt`` at the root, what does
not parse skipped, the project's own install will say what is wrong with it), to
refuse a name the project depends on. ``validate-template --install`` reads strictly
(``checks/environments/declared.py``: the first file that declares, ``-r`` includes
followed, anything it cannot install from refused in one line). Both read the files
here; names are compared as PEP 503 has them (``packaging.utils.canonicalize_name``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from thibaud_cli.errors import DependencyFileError

#: Where a project declares its requirements (``--install`` takes the first that has any).
PYPROJECT = "pyproject.toml"
REQUIREMENTS = "requirements.txt"


def project_table(pyproject: Path) -> dict[str, Any] | None:
    """``[project]`` of the ``pyproject.toml`` at *pyproject*; None when it has none.

    :class:`DependencyFileError` when the file does not read as TOML.
    """
    try:
        document = tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DependencyFileError(f"{PYPROJECT}: cannot be read: {error}") from error
    project = document.get("project")
    return project if isinstance(project, dict) else None


#: The options pip takes on a requirement's own line, after it (pip's
#: ``SUPPORTED_OPTIONS_REQ``): they say how to install it, not what it is.
#: ``pip-compile --generate-hashes`` writes ``--hash`` there, one a line.
PER_REQUIREMENT_OPTIONS = frozenset({"--hash", "--config-settings", "-C", "--global-option"})
#: A comment, as pip strips it: a ``#`` at the start of the line or after blank space.
_COMMENT = re.compile(r"(?:^|\s+)#.*$")


def requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a requirements file that say something, as pip reads them, each
    with the number of the line it starts on: a line ending in a backslash joined to
    the next, comments and blank lines left out. Options (``-r``, ``--index-url``...)
    are the caller's to handle; a requirement's own (:func:`split_options`) too."""
    start, joined = 0, ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not joined:
            start = number
        if raw.endswith("\\"):
            joined += raw[:-1]
            continue
        line, joined = _COMMENT.sub("", joined + raw).strip(), ""
        if line:
            yield start, line
    line = _COMMENT.sub("", joined).strip()
    if line:
        yield start, line


def split_options(line: str) -> tuple[str, list[str]]:
    """A requirement line's requirement and the options after it, as pip splits them
    (``break_args_options``): the options start at the first word that starts with
    ``-``. Each option comes as its name (``--hash``), its value left out."""
    words = line.split()
    for index, word in enumerate(words):
        if word.startswith("-"):
            options = [each.split("=", 1)[0] for each in words[index:] if each.startswith("-")]
            return " ".join(words[:index]), options
    return " ".join(words), []


def declared_requirements(root: Path) -> list[Requirement]:
    """The requirements the project at *root* declares: ``[project].dependencies`` and
    every group of ``[project].optional-dependencies`` (``pip install -e ".[dev]"``),
    and every ``requirements*.txt`` at the root. Unreadable entries are skipped: the
    project's own install will say what is wrong with them."""
    found: list[Requirement] = []
    for line in _declared_lines(root):
        try:
            found.append(Requirement(line))
        except InvalidRequirement:
            continue  # a URL or a path too: they name no distribution
    return found


def _declared_lines(root: Path) -> Iterator[str]:
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        try:
            project = project_table(pyproject) or {}
        except DependencyFileError:
            project = {}
        yield from _strings(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for group in optional.values():
                yield from _strings(group)
    for requirements in sorted(root.glob("requirements*.txt")):
        if not requirements.is_file():
            continue
        text = requirements.read_text("utf-8", errors="replace")
        # Options name no distribution (an -r include is read if it is one of these),
        # nor do a requirement's own (--hash=...).
        for _, line in requirement_lines(text):
            if not line.startswith("-"):
                yield split_options(line)[0]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))
