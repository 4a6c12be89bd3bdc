"""Whether copier asks a question, given the other answers: its ``when``.

copier renders ``when`` with the answers given so far and the defaults of the
questions before it, and casts the result to a bool; a question it does not ask keeps
its default. validate-template varies a question only where copier would ask it, so
that no variant is a combination no user can make.

The expression renders here with Jinja's sandbox and the template's own delimiters,
bounded as a render is (``sandbox.limits.contain``; ``checks.variants`` plans the
variants within a render's deadline and memory ceiling): what a render refuses is
refused here, in one line. One that needs more of copier's environment (a filter from an
extension) does not render here, and its question counts as asked (varied, as before
this check).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from thibaud_cli.errors import TemplateError
from thibaud_cli.template.syntax import (
    COPIER_FALSE,
    COPIER_TRUE,
    DEFAULT_DELIMITERS,
    TemplateSyntax,
)


def cast_to_bool(value: Any) -> bool:
    """A rendered ``when`` as copier reads it (``copier._tools.cast_to_bool``)."""
    with suppress(TypeError, ValueError):
        return bool(float(value))
    if isinstance(value, str):
        lower = value.strip().lower()
        if not lower or lower in COPIER_FALSE:
            return False
        if lower in COPIER_TRUE:
            return True
    return bool(value)


class Conditions:
    """The ``when`` of each question of a template's ``copier.yml`` (*config*)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        from jinja2.sandbox import SandboxedEnvironment

        from thibaud_cli.template.sandbox.limits import contain

        self._questions = [
            (str(name), spec)
            for name, spec in config.items()
            if not str(name).startswith("_") and isinstance(spec, Mapping)
        ]
        syntax = TemplateSyntax.of(config)
        self._environment = contain(
            SandboxedEnvironment(**{name: syntax.delimiter(name) for name in DEFAULT_DELIMITERS})
        )
        self._compiled: dict[str, Any] = {}
        self.gated = frozenset(
            name for name, spec in self._questions if isinstance(spec.get("when"), str)
        )

    def _render(self, value: Any, context: Mapping[str, Any]) -> Any:
        if not isinstance(value, str):
            return value
        template = self._compiled.get(value)
        if template is None:  # each expression compiled once for the whole plan
            template = self._compiled[value] = self._environment.from_string(value)
        return template.render(context)

    def _asked(self, spec: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
        when = spec.get("when", True)
        try:
            return cast_to_bool(self._render(when, context))
        except (TemplateError, MemoryError):
            raise  # past the bounds: refused, not "asked"
        except Exception:  # noqa: BLE001 - the template's Jinja: copier decides
            return True

    def effective(self, answers: Mapping[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
        """*answers* without those to questions copier would not ask given the others
        and the *fixed* answers (``--data``, always kept)."""
        if not self.gated:
            return dict(answers)
        remaining = dict(answers)
        # The defaults and answers of the questions already passed; every given answer
        # is in copier's context too, a later question's included.
        context: dict[str, Any] = {}
        for name, spec in self._questions:
            scope = {**context, **fixed, **remaining}
            if name in remaining:
                if name not in self.gated or self._asked(spec, scope):
                    context[name] = remaining[name]
                    continue
                del remaining[name]  # not asked: copier keeps its default
            if name in fixed:
                context[name] = fixed[name]
            elif "default" in spec:
                try:
                    context[name] = self._render(spec["default"], scope)
                except (TemplateError, MemoryError):
                    raise  # past the bounds: refused
                except Exception:  # noqa: BLE001, S110 - the template's Jinja: copier decides
                    pass
        return remaining
