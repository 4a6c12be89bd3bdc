"""The ``MIDDLEWARE`` setting: found in the settings module and edited in place.

The setting is found where its value is written: the settings module itself, or the
project module it star-imports (``from .base import *``) or imports the setting from,
as settings packages do. Only a list or tuple of string literals is edited, as a
concrete syntax tree (libcst): one element goes in or out with its own line (or its
place on the line), every comment and the quotes in use stay. Additions made after it
(``MIDDLEWARE += [...]``, ``MIDDLEWARE.insert(...)``) are left as they are. A value that
is computed, or that lives outside the project, is refused with what to write by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from thibaud_cli.errors import SettingError
from thibaud_cli.project.contract import module_file

SETTING = "MIDDLEWARE"
#: How many modules a star import may lead through before the setting is found.
_MAX_HOPS = 8

_Change = Callable[["cst.List | cst.Tuple"], "cst.List | cst.Tuple"]


@dataclass(frozen=True)
class MiddlewareSetting:
    """The literal that holds ``MIDDLEWARE``, and the file it is in."""

    path: Path
    #: The file, relative to the project.
    relative: str
    source: str
    entries: tuple[str, ...]
    line: int

    def added(self, dotted: str, index: int) -> str:
        """The file with *dotted* inserted at *index* of the setting."""
        return _edit(self, lambda sequence: _insert(sequence, index, _string(dotted, sequence)))

    def removed(self, dotted: str) -> str:
        """The file without the last occurrence of *dotted* in the setting."""
        index = len(self.entries) - 1 - self.entries[::-1].index(dotted)
        return _edit(self, lambda sequence: _delete(sequence, index))


def find_setting(project_dir: Path, root: Path, settings_module: str) -> MiddlewareSetting:
    """The literal ``MIDDLEWARE`` of *settings_module* (a module under *root*)."""
    found = _find(project_dir, root, settings_module, hops=0)
    if found is None:
        path = module_file(root, settings_module)
        where = path.relative_to(project_dir).as_posix() if path else settings_module
        raise SettingError(
            f"{where} defines no {SETTING}: add {SETTING} = [...] with the middleware to it "
            "by hand. Nothing was written."
        )
    return found


def _find(project_dir: Path, root: Path, module: str, *, hops: int) -> MiddlewareSetting | None:
    path = module_file(root, module)
    if path is None:
        raise SettingError(
            f"{SETTING} comes from {module}, which is not a file of the project (under "
            f"'{root}'): add the middleware to the project's settings by hand."
        )
    if hops > _MAX_HOPS:
        raise SettingError(
            f"{SETTING} is imported through more than {_MAX_HOPS} modules: add the "
            "middleware to it by hand. Nothing was written."
        )
    relative = path.relative_to(project_dir).as_posix()
    try:
        source = path.read_bytes().decode("utf-8")  # every byte kept, CRLF included
    except UnicodeDecodeError as error:
        raise SettingError(
            f"{relative} is not UTF-8 text (at offset {error.start}): save it as UTF-8, then "
            "run the command again. Nothing was written."
        ) from None
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SettingError(
            f"{relative} is not valid Python (line {error.raw_line}): fix it, then run the "
            "command again. Nothing was written."
        ) from None
    found = _literal_in(tree, relative)
    if isinstance(found, int):
        return MiddlewareSetting(path, relative, source, _strings(tree, found), _line(tree, found))
    for named, origin in found:  # the last import first: it is the one that binds
        target = _resolve(origin, module, path)
        if not named and module_file(root, target) is None:
            continue  # a star import of the framework's or a library's module
        result = _find(project_dir, root, target, hops=hops + 1)
        if result is not None or named:
            return result
    return None


def _literal_in(tree: cst.Module, relative: str) -> int | list[tuple[bool, str]]:
    """The index of the top-level statement that assigns the literal, else the modules
    it may come from: ``(named, module)`` for each ``from module import MIDDLEWARE``
    (named) or star import, the last first."""
    literal: int | None = None
    origins: list[tuple[bool, str]] = []
    for index, statement in enumerate(tree.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                kind = _binding_kind(small)
                if kind == "literal":
                    literal, origins = index, []
                elif kind == "computed":
                    _refuse_computed(relative, tree, index)
                elif kind is not None:
                    named, origin = kind.split(":", 1)
                    if named == "named":
                        literal, origins = None, []
                    origins.append((named == "named", origin))
        elif _assigns_inside(statement):
            _refuse_computed(relative, tree, index)
    if literal is not None:
        return literal
    return origins[::-1]


def _binding_kind(small: cst.BaseSmallStatement) -> str | None:
    if isinstance(small, cst.Assign | cst.AnnAssign):
        targets = (
            [target.target for target in small.targets]
            if isinstance(small, cst.Assign)
            else [small.target]
        )
        if not any(isinstance(t, cst.Name) and t.value == SETTING for t in targets):
            return None
        value = small.value
        if len(targets) == 1 and _sequence_of_strings(value):
            return "literal"
        return "computed"
    if isinstance(small, cst.ImportFrom):
        dots = "." * len(small.relative)
        origin = f"{dots}{_dotted(small.module) if small.module else ''}"
        if isinstance(small.names, cst.ImportStar):
            return f"star:{origin}"
        if any(_name_of(alias) == SETTING for alias in small.names):
            return f"named:{origin}"
    return None


def _sequence_of_strings(value: cst.BaseExpression | None) -> bool:
    if isinstance(value, cst.List):
        pass
    elif isinstance(value, cst.Tuple) and value.lpar:
        pass
    else:
        return False
    return all(
        isinstance(element, cst.Element)
        and isinstance(element.value, cst.SimpleString)
        and isinstance(element.value.evaluated_value, str)
        for element in value.elements
    )


def _assigns_inside(statement: cst.BaseStatement) -> bool:
    """Whether a compound statement assigns ``MIDDLEWARE`` (``+=`` and calls are fine)."""

    class Finder(cst.CSTVisitor):
        found = False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Assign(self, node: cst.Assign) -> None:
            self.found |= any(
                isinstance(t.target, cst.Name) and t.target.value == SETTING for t in node.targets
            )

    finder = Finder()
    statement.visit(finder)
    return finder.found


def _refuse_computed(relative: str, tree: cst.Module, index: int) -> None:
    raise SettingError(
        f"{SETTING} in {relative} is not a list of strings the tool can edit safely (line "
        f"{_line(tree, index)}: it is computed, or assigned in a block): add the middleware "
        "to it by hand. Nothing was written."
    )


def _resolve(found: str, module: str, path: Path) -> str:
    level = len(found) - len(found.lstrip("."))
    name = found.lstrip(".")
    if not level:
        return name
    package = module.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - level + 1]
    return ".".join([*base, name] if name else base)


def _name_of(alias: cst.ImportAlias) -> str:
    return (
        alias.asname.name.value
        if alias.asname and isinstance(alias.asname.name, cst.Name)
        else _dotted(alias.name)
    )


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _value(tree: cst.Module, index: int) -> cst.List | cst.Tuple:
    statement = tree.body[index]
    assert isinstance(statement, cst.SimpleStatementLine)
    for small in statement.body:
        if _binding_kind(small) == "literal":
            assert isinstance(small, cst.Assign | cst.AnnAssign)
            assert isinstance(small.value, cst.List | cst.Tuple)
            return small.value
    raise AssertionError("no literal in the statement")


def _strings(tree: cst.Module, index: int) -> tuple[str, ...]:
    values = []
    for element in _value(tree, index).elements:
        assert isinstance(element.value, cst.SimpleString)
        evaluated = element.value.evaluated_value
        assert isinstance(evaluated, str)
        values.append(evaluated)
    return tuple(values)


def _line(tree: cst.Module, index: int) -> int:
    positions = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    return positions[tree.body[index]].start.line


def _edit(setting: MiddlewareSetting, change: _Change) -> str:
    tree = cst.parse_module(setting.source)
    index = _statement_index(tree)
    old = _value(tree, index)

    class Replace(cst.CSTTransformer):
        def leave_List(self, original: cst.List, updated: cst.List) -> cst.BaseExpression:
            return change(updated) if original is old else updated

        def leave_Tuple(self, original: cst.Tuple, updated: cst.Tuple) -> cst.BaseExpression:
            return change(updated) if original is old else updated

    return tree.visit(Replace()).code


def _statement_index(tree: cst.Module) -> int:
    found = _literal_in(tree, "")
    assert isinstance(found, int)
    return found


# -- one element in or out, its layout kept ---------------------------------------------


def _string(dotted: str, sequence: cst.List | cst.Tuple) -> cst.SimpleString:
    """*dotted* quoted as the setting's strings are."""
    quote = '"'
    for element in sequence.elements:
        if isinstance(element.value, cst.SimpleString):
            quote = element.value.quote[0]
            break
    return cst.SimpleString(f"{quote}{dotted}{quote}")


