"""Which framework a project's code targets: Thibaud, or Django, of which it is a fork.

Decided once, here, from each Python file's syntax tree: an ``import django`` (or a
``from django... import``) targets Django, and so does a project that names
``DJANGO_SETTINGS_MODULE`` without ever naming the variable Thibaud reads. A comment or a
string that mentions django (``HELP = "from django.conf import settings"``) is no import
of it, and a module named like Django's third-party apps (``django_environ``) is not
Django. validate-template's ``framework`` check, ``startproject`` (which will not create
a Django project) and the middleware commands (which will not wrap a Django project's
``asgi.py``) all ask :func:`project_targets_django` or :func:`sources_target_django`.

A project whose code targets Thibaud still targets Django when its declared dependencies
bring Django in (django-axes, dj-database-url...): validate-template --install asks the
built environment which requirement does (``checks/environments/django_dependency.py``)
and says it with :func:`describe_django_dependency`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thibaud_cli.fs.walk import walk_files_typed

if TYPE_CHECKING:
    from thibaud_cli.project.requirements import Dependencies

#: Where docs/templates.md tells how to port a Django template (or a project made from one).
PORTING = "port it as docs/templates.md says (Porting a Django template)"
#: The framework a project must not target instead: Thibaud is its renamed fork.
_OTHER = "django"
_OTHER_VARIABLE = "DJANGO_SETTINGS_MODULE"


@dataclass(frozen=True)
class DjangoTarget:
    """Where a project's code shows it targets Django: the first place, and how many."""

    #: The file (relative to the project) and line of the first place.
    file: str
    line: int
    #: What is there: ``imports django``, or the settings variable set without Thibaud's.
    what: str
    #: How many places say so in all (the first included).
    places: int
    #: Whether the code imports django (else it only sets Django's settings variable).
    imports: bool = True

    def describe(self, subject: str = "template") -> str:
        """The one line that says it: ``imports django at config/asgi.py:3: this
        template targets Django, not Thibaud: port it as ...``. *subject* is what
        targets Django: the ``template`` or the ``project``."""
        more = f" (and {self.places - 1} more places)" if self.places > 1 else ""
        return (
            f"{self.what} at {self.file}:{self.line}{more}: this {subject} targets Django, "
            f"not Thibaud: {PORTING}"
        )


def _places(tree: ast.AST, ours: str) -> tuple[list[int], list[int], bool]:
    """The lines of *tree* that import ``django`` or a module of it, those that name
    ``DJANGO_SETTINGS_MODULE``, and whether it names *ours* (Thibaud's variable)."""
    imports: list[int] = []
    settings: list[int] = []
    names_ours = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == _OTHER for alias in node.names):
                imports.append(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == _OTHER:
                imports.append(node.lineno)
        elif isinstance(node, ast.Constant):
            if node.value == _OTHER_VARIABLE:
                settings.append(node.lineno)
            names_ours = names_ours or node.value == ours
    return imports, settings, names_ours


def sources_target_django(sources: Iterable[tuple[str, bytes]]) -> DjangoTarget | None:
    """Whether the Python *sources* (``(relative path, code)``) target Django, and where
    they show it; None when they target Thibaud. A file that does not parse says
    nothing (the compile check, or Python, reports it)."""
    from thibaud.conf import ENVIRONMENT_VARIABLE  # the variable the installed Thibaud reads

    imports: list[tuple[str, int]] = []
    settings: list[tuple[str, int]] = []
    ours = False
    for relative, code in sources:
        # A file whose text names neither framework cannot say which it targets: only the
        # others are parsed (parsing every file cost a third of a bundled startproject's
        # render).
        if not any(word in code for word in (b"django", b"DJANGO", ENVIRONMENT_VARIABLE.encode())):
            continue
        try:
            tree = ast.parse(code, relative)
        except (SyntaxError, ValueError):
            continue
        lines, named, names_ours = _places(tree, ENVIRONMENT_VARIABLE)
        imports += [(relative, line) for line in lines]
        settings += [(relative, line) for line in named]
        ours = ours or names_ours
    found = sorted(imports) or ([] if ours else sorted(settings))
    if not found:
        return None
    file, line = found[0]
    what = "imports django" if imports else f"sets {_OTHER_VARIABLE}, never {ENVIRONMENT_VARIABLE},"
    return DjangoTarget(file, line, what, len(found), imports=bool(imports))


def project_targets_django(project_dir: Path) -> DjangoTarget | None:
    """:func:`sources_target_django` of every Python file of *project_dir* (paths
    relative to it). A symlink is read where it leads inside the project (a render
    refuses one that leads outside), not a second time through the link."""

    def sources() -> Iterator[tuple[str, bytes]]:
        for path, is_link in walk_files_typed(project_dir):
            if is_link or path.suffix != ".py":
                continue
            try:
                code = path.read_bytes()
            except OSError:
                continue  # the compile check reports it
            yield str(path.relative_to(project_dir)), code

    return sources_target_django(sources())


def declared_targets_django(dependencies: Dependencies) -> list[str]:
    """Those of a project's declared requirements (*dependencies*, as written) that are
    Django or, as far as what is installed here knows, require it: startproject installs
    nothing, so a Django ecosystem package this interpreter does not hold is not found
    (validate-template --install finds it in the environment it builds)."""
    return dependencies.requiring(_OTHER)


def describe_django_dependency(requirements: list[str], source: str | None) -> str:
    """The one line that says the declared *requirements* (read from *source*, when
    known) bring Django in: ``django-axes==6.5.0 declared at requirements.txt brings
    Django in: Django ecosystem packages do not run on Thibaud; port it as ...``. Empty
    *requirements*: Django is there and no declared requirement explains it."""
    where = f" at {source}" if source else ""
    if not requirements:
        what = "the installed dependencies hold Django"
    elif len(requirements) == 1 and _named(requirements[0]) == _OTHER:
        targets = "this template targets Django, not Thibaud"
        return f"{requirements[0]} is declared{where}: {targets}; {PORTING}"
    else:
        verb = "brings" if len(requirements) == 1 else "bring"
        names = ", ".join(requirements)
        # Without its file (startproject reads them all): "the declared X brings".
        what = f"{names} declared{where}" if source else f"the declared {names}"
        what = f"{what} {verb} Django in"
    return f"{what}: Django ecosystem packages do not run on Thibaud; {PORTING}"


def _named(requirement: str) -> str:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    return canonicalize_name(Requirement(requirement).name)
