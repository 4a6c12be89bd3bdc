"""The chain edited into an ASGI module as a concrete syntax tree, for the modules no
template with hooks renders: the framework's stock ``asgi.py``, a router or a function
bound to ``application``, a module already wrapped by hand.

libcst keeps every byte it is not asked to change: comments, docstrings, blank lines,
quotes, the user's own code. A middleware added is one statement, ``application =
Middleware(application, ...)``, right after the last statement that binds
``application`` (so a later one wraps outermost), and one ``from ... import ...``
statement per module, at the end of the module's first block of imports. Removing it
removes exactly those statements, so the last one removed gives the file back byte
for byte. Names are chosen so as to shadow nothing the module uses.

Which wraps are the chain's is told from the recorded chain: matched from the last
binding backwards, a wrap is the chain's when its callee is imported from the
recorded middleware and its keywords are the recorded options. A wrap the user
wrote is never taken for one of ours unless it is exactly the same.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from thibaud_cli.asgi.codegen import fresh_name, import_line, member_order, wrap_line
from thibaud_cli.asgi.spec import MiddlewareEntry, ObjectPath, python_literal
from thibaud_cli.errors import EntryPointError, MiddlewareChainError

_APPLICATION = "application"


@dataclass(frozen=True)
class _Binding:
    """A top-level statement that binds ``application``."""

    index: int  # in the module's body
    #: Set when the binding is inside a compound statement (if, try, with, for...).
    block: str | None
    line: int


@dataclass(frozen=True)
class _Wrap:
    """``application = Name(application, key=value, ...)``, one statement on its line."""

    index: int
    callee: str
    keywords: dict[str, cst.BaseExpression]


class ModuleSource:
    """An ASGI module's source, parsed, and the chain's place in it."""

    def __init__(self, source: str, relative: str) -> None:
        self.relative = relative
        try:
            self.module = cst.parse_module(source)
            self._lines = _statement_lines(self.module)
        except cst.ParserSyntaxError as error:
            raise EntryPointError(
                f"{relative} is not valid Python (line {error.raw_line}): {error.message}. "
                "Nothing was written; fix it, then run the command again."
            ) from None
        except RecursionError:
            # libcst walks the tree recursively: brackets nested a couple of hundred deep.
            raise EntryPointError(
                f"{relative} nests its code too deeply to be edited safely. Nothing was "
                "written; flatten the deepest expression, then run the command again."
            ) from None

    @property
    def code(self) -> str:
        return self.module.code

    # -- what the module binds -------------------------------------------------------

    def _bindings(self) -> list[_Binding]:
        found = []
        for index, statement in enumerate(self.module.body):
            line = self._lines[index]
            if isinstance(statement, cst.SimpleStatementLine):
                if any(_binds(small) for small in statement.body):
                    found.append(_Binding(index, None, line))
            elif isinstance(statement, cst.FunctionDef | cst.ClassDef):
                if statement.name.value == _APPLICATION:
                    found.append(_Binding(index, None, line))
            elif _binds_inside(statement):
                found.append(_Binding(index, _block_name(statement), line))
        return found

    def anchor(self) -> _Binding:
        """The last top-level binding of ``application``: wraps go right after it."""
        bindings = self._bindings()
        if not bindings:
            raise EntryPointError(
                f"{self.relative} does not bind `application` at its top level: there is "
                "nothing to wrap. Bind the ASGI application there (application = "
                "get_asgi_application()), or name the module with --asgi-module. "
                "Nothing was written."
            )
        last = bindings[-1]
        if last.block is not None:
            raise EntryPointError(
                f"{self.relative} binds `application` last inside {last.block} (line "
                f"{last.line}): a wrap after it would not apply to every branch. Bind "
                "`application` once after that block (or wrap it by hand inside each "
                "branch). Nothing was written."
            )
        return last

    def _imported(self) -> dict[str, tuple[ObjectPath, int]]:
        """Each name bound by a top-level ``from module import name`` (absolute), with
        the object and the statement's index."""
        names: dict[str, tuple[ObjectPath, int]] = {}
        for index, statement in enumerate(self.module.body):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.ImportFrom) or small.relative:
                    continue
                if small.module is None or isinstance(small.names, cst.ImportStar):
                    continue
                module = _dotted(small.module)
                for alias in small.names:
                    attribute = _dotted(alias.name)
                    bound = _dotted(alias.asname.name) if alias.asname else attribute
                    if module and attribute and "." not in attribute:
                        names[bound] = (ObjectPath(module, attribute), index)
        return names

    def _wraps(self) -> list[_Wrap]:
        found = []
        for index, statement in enumerate(self.module.body):
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            assign = statement.body[0]
            if not (
                isinstance(assign, cst.Assign)
                and len(assign.targets) == 1
                and _is_name(assign.targets[0].target, _APPLICATION)
                and isinstance(assign.value, cst.Call)
                and isinstance(assign.value.func, cst.Name)
            ):
                continue
            arguments = assign.value.args
            if not arguments or arguments[0].keyword is not None or arguments[0].star:
                continue
            if not _is_name(arguments[0].value, _APPLICATION):
                continue
            keywords = {}
            for argument in arguments[1:]:
                if argument.keyword is None or argument.star:
                    break
                keywords[argument.keyword.value] = argument.value
            else:
                found.append(_Wrap(index, assign.value.func.value, keywords))
        return found

    # -- the chain in the module ----------------------------------------------------

    def locate(self, chain: Sequence[MiddlewareEntry], *, exact: bool = True) -> list[_Wrap | None]:
        """The wrap of each entry of *chain* (innermost first), or None where the
        module no longer has it, matched from the last binding backwards; unless
        *exact*, a wrap of the same middleware with the same keywords given other
        values matches too."""
        imported = self._imported()
        wraps = self._wraps()
        found: list[_Wrap | None] = [None] * len(chain)
        limit = len(wraps)
        for position in range(len(chain) - 1, -1, -1):
            for candidate in range(limit - 1, -1, -1):
                if self._matches(wraps[candidate], chain[position], imported, exact=exact):
                    found[position] = wraps[candidate]
                    limit = candidate
                    break
        return found

    def _matches(
        self,
        wrap: _Wrap,
        entry: MiddlewareEntry,
        imported: dict[str, tuple[ObjectPath, int]],
        *,
        exact: bool = True,
    ) -> bool:
        if imported.get(wrap.callee, (None,))[0] != entry.target:
            return False
        if set(wrap.keywords) != set(entry.options):
            return False
        if not exact:
            return True  # an option's value changed by hand
        for key, value in entry.options.items():
            expression = wrap.keywords[key]
            if value.reference is not None:
                if not isinstance(expression, cst.Name):
                    return False
                if imported.get(expression.value, (None,))[0] != value.reference:
                    return False
            elif _literal_source(self.module.code_for_node(expression)) != value.source:
                return False
        return True

    def drift(self, chain: Sequence[MiddlewareEntry]) -> str | None:
        """What of *chain* the module no longer applies, said for the user; None if it
        applies all of it."""
        missing = [
            wrap_line(entry, _plain_names).replace("\n", " ").replace(",)", ")")
            for entry, wrap in zip(chain, self.locate(chain), strict=True)
            if wrap is None
        ]
        if not missing:
            return None
        return "; ".join(f"it no longer has '{' '.join(line.split())}'" for line in missing)

    # -- changes --------------------------------------------------------------------

    def add(
        self,
        chain: Sequence[MiddlewareEntry],
        entry: MiddlewareEntry,
        first_party: set[str],
        *,
        allow_duplicate: bool = False,
        restoring: bool = False,
    ) -> str:
        """The module with *entry* wrapped outermost around *chain* (already in it).

        A middleware the module already wraps ``application`` in by hand is refused
        unless *allow_duplicate*: two identical wraps could not be told apart later.
        When *restoring* a recorded wrap deleted by hand, an import of its objects that
        nothing uses any more is the one the wrap left behind: it is used again.
        """
        anchor = self.anchor()
        imported = self._imported()
        located = self.locate(chain)
        if not allow_duplicate:
            self._refuse_hand_wrap(entry.target, located, imported)
        ours = {
            name: target
            for wrap, recorded in zip(located, chain, strict=True)
            if wrap is not None
            for name, target in _names_of(wrap, recorded).items()
        }
        reuse = {target: name for name, target in ours.items() if name in imported}
        if restoring:
            reuse = {**self._left_behind(imported), **reuse}
        taken = _names_used(self.module) | set(dir(builtins))
        new_imports: dict[ObjectPath, str] = {}

        def bind(path: ObjectPath) -> str:
            if path in reuse:
                return reuse[path]
            if path not in new_imports:
                new_imports[path] = fresh_name(path, taken)
                taken.add(new_imports[path])
            return new_imports[path]

        config = self.module.config_for_parsing
        wrap = _statement(wrap_line(entry, bind), config)
        anchored = self.module.body[anchor.index]
        if isinstance(anchored, cst.FunctionDef | cst.ClassDef):
            # Two blank lines after a function or a class, as PEP 8 (and ruff) want.
            blank = cst.EmptyLine(indent=False, newline=cst.Newline())
            wrap = wrap.with_changes(leading_lines=[blank, blank])
        body = list(self.module.body)
        body.insert(anchor.index + 1, wrap)
        our_imports = {imported[name][1] for name in ours if name in imported}
        placed = self._import_statements(new_imports, first_party, anchor.index, our_imports)
        # Inserted from the last place up, so that each index still means what it did
        # (at one place, the others' imports before the project's own).
        for index, _, statement in sorted(placed, key=lambda item: item[:2], reverse=True):
            body.insert(index, statement)
        return self._checked(self.module.with_changes(body=body).code)

    def _left_behind(self, imported: dict[str, tuple[ObjectPath, int]]) -> dict[ObjectPath, str]:
        """Each object a ``from`` import binds to a name nothing else in the module
        uses (the last such import of it: ours go after the user's)."""
        used = _names_used(self.module, skip_imports=True)
        return {target: name for name, (target, _) in imported.items() if name not in used}

    def _refuse_hand_wrap(
        self,
        target: ObjectPath,
        located: Sequence[_Wrap | None],
        imported: dict[str, tuple[ObjectPath, int]],
    ) -> None:
        ours = {wrap.index for wrap in located if wrap is not None}
        for wrap in self._wraps():
            if wrap.index not in ours and imported.get(wrap.callee, (None,))[0] == target:
                raise MiddlewareChainError(
                    f"{self.relative} already wraps application in {target} (line "
                    f"{self._lines[wrap.index]}, not by thibaud-admin): pass "
                    "--allow-duplicate to wrap it again. Nothing was written."
                )

    def _import_statements(
        self,
        new_imports: dict[ObjectPath, str],
        first_party: set[str],
        anchor: int,
        our_imports: set[int],
    ) -> list[tuple[int, int, cst.SimpleStatementLine]]:
        """Where each new import statement goes (an index of the current body), in order."""
        by_module: dict[str, list[str]] = {}
        for path, name in new_imports.items():
            member = path.attribute if name == path.attribute else f"{path.attribute} as {name}"
            by_module.setdefault(path.module, []).append(member)
        end, last_theirs = self._import_block(anchor, first_party)
        placed: list[tuple[int, int, cst.SimpleStatementLine]] = []
        config = self.module.config_for_parsing
        # isort's groups: the project's own imports after a blank line, unless only imports
        # of ours come before (or none): once those are gone, the blank line would lead
        # the file, and be taken for the file's own when it is parsed again.
        grouped = (end > 0 and self._is_first_party(end - 1, first_party)) or not any(
            _is_import(self.module.body[index]) and index not in our_imports for index in range(end)
        )
        for module in sorted(by_module, key=lambda name: (name.lower(), name)):
            members = ", ".join(sorted(by_module[module], key=member_order))
            statement = _statement(import_line(module, members), config)
            if module.split(".")[0] in first_party:
                if end > 0 and not grouped:
                    blank = cst.EmptyLine(indent=False, newline=cst.Newline())
                    statement = statement.with_changes(leading_lines=[blank])
                    grouped = True
                placed.append((end, len(placed) + 1000, statement))
            else:
                placed.append((last_theirs, len(placed), statement))
        return placed

    def _import_block(self, anchor: int, first_party: set[str]) -> tuple[int, int]:
        """The end of the module's first block of imports (where first-party imports
        go) and the end of its last import of another package (where the others go)."""
        body = self.module.body
        start = next((i for i in range(anchor + 1) if _is_import(body[i])), None)
        if start is None:
            return anchor, anchor
        end = start
        while end < len(body) and end <= anchor and _is_import(body[end]):
            end += 1
        last_theirs = end
        while last_theirs > start and self._is_first_party(last_theirs - 1, first_party):
            last_theirs -= 1
        return end, last_theirs

    def _is_first_party(self, index: int, first_party: set[str]) -> bool:
        statement = self.module.body[index]
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.ImportFrom):
                if small.relative or (
                    small.module is not None and _dotted(small.module).split(".")[0] in first_party
                ):
                    return True
            elif isinstance(small, cst.Import):
                if any(_dotted(alias.name).split(".")[0] in first_party for alias in small.names):
                    return True
        return False

    def remove(self, chain: Sequence[MiddlewareEntry], position: int) -> str | None:
        """The module without the wrap of ``chain[position]`` (and the imports only it
        used), even if its keywords were changed by hand; None when the module no
        longer wraps application in that middleware."""
        wrap = self.locate(chain)[position] or self.locate(chain, exact=False)[position]
        if wrap is None:
            return None
        names = set(_names_of(wrap, chain[position]))
        body = [s for i, s in enumerate(self.module.body) if i != wrap.index]
        module = self.module.with_changes(body=body)
        still_used = _names_used(module, skip_imports=True)
        unused = names - still_used
        if unused:
            module = module.with_changes(body=_without_imports(module.body, unused))
        return self._checked(module.code)

    def _checked(self, text: str) -> str:
        """*text*, once Python itself parses it (libcst accepts deeper nesting)."""
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
            reason = getattr(error, "msg", None) or type(error).__name__
            raise EntryPointError(
                f"{self.relative} would no longer be valid Python after this change "
                f"({reason}). Nothing was written."
            ) from None
        return text


