"""What a template is rendered with: the one builder of render data.

A new project, a validation variant and a regenerated file all get the template's
answers plus what thibaud-admin sets itself: the project name, a SECRET_KEY and the
ASGI middleware chain's code. Those keys are reserved: ``--data`` may not set them,
and this module is the only place that says so.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from thibaud_cli.asgi.codegen import template_data
from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import InvalidDataError
from thibaud_cli.project.answers import Answers
from thibaud_cli.template.secrets import SECRET_PLACEHOLDER

# The characters Thibaud's own get_random_secret_key() uses.
_SECRET_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
_SECRET_KEY_LENGTH = 50
#: Answers that thibaud-admin sets itself and ``--data`` may not. The question the
#: project's NAME answers (``project_name`` unless the template names another) is
#: refused by the commands that take a NAME or keep one; validate-template takes it.
RESERVED_DATA_KEYS = frozenset({"secret_key", "asgi_middleware_imports", "asgi_middleware_wraps"})


def generate_secret_key() -> str:
    """A new random SECRET_KEY for development, from the ``secrets`` module."""
    return "".join(secrets.choice(_SECRET_KEY_CHARS) for _ in range(_SECRET_KEY_LENGTH))


def refuse_reserved_keys(
    keys: Iterable[str],
    *,
    name_question: str | None = None,
    name_given: str = "give it as the NAME argument",
) -> None:
    """Raise :class:`InvalidDataError` for the first key thibaud-admin or copier sets itself
    (*name_question* too, when the command takes the name otherwise: *name_given* says
    how).

    copier reads keys starting with ``_`` in copier.yml as settings, never as
    questions, and fills its own variables (``_copier_conf``, ``_folder_name``,
    ``_copier_python``...) into the render; given as data they would collide.
    """
    keys = set(keys)
    internal = sorted(key for key in keys if key.startswith("_"))
    if internal:
        raise InvalidDataError(
            f"--data {internal[0]}: names starting with '_' are copier's own variables and "
            "settings, never a template's questions."
        )
    if name_question is not None and name_question in keys:
        raise InvalidDataError(
            f"--data {name_question}: the project's name answers '{name_question}': {name_given}."
        )
    reserved = sorted(RESERVED_DATA_KEYS.intersection(keys))
    if reserved:
        raise InvalidDataError(f"--data {reserved[0]}: thibaud-admin sets '{reserved[0]}' itself.")


def refuse_unknown_questions(
    data: Iterable[str], questions: frozenset[str], *, given_as: str = "--data"
) -> None:
    """Raise :class:`InvalidDataError` for the first key of *data* that is not one of the
    template's *questions*: copier ignores them, so a misspelt --data would go unnoticed.
    *given_as* says where the key was given (``--data``, or a ``--matrix`` file's entry)."""
    import difflib

    unknown = sorted(set(data) - questions)
    if unknown:
        offered = sorted(questions - RESERVED_DATA_KEYS)
        close = difflib.get_close_matches(unknown[0], offered, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InvalidDataError(
            f"{given_as} {unknown[0]}: the template asks no such question (its questions: "
            f"{', '.join(offered) or 'none'}).{hint} Nothing was written."
        )


def parse_data(pairs: Sequence[str]) -> dict[str, str]:
    """Parse ``--data KEY=VALUE`` pairs; copier casts each value to its question's type."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            raise InvalidDataError(
                f"--data {pair}: expected KEY=VALUE, e.g. --data description='My site'."
            )
        if not key.isidentifier():
            raise InvalidDataError(f"--data {pair}: '{key}' is not a valid question name.")
        refuse_reserved_keys([key])
        data[key] = value
    return data


def render_data(
    answers: Mapping[str, Any],
    *,
    project_name: str | None,
    secret_key: str,
    chain: Sequence[MiddlewareEntry] = (),
    name_question: str | None = "project_name",
) -> dict[str, Any]:
    """The template's *answers* plus what thibaud-admin sets: the render's whole input.

    *project_name* answers *name_question* (if the template has one); None leaves the
    name to the answers or the template's own default (validation).
    """
    data = {
        **answers,
        "secret_key": secret_key,
        **template_data(chain, first_party=project_name),
    }
    if project_name is not None and name_question is not None:
        data[name_question] = project_name
    return data


def regeneration_data(
    answers: Answers, chain: Sequence[MiddlewareEntry] | None = None
) -> dict[str, Any]:
    """What the template is rendered with to regenerate files of a project: its
    recorded answers and middleware chain (*chain*, else the recorded one).

    SECRET_KEY is not recorded. Renders compared with each other share the same
    placeholder, so the line holding the user's real key merges as unchanged.
    """
    return render_data(
        answers.template_answers,
        project_name=answers.project_name,
        secret_key=SECRET_PLACEHOLDER,
        chain=answers.asgi_middleware if chain is None else chain,
        name_question=answers.name_question,
    )
