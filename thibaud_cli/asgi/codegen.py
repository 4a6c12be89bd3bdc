"""The Python lines that wrap ``application`` in the middleware chain, built from data.

Imported objects are bound to names unique in ``asgi.py``, option values are written
with ``repr`` (:func:`~thibaud_cli.asgi.spec.python_literal`), and the imports are
grouped and ordered as isort wants them, so the file stays lint-clean.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from thibaud_cli.asgi.spec import MiddlewareEntry, ObjectPath

#: Names ``asgi.py`` binds itself; an import must not shadow them.
RESERVED_NAMES = frozenset({"os", "application", "get_asgi_application"})
_MAX_LINE = 88


@dataclass(frozen=True)
class ChainCode:
    """The lines of Python that apply a middleware chain in ``asgi.py``."""

    imports: tuple[str, ...]
    wraps: tuple[str, ...]


def chain_code(chain: Iterable[MiddlewareEntry], *, first_party: str | None = None) -> ChainCode:
    """Build the import and wrap lines for *chain*, innermost first.

    Each imported object is bound to a name unique in ``asgi.py``: its own name when
    that is free, else one derived from its module path. The imports are grouped
    and ordered as isort (ruff's ``I`` rules) wants them, so the file stays lint-clean.
    """
    bound: dict[ObjectPath, str] = {}
    taken = set(RESERVED_NAMES)

    def bind(path: ObjectPath) -> str:
        if path not in bound:
            bound[path] = fresh_name(path, taken)
            taken.add(bound[path])
        return bound[path]

    wraps = [wrap_line(entry, bind) for entry in chain]
    return ChainCode(imports=_import_lines(bound, first_party), wraps=tuple(wraps))


def fresh_name(path: ObjectPath, taken: Collection[str]) -> str:
    """The name *path* is imported as: its own when that is not in *taken*, else one
    derived from its module path."""
    name = path.attribute
    stem = f"{path.module.replace('.', '_')}_{path.attribute}"
    suffix = 1
    while name in taken:
        name = stem if suffix == 1 else f"{stem}_{suffix}"
        suffix += 1
    return name


def wrap_line(entry: MiddlewareEntry, bind: Callable[[ObjectPath], str]) -> str:
    """``application = Middleware(application, key=value...)``, objects named by *bind*."""
    name = bind(entry.target)  # before its references: the order names are taken in
    arguments = ["application"]
    for key, value in entry.options.items():
        expression = bind(value.reference) if value.reference else value.source
        arguments.append(f"{key}={expression}")
    return _call_line(name, arguments)


def member_order(name: str) -> tuple[int, str, str]:
    """isort's order of the names one ``from`` import brings in."""
    # isort's order-by-type: CONSTANTS, then Classes, then everything else.
    if name.isupper() and len(name) > 1:
        rank = 0
    elif name[:1].isupper():
        rank = 1
    else:
        rank = 2
    return rank, name.lower(), name


def _import_lines(bound: Mapping[ObjectPath, str], first_party: str | None) -> tuple[str, ...]:
    """Third-party imports, then (after a blank line) the project's own, as isort groups them."""
    ours = {path: name for path, name in bound.items() if path.module.split(".")[0] == first_party}
    theirs = {path: name for path, name in bound.items() if path not in ours}
    groups = [_sorted_imports(group) for group in (theirs, ours) if group]
    return tuple(
        line for index, group in enumerate(groups) for line in (*([""] if index else []), *group)
    )


def _sorted_imports(bound: Mapping[ObjectPath, str]) -> tuple[str, ...]:
    plain: dict[str, list[str]] = {}
    statements: list[tuple[str, str, str]] = []
    for path, name in bound.items():
        if name == path.attribute:
            plain.setdefault(path.module, []).append(name)
        else:
            statements.append((path.module, path.attribute, f"{path.attribute} as {name}"))
    for module, names in plain.items():
        names.sort(key=member_order)
        statements.append((module, names[0], ", ".join(names)))
    statements.sort(key=lambda item: (item[0].lower(), item[0], member_order(item[1])))
    return tuple(_import_line(module, members) for module, _, members in statements)


def _import_line(module: str, members: str) -> str:
    # The imports follow get_asgi_application() on purpose (some middleware read
    # settings when imported), so they carry the noqa for "import not at top".
    return import_line(module, members, noqa=True)


def import_line(module: str, members: str, *, noqa: bool = False) -> str:
    """``from module import members`` (``A, B as C``), in ruff format's layout."""
    marker = "  # noqa: E402" if noqa else ""
    line = f"from {module} import {members}{marker}"
    if len(line) <= _MAX_LINE:
        return line
    body = "".join(f"    {member},\n" for member in members.split(", "))
    return f"from {module} import ({marker}\n{body})"


def _call_line(name: str, arguments: list[str]) -> str:
    line = f"application = {name}({', '.join(arguments)})"
    if len(line) <= _MAX_LINE:
        return line
    # The layout ruff format gives a call that does not fit on one line.
    body = "".join(f"    {argument},\n" for argument in arguments)
    return f"application = {name}(\n{body})"


def template_data(
    chain: Iterable[MiddlewareEntry], *, first_party: str | None = None
) -> dict[str, list[str]]:
    """The variables a template receives for the chain (*first_party*: the project's package)."""
    code = chain_code(chain, first_party=first_party)
    return {
        "asgi_middleware_imports": list(code.imports),
        "asgi_middleware_wraps": list(code.wraps),
    }
