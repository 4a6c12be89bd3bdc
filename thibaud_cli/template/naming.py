"""Which question startproject's NAME answers: the one that names the project's package.

A template may say so (``_thibaud.name_question``). Published templates never do, so
otherwise the question is read from the template's own file names, before anything
renders:

1. the question whose answer names the directory that holds the settings and ASGI
   modules (``{{ project_slug }}/settings.py.jinja`` beside ``asgi.py``), or that the
   declared modules start with (``_thibaud.asgi: "{{ project_slug }}.asgi"``);
2. when that directory has a name of its own (``config/``, as cookiecutter-django has
   it), the question that names the one Python package beside it
   (``{{ project_slug }}/__init__.py``);
3. else ``project_name``, unless the template asks it as a display name: a default
   that is not an identifier ("My Project") is one, and keeps it.

A variable a file name is made of need not be a declared question: copier renders
with every answer it is given, and small templates use ``{{ project_name }}`` without
asking it. None when nothing fits: NAME then names the project's directory only, and
the user is told so (never ignored in silence).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from thibaud_cli.fs.walk import walk_files
from thibaud_cli.template.contract import DEFAULT_NAME_QUESTION, declaration

_ENTRY_MODULES = ("asgi", "settings")
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"


def find_name_question(
    template_root: Path, settings: Mapping[str, Any], questions: Mapping[str, Any]
) -> str | None:
    """The question NAME answers in the template at *template_root*.

    *settings* are copier's settings without their underscore (copier's
    ``config_data``: ``subdirectory``, ``templates_suffix``, ``envops``, ``thibaud``),
    *questions* its questions by name (copier's ``questions_data``).
    """
    declared = declaration(settings)
    if "name_question" in declared:
        return str(declared["name_question"])
    layout = _Layout.of(settings)
    for key in _ENTRY_MODULES:
        module = declared.get(key)
        first = layout.variable(str(module).split(".")[0]) if module else None
        if first is not None:
            return first
    found = _named_by_the_tree(template_root, layout)
    if found is not None:
        return found
    if DEFAULT_NAME_QUESTION in questions and _is_display_name(questions[DEFAULT_NAME_QUESTION]):
        return None
    return DEFAULT_NAME_QUESTION


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``copier.yml`` as read from disk, as (settings without the underscore, questions)."""
    settings = {key[1:]: value for key, value in config.items() if key.startswith("_")}
    questions = {key: value for key, value in config.items() if not key.startswith("_")}
    return settings, questions


class _Layout:
    """How the template names its files: where they start, suffix, delimiters."""

    def __init__(self, subdirectory: str, suffix: str, start: str, end: str) -> None:
        self.subdirectory = subdirectory
        self.suffix = suffix
        self._variable = re.compile(rf"{re.escape(start)}-?\s*({_IDENTIFIER})\s*-?{re.escape(end)}")
        self._markup = (start, "{%", "{#")

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> _Layout:
        envops = settings.get("envops")
        envops = envops if isinstance(envops, Mapping) else {}
        subdirectory = settings.get("subdirectory")
        suffix = settings.get("templates_suffix", ".jinja")
        return cls(
            subdirectory if isinstance(subdirectory, str) else "",
            suffix if isinstance(suffix, str) else ".jinja",
            str(envops.get("variable_start_string", "{{")),
            str(envops.get("variable_end_string", "}}")),
        )

    def variable(self, part: str) -> str | None:
        """The variable a path part is nothing but (``{{ project_slug }}``), if any:
        never one of copier's own (``_folder_name``)."""
        match = self._variable.fullmatch(part.strip())
        return match.group(1) if match and not match.group(1).startswith("_") else None

    def files(self, template_root: Path) -> list[PurePosixPath]:
        """The template's files, relative to where copier renders from, suffix removed."""
        # A subdirectory chosen by an answer is not known yet: then the whole template.
        literal = not any(marker in self.subdirectory for marker in self._markup)
        root = template_root / self.subdirectory if literal else template_root
        names = []
        for path in walk_files(root):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if relative.parts[0] == ".git":
                continue
            if self.suffix and relative.name.endswith(self.suffix):
                relative = relative.with_name(relative.name.removesuffix(self.suffix))
            names.append(relative)
        return names


def _named_by_the_tree(template_root: Path, layout: _Layout) -> str | None:
    holders: dict[str, set[PurePosixPath]] = {key: set() for key in _ENTRY_MODULES}
    packages: set[PurePosixPath] = set()
    for name in layout.files(template_root):
        for key in _ENTRY_MODULES:
            if name.name == f"{key}.py":
                holders[key].add(name.parent)
        if "settings" in name.parts[:-1]:  # a settings package (settings/base.py)
            holders["settings"].add(PurePosixPath(*name.parts[: name.parts.index("settings")]))
        if name.name == "__init__.py":
            packages.add(name.parent)
    modules = (holders["asgi"] & holders["settings"]) or holders["asgi"] or holders["settings"]
    named = {layout.variable(directory.name) for directory in modules} - {None}
    if len(named) == 1:
        return named.pop()
    beside = {
        layout.variable(package.name)
        for package in packages
        for directory in modules
        if package.parent == directory.parent and package != directory
    } - {None}
    if len(beside) == 1:
        return beside.pop()
    return None


def _is_display_name(question: Any) -> bool:
    """Whether a question's default is a name for people, not for Python."""
    default = question.get("default") if isinstance(question, Mapping) else question
    if default is None:
        return False  # no default: NAME is its answer
    text = str(default)
    if any(marker in text for marker in ("{{", "{%", "[[")):
        return False  # computed from other answers: nothing to keep
    return not text.isidentifier()