# -- helpers on libcst nodes --------------------------------------------------------------


def _statement_lines(module: cst.Module) -> list[int]:

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    return [positions[statement].start.line for statement in module.body]


def _statement(code: str, config: cst.PartialParserConfig) -> cst.SimpleStatementLine:
    parsed = cst.parse_statement(code + "\n", config=config)
    assert isinstance(parsed, cst.SimpleStatementLine)
    return parsed


def _dotted(node: cst.BaseExpression | cst.Name | cst.Attribute) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _binds(small: cst.BaseSmallStatement) -> bool:
    """Whether one simple statement binds ``application``."""
    if isinstance(small, cst.Assign):
        return any(_target_binds(target.target) for target in small.targets)
    if isinstance(small, cst.AnnAssign):
        return small.value is not None and _target_binds(small.target)
    if isinstance(small, cst.AugAssign):
        return _target_binds(small.target)
    if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
        small.names, cst.ImportStar
    ):
        for alias in small.names:
            bound = (
                _dotted(alias.asname.name) if alias.asname else _dotted(alias.name).split(".")[0]
            )
            if bound == _APPLICATION:
                return True
    return False


def _target_binds(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Name):
        return target.value == _APPLICATION
    if isinstance(target, cst.Tuple | cst.List):
        return any(_target_binds(element.value) for element in target.elements)
    if isinstance(target, cst.StarredElement):
        return _target_binds(target.value)
    return False