def _opening(sequence: cst.List | cst.Tuple) -> cst.BaseParenthesizableWhitespace:
    if isinstance(sequence, cst.List):
        return sequence.lbracket.whitespace_after
    return sequence.lpar[0].whitespace_after


def _closing(sequence: cst.List | cst.Tuple) -> cst.BaseParenthesizableWhitespace:
    if isinstance(sequence, cst.List):
        return sequence.rbracket.whitespace_before
    return sequence.rpar[-1].whitespace_before


def _with_gaps(
    sequence: cst.List | cst.Tuple,
    elements: Sequence[cst.BaseElement],
    opening: cst.BaseParenthesizableWhitespace | None = None,
    closing: cst.BaseParenthesizableWhitespace | None = None,
) -> cst.List | cst.Tuple:
    changes: dict[str, object] = {"elements": list(elements)}
    if isinstance(sequence, cst.List):
        if opening is not None:
            changes["lbracket"] = sequence.lbracket.with_changes(whitespace_after=opening)
        if closing is not None:
            changes["rbracket"] = sequence.rbracket.with_changes(whitespace_before=closing)
    else:
        if opening is not None:
            changes["lpar"] = [
                sequence.lpar[0].with_changes(whitespace_after=opening),
                *sequence.lpar[1:],
            ]
        if closing is not None:
            changes["rpar"] = [
                *sequence.rpar[:-1],
                sequence.rpar[-1].with_changes(whitespace_before=closing),
            ]
    return sequence.with_changes(**changes)


