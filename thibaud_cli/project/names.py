"""Validation of project names: before anything is written."""

from __future__ import annotations

import importlib.machinery
import keyword
import os
import re
import site
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from thibaud_cli.errors import InvalidProjectName

if TYPE_CHECKING:
    from thibaud_cli.project.requirements import Dependencies

_NOT_IDENTIFIER_CHARS = re.compile(r"[^A-Za-z0-9_]+")


def suggest_identifier(name: str) -> str:
    """The closest valid identifier to *name*: ``my-site`` -> ``my_site``."""
    candidate = _NOT_IDENTIFIER_CHARS.sub("_", name.strip()).strip("_").lower()
    if not candidate:
        return "mysite"
    if candidate[0].isdigit():
        candidate = f"project_{candidate}"
    if keyword.iskeyword(candidate) or _is_importable(candidate):
        candidate = f"{candidate}_project"
    return candidate


def _is_importable(name: str, python_path: Sequence[Path] = ()) -> bool:
    """Whether the project's interpreter would import *name* from its own libraries.

    The standard library, site-packages and installed import hooks count, and so do
    the directories of *python_path* (``--pythonpath``: the user said modules come
    from there, as Thibaud's startproject, which looks them up on ``sys.path``,
    would find). Other ``sys.path`` entries do not: the current directory
    (``python -m`` puts it first), a test runner's root, a directory an editable
    install adds: the project does not run from there, so a folder ``api/`` or
    ``mysite/`` in one is no module the project would clash with. Nothing is
    imported: finders only locate.
    """
    if name in sys.builtin_module_names or name in sys.stdlib_module_names:
        return True
    libraries = [*map(str, python_path), *_library_path()]
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            # PathFinder reads sys.path unless given a path: give it the libraries only.
            path = libraries if finder is importlib.machinery.PathFinder else None
            if find_spec(name, path) is not None:
                return True
        except (ImportError, ValueError):
            continue
    return False


def _library_path() -> list[str]:
    """The ``sys.path`` entries inside the interpreter's installation or site-packages."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        roots.add(site.getusersitepackages())
    real_roots = [os.path.realpath(root) for root in roots]
    cwd = os.path.realpath(os.getcwd())
    entries = []
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else cwd
        if real != cwd and any(
            real == root or real.startswith(root + os.sep) for root in real_roots
        ):
            entries.append(entry)
    return entries


def validate_project_name(name: str, *, python_path: Sequence[Path] = ()) -> None:
    """Raise :class:`InvalidProjectName` unless *name* can name a new project package.

    The name must be a Python identifier, not a keyword, not a dunder name, and not
    the name of a module that is already importable (``os``, ``json``, ``thibaud``, an
    installed package, a module in a *python_path* directory): the project's package
    would shadow it, or be shadowed.
    """
    if not name:
        raise InvalidProjectName("The project name is empty: give a name such as 'mysite'.")
    if not name.isidentifier() or not name.isascii():
        raise InvalidProjectName(
            f"'{name}' is not a valid project name: it must be a Python identifier "
            f"(letters, digits and underscores, not starting with a digit). "
            f"Try '{suggest_identifier(name)}'."
        )
    if keyword.iskeyword(name):
        raise InvalidProjectName(
            f"'{name}' is not a valid project name: it is a Python keyword. Try '{name}_project'."
        )
    if name.startswith("__") and name.endswith("__"):
        raise InvalidProjectName(
            f"'{name}' is not a valid project name: dunder names are reserved. "
            f"Try '{suggest_identifier(name)}'."
        )
    if _is_importable(name, python_path):
        raise InvalidProjectName(
            f"'{name}' conflicts with the name of an existing Python module: "
            f"please try another name, such as '{name}_project'."
        )


def refuse_dependency_clash(name: str, dependencies: Dependencies) -> None:
    """Raise :class:`InvalidProjectName` if *name* is a distribution or a top-level
    module a project depends on (*dependencies*: what the rendered project declares,
    directly or through what is installed here): its first ``pip install -e .``
    would fail, or its package would shadow the dependency's."""
    clash = dependencies.clash(name)
    if clash is None:
        return
    suggestion = next(
        (
            candidate
            for candidate in (f"{name}_site", f"{name}_project", f"my_{name}_site")
            if dependencies.clash(candidate) is None and not _is_importable(candidate)
        ),
        f"my_{name}_site",
    )
    raise InvalidProjectName(
        f"'{name}' is taken: the project depends on '{clash}', and a project of that name "
        f"could not be installed beside it. Try '{suggestion}'."
    )
