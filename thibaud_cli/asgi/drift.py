"""Whether ``asgi.py`` still wraps ``application`` as its recorded chain renders it.

A hand edit (a wrap deleted, an option changed, a middleware wrapped by hand) is
kept by every command, and the answers file then no longer tells what the server
runs. The wraps are compared as Python, not as text: formatting and comments do
not count, what is called, with what, in what order does.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass


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
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [_name(target) for target in node.targets] == ["application"]
        and isinstance(node.value, ast.Call)
        and node.value.args
        and _name(node.value.args[0]) == "application"
    ]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))  # ast.walk is breadth-first
    return tuple(Wrap(ast.unparse(node.value), ast.dump(node.value)) for node in calls)


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
