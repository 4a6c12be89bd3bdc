"""Version-control metadata: never copied from a template, never touched in a project.

copier excludes ``.git`` by default, but a template that sets its own ``_exclude``
replaces that list, and its ``.git`` (a clone of the template repository, with its
history and ``origin``) would then be rendered into the project, and merged three
ways into the project's own ``.git`` by ``update``. So the exclusions below are
appended to every render's, whatever the template says (:data:`VCS_EXCLUDES`), and
the rendered tree is checked again (:func:`refuse_foreign_metadata`), for them and for
thibaud-admin's own control directory (``.thibaud-admin``), which no template may
render at all.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path, PurePath

from thibaud_cli.errors import TemplateError
from thibaud_cli.fs.lock import CONTROL_DIRNAME
from thibaud_cli.fs.walk import walk_tree

#: Directory (or file) names that hold a version-control system's own data.
VCS_METADATA_NAMES = frozenset(
    {".git", ".hg", ".svn", ".bzr", "_darcs", "CVS", ".jj", ".pijul", ".fslckout", "_FOSSIL_"}
)
# Dot-names also in any letter case: case-insensitive file systems (macOS, Windows) open
# .GIT as .git. The others exactly: a package may well be called `cvs`.
_ANY_CASE = frozenset(name for name in VCS_METADATA_NAMES if name.startswith("."))


def _any_case(name: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in name)


#: gitwildmatch patterns (copier's ``exclude``), matching those names at any depth.
#: Appended last, so that no negation (``!.git``) in the template's list undoes them.
VCS_EXCLUDES: tuple[str, ...] = tuple(
    sorted(_any_case(name) if name in _ANY_CASE else name for name in VCS_METADATA_NAMES)
)

_FOLDED = frozenset(name.casefold() for name in _ANY_CASE)
_EXACT = VCS_METADATA_NAMES - _ANY_CASE


def _folded(part: str) -> str:
    # HFS+ ignores some invisible code points in names (CVE-2014-9390's ".g\u200cit").
    visible = "".join(c for c in part if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", visible).casefold()


def is_vcs_metadata(path: str | PurePath) -> bool:
    """Whether *path* (relative) is, or lies inside, version-control metadata."""
    return any(part in _EXACT or _folded(part) in _FOLDED for part in PurePath(path).parts)


def is_control_directory(name: str) -> bool:
    """Whether *name* (one path part) is thibaud-admin's control directory, in any case."""
    return _folded(name) == CONTROL_DIRNAME


def refuse_foreign_metadata(root: Path) -> None:
    """Raise :class:`TemplateError` if the rendered tree under *root* holds VCS metadata,
    or thibaud-admin's own control directory (whose journal a later command would roll
    back: a template must never be able to write one)."""
    for path in walk_tree(root):
        relative = path.relative_to(root)
        if is_control_directory(path.name):
            raise TemplateError(
                f"The template renders {relative}, thibaud-admin's own directory (its lock "
                "and journal), which no template may write: refused, nothing was written."
            )
        if is_vcs_metadata(path.name):
            raise TemplateError(
                f"The template renders {relative}, version-control metadata that a "
                "template may never write into a project: refused, nothing was written."
            )
