"""ASGI middleware specs, their options, and the Python lines that wrap ``application``.

Everything that ends up in ``asgi.py`` is built here from validated data: names are
checked identifiers, option values are Python literals rendered with ``repr``, and
references become imports. No option can inject code.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from thibaud_cli.errors import MiddlewareSpecError

#: Names ``asgi.py`` binds itself; an import must not shadow them.
RESERVED_NAMES = frozenset({"os", "application", "get_asgi_application"})

_LITERAL_TYPES = (str, int, float, bool, type(None), list, tuple, dict)
_MAX_LINE = 88
_OPTION_EXAMPLE = (
    "e.g. --option trusted_hosts='[\"10.0.0.1\"]', --option mode='\"legacy\"', "
    "--option enabled=True, or a reference --option hook=@mypkg.hooks.on_request"
)


def _check_dotted(path: str, what: str, original: str) -> None:
    parts = path.split(".")
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part) or not part.isascii():
            raise MiddlewareSpecError(
                f"'{original}' is not a valid {what}: '{part}' is not a Python identifier. "
                "Use the form pkg.module.Name or pkg.module:Name."
            )


@dataclass(frozen=True, order=True)
class ObjectPath:
    """A module-level object: ``pkg.module`` and the attribute ``Name`` in it."""

    module: str
    attribute: str

    @classmethod
    def parse(cls, text: str, *, what: str = "middleware SPEC") -> ObjectPath:
        """Parse ``pkg.mod.Name`` or ``pkg.mod:Name``."""
        original = text
        text = text.strip()
        if text.count(":") > 1:
            raise MiddlewareSpecError(
                f"'{original}' is not a valid {what}: use one ':' at most, as in pkg.module:Name."
            )
        if ":" in text:
            module, attribute = text.split(":")
        elif "." in text:
            module, _, attribute = text.rpartition(".")
        else:
            raise MiddlewareSpecError(
                f"'{original}' is not a valid {what}: it needs a module and a name, "
                "as in pkg.module.Name or pkg.module:Name."
            )
        if not module or not attribute:
            raise MiddlewareSpecError(
                f"'{original}' is not a valid {what}: use the form pkg.module.Name or "
                "pkg.module:Name."
            )
        _check_dotted(module, what, original)
        _check_dotted(attribute, what, original)
        if "." in attribute:
            raise MiddlewareSpecError(
                f"'{original}' is not a valid {what}: the part after ':' must be one "
                "name defined in the module."
            )
        return cls(module=module, attribute=attribute)

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


@dataclass(frozen=True)
class OptionValue:
    """One keyword argument value: a Python literal, or a reference to an object."""

    literal: Any = None
    reference: ObjectPath | None = None

    @classmethod
    def parse(cls, text: str, *, key: str = "KEY") -> OptionValue:
        """Parse an option value: ``@pkg.mod.name`` or a Python literal."""
        if text.startswith("@"):
            return cls(reference=ObjectPath.parse(text[1:], what=f"reference for {key}"))
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise MiddlewareSpecError(
                f"--option {key}={text}: the value is neither a Python literal nor an "
                f"@reference ({_OPTION_EXAMPLE}). Strings need Python quotes inside "
                f"the shell's: {key}='\"text\"'."
            ) from None
        _check_literal(value, key=key, text=text)
        return cls(literal=value)

    @classmethod
    def from_source(cls, source: str, *, key: str) -> OptionValue:
        """Inverse of :attr:`source`: how values are stored in the answers file."""
        return cls.parse(source, key=key)

    @property
    def source(self) -> str:
        """The Python expression for this value (also its form in the answers file)."""
        if self.reference is not None:
            return f"@{self.reference}"
        return python_literal(self.literal)


def python_literal(value: Any) -> str:
    """*value* as Python source, in the style ruff format gives (double quotes).

    Built from ``repr`` of the leaves, so ``ast.literal_eval`` of the result gives
    *value* back.
    """
    if isinstance(value, str):
        text = repr(value)
        # repr() picks single quotes unless the string holds a single quote and no
        # double one; only then may the quotes simply be swapped.
        if text.startswith("'") and '"' not in value:
            return f'"{text[1:-1]}"'
        return text
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({python_literal(value[0])},)"
        return "(" + ", ".join(python_literal(item) for item in value) + ")"
    if isinstance(value, dict):
        items = (f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def _check_literal(value: Any, *, key: str, text: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, _LITERAL_TYPES):
            raise MiddlewareSpecError(
                f"--option {key}={text}: {type(item).__name__} values are not supported; "
                "use str, int, float, bool, None, list, tuple or dict."
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise MiddlewareSpecError(
                f"--option {key}={text}: infinite or NaN numbers cannot be written as "
                "Python literals."
            )
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())


def parse_option(text: str) -> tuple[str, OptionValue]:
    """Parse one ``KEY=VALUE`` given with ``--option``."""
    key, separator, value = text.partition("=")
    key = key.strip()
    if not separator:
        raise MiddlewareSpecError(f"--option {text}: expected KEY=VALUE ({_OPTION_EXAMPLE}).")
    if not key.isidentifier() or keyword.iskeyword(key) or not key.isascii():
        raise MiddlewareSpecError(
            f"--option {text}: '{key}' is not a valid keyword argument name: use a Python "
            "identifier such as trusted_hosts."
        )
    if key == "app":
        raise MiddlewareSpecError(
            f"--option {text}: 'app' is the wrapped application, passed first; it "
            "cannot be an option."
        )
    return key, OptionValue.parse(value, key=key)


def parse_options(texts: Iterable[str]) -> dict[str, OptionValue]:
    """Parse every ``--option``; a key given twice is an error."""
    options: dict[str, OptionValue] = {}
    for text in texts:
        key, value = parse_option(text)
        if key in options:
            raise MiddlewareSpecError(f"--option {key} is given twice: give each key once.")
        options[key] = value
    return options


@dataclass(frozen=True)
class MiddlewareEntry:
    """One link of the chain: the middleware and the keyword arguments it gets."""

    target: ObjectPath
    options: Mapping[str, OptionValue] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """The form stored in the answers file."""
        data: dict[str, Any] = {"spec": str(self.target)}
        if self.options:
            data["options"] = {key: value.source for key, value in self.options.items()}
        return data

    @classmethod
    def from_data(cls, data: Any) -> MiddlewareEntry:
        if not isinstance(data, dict) or not isinstance(data.get("spec"), str):
            raise MiddlewareSpecError("each middleware must be a mapping with a 'spec' string")
        raw_options = data.get("options") or {}
        if not isinstance(raw_options, dict):
            raise MiddlewareSpecError("'options' must be a mapping of names to values")
        options = {}
        for key, source in raw_options.items():
            if not isinstance(source, str):
                raise MiddlewareSpecError(f"option {key!r} must be stored as a string")
            parsed_key, value = parse_option(f"{key}={source}")
            options[parsed_key] = value
        return cls(target=ObjectPath.parse(data["spec"]), options=options)

    def references(self) -> list[ObjectPath]:
        return [value.reference for value in self.options.values() if value.reference]


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
        if path in bound:
            return bound[path]
        name = path.attribute
        stem = f"{path.module.replace('.', '_')}_{path.attribute}"
        suffix = 1
        while name in taken:
            name = stem if suffix == 1 else f"{stem}_{suffix}"
            suffix += 1
        taken.add(name)
        bound[path] = name
        return name

    wraps = []
    for entry in chain:
        name = bind(entry.target)
        arguments = ["application"]
        for key, value in entry.options.items():
            expression = bind(value.reference) if value.reference else value.source
            arguments.append(f"{key}={expression}")
        wraps.append(_call_line(name, arguments))
    return ChainCode(imports=_import_lines(bound, first_party), wraps=tuple(wraps))


def _member_order(name: str) -> tuple[int, str, str]:
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
        names.sort(key=_member_order)
        statements.append((module, names[0], ", ".join(names)))
    statements.sort(key=lambda item: (item[0].lower(), item[0], _member_order(item[1])))
    return tuple(_import_line(module, members) for module, _, members in statements)


def _import_line(module: str, members: str) -> str:
    # The imports follow get_asgi_application() on purpose (some middleware read
    # settings when imported), so they carry the noqa for "import not at top".
    line = f"from {module} import {members}  # noqa: E402"
    if len(line) <= _MAX_LINE:
        return line
    body = "".join(f"    {member},\n" for member in members.split(", "))
    return f"from {module} import (  # noqa: E402\n{body})"


def _call_line(name: str, arguments: list[str]) -> str:
    line = f"application = {name}({', '.join(arguments)})"
    if len(line) <= _MAX_LINE:
        return line
    # The layout ruff format gives a call that does not fit on one line.
    body = "".join(f"    {argument},\n" for argument in arguments)
    return f"application = {name}(\n{body})"


def describe_chain(chain: Iterable[MiddlewareEntry]) -> list[str]:
    """One line per middleware, innermost first, for listings and error messages."""
    lines = []
    for position, entry in enumerate(chain, start=1):
        options = ", ".join(f"{key}={value.source}" for key, value in entry.options.items())
        lines.append(f"{position}. {entry.target}" + (f" ({options})" if options else ""))
    return lines


def find_in_chain(chain: Iterable[MiddlewareEntry], target: ObjectPath) -> list[int]:
    """Positions (0-based) of *target* in *chain*."""
    return [index for index, entry in enumerate(chain) if entry.target == target]


def template_data(
    chain: Iterable[MiddlewareEntry], *, first_party: str | None = None
) -> dict[str, list[str]]:
    """The variables a template receives for the chain (*first_party*: the project's package)."""
    code = chain_code(chain, first_party=first_party)
    return {
        "asgi_middleware_imports": list(code.imports),
        "asgi_middleware_wraps": list(code.wraps),
    }
