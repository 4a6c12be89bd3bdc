"""Which template files could render to one project file, told from their names.

copier renders every part of a source path, strips the templates suffix from the
last one, and writes the file there. A file whose last part is literal (no markup
the template's Jinja environment knows) lands under that name and no other, so
only files whose last part is the wanted name (with or without the suffix), or is
not literal, can render to it. That is how ``asgi.py`` is rendered alone without
rendering, or even reading, the other thousand files of a template.

Also here: what else a render of those few files reads (``!include``\\ d YAML,
``{% include %}``\\ d templates), and what makes a render depend on where the
template was read from (copier's ``_copier_conf`` and ``_copier_answers``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from thibaud_cli.template.syntax import DEFAULT_ANSWERS_FILE, DEFAULT_SUFFIX, TemplateSyntax

#: copier's answers file, named as its documentation shows: it renders under the
#: ``_answers_file`` name, whatever else it reads (``_copier_answers``).
_ANSWERS_FILE_PART = re.compile(r"\{\{-?\s*_copier_conf\.answers_file\s*-?\}\}")
#: Template variables whose value is the template's location or commit: a copy of
#: the template elsewhere renders them differently.
READS_ITS_SOURCE = re.compile(rb"_copier_conf|_copier_answers")
#: ``{% include "x" %}``, ``{% import 'x' as y %}``, ``{% extends %}``, ``{% from %}``.
_JINJA_REFERENCE = re.compile(
    rb"\{%[-+]?\s*(?:include|import|extends|from)\b(.*?)[-+]?%\}", re.DOTALL
)
_STRING = rb"\"[^\"\n]*\"|'[^'\n]*'"
_QUOTED = re.compile(rb"\"([^\"\n]*)\"|'([^'\n]*)'")
#: A tag's names when they are literal: a string, or a list or tuple of strings, then
#: nothing or a keyword (``ignore missing``, ``with context``, ``as x``, ``import x``).
_LITERAL_NAMES = re.compile(
    rb"\s*(?:" + _STRING + rb"|[(\[](?:\s*(?:" + _STRING + rb")\s*,?)*[)\]])"
    rb"\s*(?:$|(?:ignore|with|without|as|import)\s)"
)
_YAML_INCLUDE = re.compile(rb"!include\s+(?:\"([^\"\n]*)\"|'([^'\n]*)'|([^\s#,\]}]+))")


@dataclass(frozen=True)
class TemplateLayout:
    """The settings of ``copier.yml`` that decide where a source file renders."""

    suffix: str = DEFAULT_SUFFIX
    #: ``_subdirectory`` as a relative path ("" for none); None when it is templated
    #: or leaves the template: then any file of the repository may be a source.
    subdirectory: str | None = ""
    #: Every string that starts Jinja markup in this template's environment.
    markers: tuple[str, ...] = TemplateSyntax().markup_starts
    #: The last part of ``_answers_file``.
    answers_file: str = DEFAULT_ANSWERS_FILE

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> TemplateLayout:
        """The layout ``copier.yml``'s parsed *config* (keys with ``_``) declares."""
        syntax = TemplateSyntax.of(config)
        markers = syntax.markup_starts
        return cls(
            suffix=syntax.suffix,
            subdirectory=_plain_subdirectory(syntax.subdirectory, set(markers)),
            markers=markers,
            answers_file=syntax.answers_file_name,
        )

    def is_literal(self, part: str) -> bool:
        return "\n" not in part and "\r" not in part and not any(m in part for m in self.markers)

    def could_render_to(self, source: str, name: str) -> bool:
        """Whether the template file *source* could render to a file named *name*."""
        last = PurePosixPath(source).name
        if self.suffix and last.endswith(self.suffix):
            # copier strips the last extension of a templated name, whatever the suffix.
            last = PurePosixPath(last).with_suffix("").name
        if _ANSWERS_FILE_PART.fullmatch(last) and self.is_literal(self.answers_file):
            return self.answers_file == name
        return last == name or not self.is_literal(last)

    def sources(self, paths: Iterable[str]) -> frozenset[str] | None:
        """*paths* (relative to the repository) relative to the subdirectory: what
        copier's walk calls them. None when the subdirectory is not known."""
        if self.subdirectory is None:
            return None
        if not self.subdirectory:
            return frozenset(paths)
        prefix = self.subdirectory + "/"
        return frozenset(path.removeprefix(prefix) for path in paths if path.startswith(prefix))


def _plain_subdirectory(value: Any, markers: set[str]) -> str | None:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or any(marker in value for marker in markers):
        return None
    parts = [part for part in PurePosixPath(value).parts if part != "."]
    if not parts or PurePosixPath(value).is_absolute() or ".." in parts:
        return None if parts else ""
    return "/".join(parts)


def candidates(paths: Iterable[str], target: str, layout: TemplateLayout) -> frozenset[str]:
    """The files among *paths* that could render to *target* (a project path), wherever
    they are: copier's templated-sibling check looks at the template's root too."""
    name = PurePosixPath(target).name
    return frozenset(path for path in paths if layout.could_render_to(path, name))


def jinja_references(text: bytes) -> set[str] | None:
    """The templates *text* includes, imports or extends by a literal name; None when
    a reference is not a literal string (the name is computed)."""
    found: set[str] = set()
    for tag in _JINJA_REFERENCE.finditer(text):
        literal = _LITERAL_NAMES.match(tag.group(1))
        if literal is None:
            return None
        names = [a or b for a, b in _QUOTED.findall(literal.group(0))]
        found.update(name.decode("utf-8", "surrogateescape") for name in names)
    return found


def yaml_includes(text: bytes, paths: Iterable[str], directory: str) -> set[str] | None:
    """The files of *paths* that ``copier.yml``'s *text* (in *directory*) may
    ``!include``: a superset of copier's glob. None when an include cannot be read."""
    patterns = [a or b or c for a, b, c in _YAML_INCLUDE.findall(text)]
    if len(patterns) != text.count(b"!include"):
        return None
    found: set[str] = set()
    for raw in patterns:
        pattern = raw.decode("utf-8", "surrogateescape")
        if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
            return None  # copier refuses it: let it say so
        full = f"{directory}/{pattern}" if directory else pattern
        # fnmatch's * also crosses "/": more than pathlib's glob, never less.
        found.update(fnmatch.filter(paths, full.replace("**/", "*")))
    return found
