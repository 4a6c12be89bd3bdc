"""What a template declares about the projects it renders: ``_thibaud`` in ``copier.yml``.

.. code-block:: yaml

    _thibaud:
      name_question: project_slug        # the question startproject's NAME answers
      settings: config.settings.local    # dotted module names; Jinja allowed:
      asgi: "{{ project_slug }}.asgi"     #   rendered with the answers
      wsgi: config.wsgi
      root: "{{ repo_name }}"           # where manage.py is, if not at the top

Every key is optional: the question the name answers is otherwise found in the
template's file names (:mod:`thibaud_cli.template.naming`), and entry points not
declared are discovered in the rendered project (:mod:`thibaud_cli.project.contract`).
copier ignores the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from thibaud_cli.errors import TemplateError
from thibaud_cli.project.contract import EntryPoints

#: The ``copier.yml`` key of the declaration.
CONTRACT_KEY = "_thibaud"
#: The question startproject's NAME answers when the template names no other and asks
#: it as a package name (:mod:`thibaud_cli.template.naming`).
DEFAULT_NAME_QUESTION = "project_name"
_ENTRY_KEYS = ("settings", "asgi", "wsgi")
_KEYS = frozenset({"name_question", "root", *_ENTRY_KEYS})


def declaration(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``_thibaud`` mapping of a template's config (raw ``copier.yml`` keys, or
    copier's ``config_data``, which drops the underscore), checked."""
    value = config.get(CONTRACT_KEY, config.get(CONTRACT_KEY.lstrip("_"), {}))
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TemplateError(
            f"copier.yml: {CONTRACT_KEY} must be a mapping (keys: {', '.join(sorted(_KEYS))})."
        )
    unknown = sorted(set(map(str, value)) - _KEYS)
    if unknown:
        raise TemplateError(
            f"copier.yml: {CONTRACT_KEY}.{unknown[0]} is not a key thibaud-admin knows "
            f"(keys: {', '.join(sorted(_KEYS))})."
        )
    for key, item in value.items():
        if not isinstance(item, str) or not item.strip():
            raise TemplateError(f"copier.yml: {CONTRACT_KEY}.{key} must be a non-empty string.")
    return value


def declared_entry_points(config: Mapping[str, Any], answers: Mapping[str, Any]) -> EntryPoints:
    """The entry points the template declares, rendered with *answers*."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from thibaud_cli.template.sandbox.limits import contain, render_bounds

    # Sandboxed and strict: a declaration is data from the template, not code to trust,
    # and a misspelt answer must fail rather than name module ".asgi". Bounded as a
    # render is: a declaration computes nothing big.
    environment = contain(SandboxedEnvironment(undefined=StrictUndefined))
    with render_bounds():
        return _declared(config, answers, environment)


def _declared(
    config: Mapping[str, Any], answers: Mapping[str, Any], environment: Any
) -> EntryPoints:
    from jinja2 import TemplateError as JinjaError

    values: dict[str, str] = {}
    for key in _ENTRY_KEYS:
        raw = declaration(config).get(key)
        if raw is None:
            continue
        try:
            module = environment.from_string(raw).render(answers).strip()
        except JinjaError as error:
            raise TemplateError(f"copier.yml: {CONTRACT_KEY}.{key}: {error}") from error
        if not all(part.isidentifier() for part in module.split(".")):
            raise TemplateError(
                f"copier.yml: {CONTRACT_KEY}.{key} is {module!r}, not a dotted module name "
                "(e.g. config.asgi)."
            )
        values[key] = module
    root = declaration(config).get("root")
    if root is not None:
        try:
            values["root"] = environment.from_string(root).render(answers).strip().strip("/")
        except JinjaError as error:
            raise TemplateError(f"copier.yml: {CONTRACT_KEY}.root: {error}") from error
        if ".." in values["root"].split("/") or values["root"].startswith("/"):
            raise TemplateError(f"copier.yml: {CONTRACT_KEY}.root must be inside the project.")
    return EntryPoints.from_data(values)
