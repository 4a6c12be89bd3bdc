"""Jinja code compiled once for several renders of one template.

validate-template renders the same template once per variant, each render with its
own Jinja environment (each has its own budget and deadline). Without a shared cache
every render lexes, parses and compiles every template file and string again: over
half of a render's time. A :class:`CompiledCache` keeps the code objects Jinja makes
from a source, and hands them to the next environment that compiles the same source.

Code objects are immutable and refer to their environment only at run time
(``environment.call``, ``environment.concat``...), so each render still runs with its
own environment, budget and undefined class. What Jinja decides at compile time
(delimiters, extensions, which filters exist and what arguments they take, the
constants it folds with them) is the same for renders of one template with the same
trust: one cache serves one such set of renders, and the environment's options that
shape the code are part of every key, so an environment configured otherwise never
gets another's code.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from types import CodeType
from typing import Any

#: The environment's attributes that change the code a source compiles to.
_SHAPING = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
    "sandboxed",
    "autoescape",
    "finalize",
    "intercepted_binops",
    "intercepted_unops",
    "code_generator_class",
)


def _shape(value: Any) -> Hashable:
    """A value as a key part: functions and classes by name (each render makes its own)."""
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    return value if isinstance(value, Hashable) else repr(value)


def _fingerprint(environment: Any) -> Hashable:
    return (
        type(environment).__qualname__,
        tuple(_shape(getattr(environment, name, None)) for name in _SHAPING),
        tuple(sorted(environment.extensions)),
        tuple(sorted(environment.filters)),
        tuple(sorted(environment.tests)),
    )


class CompiledCache:
    """Code compiled by one render's Jinja environment, reused by the next ones."""

    def __init__(self) -> None:
        self._code: dict[Hashable, CodeType] = {}
        # Renders run side by side in threads: two may compile one source at once,
        # which costs a compile, never a wrong result; the lock keeps the dict whole.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._code)

    def share(self, environment: Any) -> None:
        """Make *environment* (a Jinja environment, fully configured: filters, extensions
        and operators as they will render) compile through this cache."""
        from jinja2.utils import internalcode

        compile_uncached = environment.compile
        fingerprint = _fingerprint(environment)

        @internalcode  # as Jinja's own compile: left out of template tracebacks
        def compile(
            source: Any,
            name: str | None = None,
            filename: str | None = None,
            raw: bool = False,
            defer_init: bool = False,
        ) -> Any:
            if raw or not isinstance(source, str):
                return compile_uncached(source, name, filename, raw, defer_init)
            key = (fingerprint, source, name, filename, defer_init)
            with self._lock:
                code = self._code.get(key)
            if code is None:
                code = compile_uncached(source, name, filename, raw, defer_init)
                with self._lock:
                    self._code[key] = code
            else:
                # What compiling does beside compiling: the extensions' preprocess hooks
                # (copier's yield tag forgets the last path's yield there).
                environment.preprocess(source, name, filename)
            return code

        # An instance attribute: from_string() and the loader both call self.compile.
        environment.compile = compile
