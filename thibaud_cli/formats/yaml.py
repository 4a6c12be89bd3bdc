"""YAML from users and templates: one safe loader, its limits, its errors in one line.

Every YAML document we read (an answers file, a ``--matrix`` file, a template's
``copier.yml`` read from git) comes through :func:`load`: PyYAML's safe loader (plain
data, no tag that builds an object), aliases refused where a document never needs
them. A document is also bounded in how many values it expands to once its aliases
are followed (:func:`too_large`): nine nested aliases make a billion values (a YAML
bomb) that anything walking it would expand. ``copier.yml`` as copier reads it
(``!include``) comes through copier's own loader (``template/engine/copier_support.py``),
held to the same bound and described the same way (:func:`describe_error`).

The files we write (the answers file, the middleware record) are written by
:func:`dump`. PyYAML is imported inside the functions: ``--help`` never pays for it.
"""

from __future__ import annotations

from typing import Any

#: How many values a document may hold once its aliases are expanded. Aliases are
#: legitimate (``<<: *defaults``); a billion values are not.
MAX_VALUES = 100_000


class YamlError(ValueError):
    """A document that is not valid YAML: what is wrong, and where (1-based)."""

    def __init__(self, message: str, problem: str | None, line: int | None, column: int | None):
        super().__init__(message)
        self.problem = problem
        self.line = line
        self.column = column


def load(text: str, *, aliases: bool = True) -> Any:
    """The plain data *text* holds; without *aliases*, a document with one (``*name``)
    is refused. Raises :class:`YamlError`."""
    import yaml

    loader = yaml.SafeLoader if aliases else _no_alias_loader()
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise YamlError(
            str(error),
            getattr(error, "problem", None),
            mark.line + 1 if mark is not None else None,
            mark.column + 1 if mark is not None else None,
        ) from error


def dump(document: Any) -> str:
    """*document* as the files we write hold YAML: keys in their order, Unicode kept,
    lines of at most 88 characters."""
    import yaml

    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88))


def _no_alias_loader() -> type[Any]:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed", event.start_mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def describe_error(error: BaseException) -> tuple[str, int | None]:
    """One line saying what is wrong with a YAML document, and the line it is on: for a
    :class:`YamlError`, or PyYAML's own error (copier's loader raises those)."""
    if isinstance(error, YamlError):
        problem, line, column = error.problem, error.line, error.column
    else:
        problem = getattr(error, "problem", None)
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
    if problem is None:
        return str(error).splitlines()[0], None
    where = f" at line {line}, column {column}" if line is not None else ""
    return f"{problem}{where}", line


def too_large(document: Any) -> bool:
    """Whether *document* holds more than :data:`MAX_VALUES` values, aliases expanded."""
    return _expanded_size(document, MAX_VALUES) > MAX_VALUES


def _expanded_size(value: Any, budget: int) -> int:
    """How many values *value* holds with every alias expanded, counting no further
    than *budget* (so a bomb costs no more than *budget* steps)."""
    count = 0
    pending = [value]
    while pending and count <= budget:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return count
