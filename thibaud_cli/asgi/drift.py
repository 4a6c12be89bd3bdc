"""Whether ``asgi.py`` still wraps ``application`` as its recorded chain renders it.

A hand edit (a wrap deleted, an option changed, a middleware wrapped by hand) is
kept by every command, and the answers file then no longer tells what the server
runs. The wraps are compared as Python, not as text: formatting and comments do
not count, what is called, with what, in what order does.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from thibaud_cli.asgi.codegen import chain_code
from thibaud_cli.asgi.spec import MiddlewareEntry


@dataclass(frozen=True)
class Wrap:
    """One ``application = Middleware(application, ...)`` statement."""

    #: The call as Python source, one line (``ast.unparse``).
    source: str
    #: The call's syntax tree, without positions: equal when the code is.
    shape: str


def wraps(source: str) -> tuple[Wrap, ...] | None:
    """Every statement that wraps ``application``, in order; None if *source* does not parse.

    A wrap assigns ``application`` a call whose first argument is ``application``,
    at any depth (the template's own wraps may sit under ``if settings.DEBUG``).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return tuple(
        Wrap(ast.unparse(node.value), ast.dump(node.value)) for node in _wrap_assigns(tree)
    )


def _wrap_assigns(tree: ast.Module) -> list[ast.Assign]:
    """The statements of *tree* that wrap ``application``, in the order of the source."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [_name(target) for target in node.targets] == ["application"]
        and isinstance(node.value, ast.Call)
        and node.value.args
        and _name(node.value.args[0]) == "application"
    ]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))  # walk: breadth-first


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def drift(on_disk: str, rendered: str) -> str | None:
    """How *on_disk* wraps ``application`` differently from *rendered*; None if it does not.

    *rendered* is ``asgi.py`` as the template renders it for the recorded chain.
    """
    ours, recorded = wraps(on_disk), wraps(rendered)
    if ours is None:
        return "it is not valid Python"
    if recorded is None or [w.shape for w in ours] == [w.shape for w in recorded]:
        return None
    missing = Counter(w.shape for w in recorded) - Counter(w.shape for w in ours)
    extra = Counter(w.shape for w in ours) - Counter(w.shape for w in recorded)
    differences = [
        f"it no longer has {_quoted(recorded, shape)}" for shape in _in_order(recorded, missing)
    ] + [
        f"it has {_quoted(ours, shape)}, which the chain does not record"
        for shape in _in_order(ours, extra)
    ]
    return "; ".join(differences) or "it applies the same middleware in another order"


def _in_order(found: tuple[Wrap, ...], shapes: Counter[str]) -> list[str]:
    return [shape for shape in dict.fromkeys(w.shape for w in found) if shapes[shape]]


def _quoted(found: tuple[Wrap, ...], shape: str) -> str:
    source = next(w.source for w in found if w.shape == shape)
    return f"'application = {source}'"


def still_wrapped(on_disk: str, chain: Sequence[MiddlewareEntry]) -> tuple[MiddlewareEntry, ...]:
    """The entries of *chain* whose wrap *on_disk* still has (see ``_found``), in order."""
    found = _found(on_disk, chain_code(chain).wraps)
    return tuple(entry for entry, wrap in zip(chain, found, strict=True) if wrap is not None)


def _found(on_disk: str, lines: Sequence[str]) -> list[str | None]:
    """For each wrap line of the chain's code, *on_disk*'s statement that stands for it
    (None: deleted); every line as it is when *on_disk* does not parse.

    A wrap counts by the name it calls, matched in order: one whose options were
    changed by hand is still there (an edit of the user's, kept); one deleted is not
    (``regenerate-asgi`` puts it back).
    """
    try:
        tree = ast.parse(on_disk)
    except (SyntaxError, ValueError):
        return list(lines)
    on_disk_wraps: dict[str | None, list[str]] = {}
    for node in _wrap_assigns(tree):
        assert isinstance(node.value, ast.Call)
        text = ast.get_source_segment(on_disk, node) or ast.unparse(node)
        on_disk_wraps.setdefault(_name(node.value.func), []).append(text)
    found: list[str | None] = []
    for line in lines:
        same = on_disk_wraps.get(line.removeprefix("application = ").partition("(")[0])
        found.append(same.pop(0) if same else None)
    return found


def restoring_sides(
    rendered: str, on_disk: str, code: Mapping[str, Sequence[str]]
) -> tuple[str, str]:
    """The base and theirs of the merge that gives *on_disk* back the chain's lines it
    lost, keeping every other edit.

    *rendered* is the template's ``asgi.py`` for the recorded chain, whose lines are
    *code* (its ``asgi_middleware_imports`` and ``asgi_middleware_wraps``). Theirs is
    *rendered* with each wrap *on_disk* changed by hand as it is there; the base is
    theirs without what *on_disk* deleted: the wrap of a middleware it no longer calls,
    an import line it no longer has.
    """
    theirs = "\n" + rendered
    found = _found(on_disk, code["asgi_middleware_wraps"])
    for line, wrap in zip(code["asgi_middleware_wraps"], found, strict=True):
        if wrap is not None:
            theirs = theirs.replace(f"\n{line}\n", f"\n{wrap}\n", 1)
    base = theirs
    deleted = [line for line in code["asgi_middleware_imports"] if line and line not in on_disk]
    deleted += [line for line, w in zip(code["asgi_middleware_wraps"], found, strict=True) if not w]
    for line in deleted:
        base = base.replace(f"\n{line}\n", "\n", 1)
    return base[1:], theirs[1:]
