"""ASGI middleware specs and their options: parsed and checked before anything is written.

Names are checked identifiers and option values Python literals (or ``@references`` to
objects), so nothing given on the command line can inject code into ``asgi.py``.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from thibaud_cli.errors import MiddlewareSpecError

_LITERAL_TYPES = (str, int, float, bool, type(None), list, tuple, dict)
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


#: How deeply an option value may nest (lists in lists...): far past any real
#: middleware's options, and far below what Python's parser (200 brackets in a whole
#: statement) and libcst's recursion (which a later command's edit of ``asgi.py`` needs)
#: can take once the value sits in the file.
MAX_OPTION_NESTING = 50


def _check_literal(value: Any, *, key: str, text: str) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_OPTION_NESTING:
            raise MiddlewareSpecError(
                f"--option {key}: the value nests more than {MAX_OPTION_NESTING} levels deep, "
                "more than asgi.py can carry for later edits; give a flatter value. Nothing "
                "was written."
            )
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
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            stack.extend((child, depth + 1) for child in (*item.keys(), *item.values()))


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
    parsed = OptionValue.parse(value, key=key)
    _refuse_unwritable(key, parsed)
    return key, parsed


def _refuse_unwritable(key: str, value: OptionValue) -> None:
    """A value Python reads alone may still not parse inside the wrap's call (the
    parser allows 200 levels of brackets in all): refused before anything is written."""
    if value.reference is not None:
        return  # written as a name
    statement = f"application = Middleware(application, {key}={value.source})"
    try:
        ast.parse(statement)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        reason = getattr(error, "msg", None) or type(error).__name__
        raise MiddlewareSpecError(
            f"--option {key}: Python cannot parse this value inside the wrap's call "
            f"({reason}); give a flatter value. Nothing was written."
        ) from None


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