def _binds_inside(statement: cst.BaseStatement) -> bool:
    """Whether a compound statement binds ``application`` in one of its blocks (not
    inside a function or class it defines, whose names are their own)."""

    class Finder(cst.CSTVisitor):
        found = False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.found |= node.name.value == _APPLICATION
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.found |= node.name.value == _APPLICATION
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
            self.found |= any(_binds(small) for small in node.body)
            return True

        def visit_For(self, node: cst.For) -> bool:
            self.found |= _target_binds(node.target)
            return True

        def visit_AsName(self, node: cst.AsName) -> bool:
            self.found |= (
                _is_name(node.name, _APPLICATION) if isinstance(node.name, cst.Name) else False
            )
            return True

        def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
            self.found |= _is_name(node.target, _APPLICATION)
            return True

    finder = Finder()
    statement.visit(finder)
    return finder.found


def _block_name(statement: cst.BaseStatement) -> str:
    return {
        "If": "an if block",
        "Try": "a try block",
        "TryStar": "a try block",
        "With": "a with block",
        "For": "a for loop",
        "While": "a while loop",
        "Match": "a match block",
    }.get(type(statement).__name__, "a block")


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _names_used(module: cst.Module, *, skip_imports: bool = False) -> set[str]:
    """Every name the module mentions (or, with *skip_imports*, uses outside its
    import statements)."""

    class Collector(cst.CSTVisitor):
        def __init__(self) -> None:
            self.names: set[str] = set()

        def visit_Import(self, node: cst.Import) -> bool:
            return not skip_imports

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return not skip_imports

        def visit_Name(self, node: cst.Name) -> None:
            self.names.add(node.value)

    collector = Collector()
    module.visit(collector)
    return collector.names


