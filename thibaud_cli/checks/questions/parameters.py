"""What validate-template varies in a template's questions.

A question with ``choices`` is varied over its choices, a ``bool`` question over True
and False; a ``multiselect`` question over each of its choices in or out (a boolean
per choice: pairwise coverage reaches every choice, and every answer is a list). A
question whose default is one of its values gives that value first, and a variant
leaves it unanswered there (copier's default applies); a question without such a
default (none, or a Jinja expression) is always answered, so each choice is tried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A question without a literal default among its values.
NO_DEFAULT: Any = object()


@dataclass(frozen=True)
class Parameter:
    """One dimension of the variants: a question, or one choice of a multiselect one."""

    question: str
    values: tuple[Any, ...]
    #: The value a variant leaves unanswered (copier's default), or :data:`NO_DEFAULT`.
    default: Any = NO_DEFAULT
    #: For a multiselect question: the choice this parameter puts in or leaves out.
    choice: Any = NO_DEFAULT


def choice_values(choices: object) -> list[Any]:
    """The values of a copier ``choices`` list or mapping ({label: value} or [label, value])."""
    if isinstance(choices, Mapping):
        raw = list(choices.values())
    elif isinstance(choices, list):
        raw = [
            item[1] if isinstance(item, list | tuple) and len(item) == 2 else item
            for item in choices
        ]
    else:
        return []  # a Jinja expression: only copier can evaluate it
    return [
        item["value"] if isinstance(item, Mapping) and "value" in item else item for item in raw
    ]


def _multiselect(question: str, spec: Mapping[str, Any]) -> list[Parameter]:
    choices = choice_values(spec.get("choices"))
    default = spec.get("default")
    if not isinstance(default, list):
        # Only a literal list says which choices are in by default; anything else (a
        # Jinja expression, none) leaves every variant to give its list.
        return [Parameter(question, (True, False), NO_DEFAULT, choice) for choice in choices]
    return [
        Parameter(question, (choice in default, choice not in default), choice in default, choice)
        for choice in choices
    ]


def question_parameters(question: str, spec: Mapping[str, Any]) -> list[Parameter]:
    """The parameters *question* is varied over (none if it is not varied)."""
    if spec.get("when") is False:
        return []  # never asked: copier computes it
    if spec.get("multiselect") is True:
        return _multiselect(question, spec)
    if "choices" in spec:
        values = choice_values(spec["choices"])
    elif spec.get("type") == "bool":
        values = [True, False]
    else:
        return []
    default = spec.get("default", NO_DEFAULT)
    if default in values:
        values = [default, *(value for value in values if value != default)]
    else:
        default = NO_DEFAULT
    if len(values) == 1 and default is NO_DEFAULT:
        # One choice and no default: copier needs it answered, and has nothing to vary.
        return [Parameter(question, tuple(values))]
    return [Parameter(question, tuple(values), default)] if len(values) > 1 else []


def answers_of(parameters: Sequence[Parameter], row: Sequence[Any]) -> dict[str, Any]:
    """The answers a row of parameter values gives: a question at its default left out,
    a multiselect question's choices gathered into a list (in the choices' order)."""
    answers: dict[str, Any] = {}
    selected: dict[str, list[Any]] = {}
    at_default: dict[str, bool] = {}
    for parameter, value in zip(parameters, row, strict=True):
        if parameter.choice is not NO_DEFAULT:
            chosen = selected.setdefault(parameter.question, [])
            if value:
                chosen.append(parameter.choice)
            at_default[parameter.question] = (
                at_default.get(parameter.question, True) and value == parameter.default
            )
        elif parameter.default is NO_DEFAULT or value != parameter.default:
            answers[parameter.question] = value
    for question, chosen in selected.items():
        if not at_default[question]:
            answers[question] = chosen
    return answers
