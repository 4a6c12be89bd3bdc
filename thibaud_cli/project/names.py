"""Validation of project names: before anything is written."""

from __future__ import annotations

import importlib.util
import keyword
import re

from thibaud_cli.errors import InvalidProjectName

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


def _is_importable(name: str) -> bool:
    # find_spec locates a top-level module without executing it.
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def validate_project_name(name: str) -> None:
    """Raise :class:`InvalidProjectName` unless *name* can name a new project package.

    The name must be a Python identifier, not a keyword, not a dunder name, and not
    the name of a module that is already importable (``os``, ``json``, ``thibaud``, an
    installed package): the project's package would shadow it, or be shadowed.
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
    if _is_importable(name):
        raise InvalidProjectName(
            f"'{name}' conflicts with the name of an existing Python module: "
            f"please try another name, such as '{name}_project'."
        )