def _names_of(wrap: _Wrap, entry: MiddlewareEntry) -> dict[str, ObjectPath]:
    """The names a wrap of ours imports: its callee and its references."""
    names = {wrap.callee: entry.target}
    for key, value in entry.options.items():
        expression = wrap.keywords.get(key)
        if value.reference is not None and isinstance(expression, cst.Name):
            names[expression.value] = value.reference
    return names


def _without_imports(body: Sequence[cst.BaseStatement], names: set[str]) -> list[cst.BaseStatement]:
    """*body* with the top-level ``from`` imports of *names* taken out; a statement
    left with nothing to import goes whole, with its leading lines."""
    kept: list[cst.BaseStatement] = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                aliases = [alias for alias in small.names if _bound_name(alias) not in names]
                if not aliases:
                    continue
                if len(aliases) != len(small.names):
                    last = aliases[-1]
                    if small.rpar is None:  # no parentheses: no trailing comma allowed
                        aliases[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    statement = statement.with_changes(body=[small.with_changes(names=aliases)])
        kept.append(statement)
    return kept


def _bound_name(alias: cst.ImportAlias) -> str:
    return _dotted(alias.asname.name) if alias.asname else _dotted(alias.name)


def _literal_source(code: str) -> str | None:
    """The canonical source of the literal *code* (as the chain records options)."""
    try:
        return python_literal(ast.literal_eval(code))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _plain_names(path: ObjectPath) -> str:
    return path.attribute