def _newline_only(gap: cst.ParenthesizedWhitespace) -> cst.TrailingWhitespace:
    return cst.TrailingWhitespace(newline=gap.first_line.newline)


def _insert(
    sequence: cst.List | cst.Tuple, index: int, value: cst.SimpleString
) -> cst.List | cst.Tuple:
    """*sequence* with *value* at *index*.

    On a list laid out one element per line, the new element gets a line of its own,
    right after the line of the element before it (that line's comment stays there);
    the blank and comment lines that preceded the next element still precede it.
    """
    elements = list(sequence.elements)
    opening = _opening(sequence)
    if not elements:
        if isinstance(opening, cst.ParenthesizedWhitespace):  # "[\n]": a line of its own
            line_end = cst.Comma(whitespace_after=opening.with_changes(empty_lines=[]))
            indented = opening.with_changes(last_line=cst.SimpleWhitespace("    "))
            return _with_gaps(sequence, [cst.Element(value, comma=line_end)], opening=indented)
        return _with_gaps(sequence, [cst.Element(value)])
    if not isinstance(opening, cst.ParenthesizedWhitespace):
        return _insert_inline(sequence, elements, index, value)
    indent = opening.last_line
    if index < len(elements):
        gap = opening if index == 0 else _after(elements[index - 1])
        assert isinstance(gap, cst.ParenthesizedWhitespace)
        head = gap.with_changes(empty_lines=[], last_line=indent)
        tail = gap.with_changes(first_line=_newline_only(gap))
        new = cst.Element(value, comma=cst.Comma(whitespace_after=tail))
        if index == 0:
            return _with_gaps(sequence, [new, *elements], opening=head)
        previous = elements[index - 1]
        assert isinstance(previous.comma, cst.Comma)
        elements[index - 1] = previous.with_changes(
            comma=previous.comma.with_changes(whitespace_after=head)
        )
        return _with_gaps(sequence, [*elements[:index], new, *elements[index:]])
    last = elements[-1]
    closing = _closing(sequence)
    if not isinstance(closing, cst.ParenthesizedWhitespace):
        return _insert_inline(sequence, elements, index, value)
    head = closing.with_changes(empty_lines=[], last_line=indent)
    tail = closing.with_changes(first_line=_newline_only(closing))
    if isinstance(last.comma, cst.Comma):
        elements[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=head))
        new = cst.Element(value, comma=cst.Comma(whitespace_after=last.comma.whitespace_after))
    else:
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=head))
        new = cst.Element(value)
    return _with_gaps(sequence, [*elements, new], closing=tail)


