"""What a project depends on, directly or not: the names it must not take for itself.

A project named like one of its own dependencies breaks at its first install: pip
cannot install a distribution that depends on itself (``ResolutionImpossible``), and
a package named like a dependency's module shadows it (or is shadowed). The rendered
project says what it needs, for the answers given (``project.declared``). What those
need in turn is known only for what is installed here (importlib.metadata): their
whole closure, with the top-level modules each installs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from importlib.metadata import Distribution


@dataclass(frozen=True)
class Dependencies:
    """The distributions a project depends on, directly or not, and their modules."""

    #: Canonical distribution names (``dj-database-url``).
    distributions: frozenset[str]
    #: Top-level module names the installed ones provide (``dj_database_url``).
    modules: frozenset[str]
    #: Each requirement (as written) and the distributions it depends on, itself included.
    each: tuple[tuple[str, frozenset[str]], ...] = ()

    def requiring(self, wanted: str) -> list[str]:
        """The requirements (as written) that are *wanted* or, as far as what is
        installed here knows, depend on it (startproject: which bring Django in)."""
        name = canonicalize_name(wanted)
        return [requirement for requirement, closure in self.each if name in closure]

    def clash(self, name: str) -> str | None:
        """The distribution or module *name* would collide with, if any."""
        canonical = canonicalize_name(name)
        if canonical in self.distributions:
            return canonical
        if name in self.modules:
            return name
        return None


def dependencies_of(requirements: Iterable[Requirement]) -> Dependencies:
    """*requirements* and, for those installed here, everything they require in turn
    (markers evaluated for this interpreter and the extras asked), with the
    top-level modules of every installed one, and what each requirement needs."""
    requirements = list(requirements)
    if not requirements:
        return Dependencies(frozenset(), frozenset())
    # Walked and read once for all: the walk, and parsing each one's metadata, are the cost.
    installed = _installed_by_name()
    read: dict[tuple[str, frozenset[str]], list[Requirement]] = {}
    distributions, modules = _closure(requirements, installed, read, modules=True)
    each = tuple((str(one), _closure([one], installed, read)[0]) for one in requirements)
    return Dependencies(distributions, modules, each)


def _installed_by_name() -> dict[str, Distribution]:
    # One walk of the installed distributions: asking for each by name walks them again.
    from importlib import metadata

    installed_by_name: dict[str, Distribution] = {}
    for found in metadata.distributions():
        name = _installed_name(found)
        if name:
            installed_by_name.setdefault(canonicalize_name(name), found)
    return installed_by_name


def _closure(
    requirements: Iterable[Requirement],
    installed_by_name: dict[str, Distribution],
    read: dict[tuple[str, frozenset[str]], list[Requirement]],
    *,
    modules: bool = False,
) -> tuple[frozenset[str], frozenset[str]]:
    """The distributions *requirements* depend on, and (with *modules*, which reads
    each one's file list) their top-level modules. *read*: what each installed one
    needs with the extras asked, kept across calls."""
    distributions: set[str] = set()
    found_modules: set[str] = set()
    pending = [(requirement, frozenset(requirement.extras)) for requirement in requirements]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in distributions:
            continue
        distributions.add(name)
        installed = installed_by_name.get(name)
        if installed is None:
            continue
        if modules:
            found_modules.update(_top_level_modules(installed))
        if (name, extras) not in read:
            read[name, extras] = _needs(installed, extras)
        pending += [(needed, frozenset(needed.extras)) for needed in read[name, extras]]
    return frozenset(distributions), frozenset(found_modules)


def _needs(installed: Distribution, extras: frozenset[str]) -> list[Requirement]:
    """What *installed* requires, with *extras*, for this interpreter."""
    needs = []
    for text in installed.requires or ():
        try:
            needed = Requirement(text)
        except InvalidRequirement:
            continue
        if needed.marker is None or any(
            needed.marker.evaluate({"extra": extra}) for extra in (extras or {""})
        ):
            needs.append(needed)
    return needs


def _installed_name(distribution: Distribution) -> str | None:
    """The ``Name`` field of *distribution*'s core metadata.

    Read from the head of the file alone: ``Distribution.metadata`` parses all of it,
    long description included, which for every installed distribution would cost
    most of the check (35 to 60 ms for 124 of them, against 5).
    """
    text = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO") or ""
    for line in text.splitlines():
        if not line:
            break  # the fields end at the first empty line; the description follows
        field, _, value = line.partition(":")
        if field.strip().lower() == "name":
            return value.strip()
    return None


def _top_level_modules(distribution: Distribution) -> set[str]:
    """The modules a distribution installs at the top level: its ``top_level.txt``,
    else the first part of each Python file or package it records."""
    listed = distribution.read_text("top_level.txt")
    if listed:
        return {line.strip() for line in listed.splitlines() if line.strip()}
    found: set[str] = set()
    # RECORD read as it is: ``Distribution.files`` checks that each file exists.
    for row in csv.reader((distribution.read_text("RECORD") or "").splitlines()):
        parts = PurePosixPath(row[0]).parts if row else ()
        if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
            continue
        if len(parts) == 1:
            if parts[0].endswith(".py"):
                found.add(parts[0].removesuffix(".py"))
            elif parts[0].endswith(".so"):
                found.add(parts[0].split(".", 1)[0])
        elif parts[0].isidentifier():
            found.add(parts[0])
    return found