def _insert_inline(
    sequence: cst.List | cst.Tuple,
    elements: list[cst.BaseElement],
    index: int,
    value: cst.SimpleString,
) -> cst.List | cst.Tuple:
    separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if index < len(elements):
        return _with_gaps(
            sequence, [*elements[:index], cst.Element(value, comma=separator), *elements[index:]]
        )
    last = elements[-1]
    elements[-1] = last.with_changes(comma=separator)
    return _with_gaps(sequence, [*elements, cst.Element(value, comma=last.comma)])


def _after(element: cst.BaseElement) -> cst.BaseParenthesizableWhitespace:
    assert isinstance(element.comma, cst.Comma)
    return element.comma.whitespace_after


def _delete(sequence: cst.List | cst.Tuple, index: int) -> cst.List | cst.Tuple:
    """*sequence* without the element at *index*: the inverse of :func:`_insert`."""
    elements = list(sequence.elements)
    gone = elements.pop(index)
    if not elements:
        opening = _opening(sequence)
        if isinstance(opening, cst.ParenthesizedWhitespace):  # back to "[\n]"
            back = opening.with_changes(last_line=cst.SimpleWhitespace(""))
            return _with_gaps(sequence, [], opening=back, closing=cst.SimpleWhitespace(""))
        empty = cst.SimpleWhitespace("")
        return _with_gaps(sequence, [], opening=empty, closing=empty)
    opening = _opening(sequence)
    if index < len(elements):  # not the last: its line goes, with the comment on it
        assert isinstance(gone.comma, cst.Comma)
        tail = gone.comma.whitespace_after
        gap = opening if index == 0 else _after(elements[index - 1])
        if isinstance(gap, cst.ParenthesizedWhitespace) and isinstance(
            tail, cst.ParenthesizedWhitespace
        ):
            merged = gap.with_changes(
                empty_lines=[*gap.empty_lines, *tail.empty_lines], last_line=tail.last_line
            )
            if index == 0:
                return _with_gaps(sequence, elements, opening=merged)
            previous = elements[index - 1]
            assert isinstance(previous.comma, cst.Comma)
            elements[index - 1] = previous.with_changes(
                comma=previous.comma.with_changes(whitespace_after=merged)
            )
        return _with_gaps(sequence, elements)
    previous = elements[-1]
    gap = _after(previous)
    closing = _closing(sequence)
    if isinstance(gap, cst.ParenthesizedWhitespace) and isinstance(
        closing, cst.ParenthesizedWhitespace
    ):
        merged = closing.with_changes(
            first_line=gap.first_line, empty_lines=[*gap.empty_lines, *closing.empty_lines]
        )
        if isinstance(gone.comma, cst.Comma):
            comma: cst.Comma | cst.MaybeSentinel = previous.comma.with_changes(  # type: ignore[union-attr]
                whitespace_after=gone.comma.whitespace_after
            )
        else:
            comma = cst.MaybeSentinel.DEFAULT
        elements[-1] = previous.with_changes(comma=comma)
        return _with_gaps(sequence, elements, closing=merged)
    elements[-1] = previous.with_changes(comma=gone.comma)
    return _with_gaps(sequence, elements)
