"""The Jinja filters a template renders with, beyond Jinja's own: set up in one place.

- **Serializers for generated files**: a value goes into a file through the
  serializer of that file's language, never pasted between quotes.
  ``{{ description | toml_string }}`` in ``pyproject.toml``,
  ``{{ description | py_string }}`` in a ``.py`` file, ``{{ description |
  yaml_string }}`` in YAML. Each gives a complete quoted literal that reads back as
  exactly the value (``tomllib``, ``ast.literal_eval``, ``yaml.safe_load``).
  Jinja's ``tojson`` is not one of them: it escapes ``<>&'`` for HTML and writes an
  emoji as a UTF-16 surrogate pair, which TOML refuses.
- **No host reading**: copier loads jinja2-ansible-filters, whose ``expandvars``
  (the environment: CI secrets), ``expanduser``, ``fileglob`` (directory listings),
  ``realpath`` and ``relpath`` (the file system, the working directory) read this
  machine. A template rendered without ``--trust`` gets a filter that refuses, in
  one line, instead.
- **Plain data only**: ``to_json``, ``to_nice_json``, ``to_yaml`` and
  ``to_nice_yaml`` serialise answers (strings, numbers, booleans, lists, mappings,
  dates), never copier's internal objects: ``{{ _copier_conf | to_yaml }}`` would
  otherwise write copier's state with Python tags (``!!python/object``), and
  ``to_json`` would write the render's paths and settings. Otherwise they write what
  copier's own (jinja2-ansible-filters) write, byte for byte: keys sorted, the same
  flow style and indentation. A template's copier answers file
  (``{{ _copier_answers | to_nice_yaml }}``) is then the file ``copier copy`` writes,
  and an update merges it without a conflict ``copier update`` would not have.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from thibaud_cli.errors import TemplateError

#: Filters that read this machine (environment, files, directories, home, cwd).
HOST_READING_FILTERS = ("expandvars", "expanduser", "fileglob", "realpath", "relpath")

_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _text(value: Any, filter_name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(
            f"The template applies {filter_name} to a {type(value).__name__}: it takes a "
            "string (or a number): refused, nothing was written."
        )
    text = str(value)
    if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        raise TemplateError(
            f"{filter_name}: the value holds a lone surrogate (bytes that were not UTF-8), "
            "which no file can hold: refused, nothing was written."
        )
    return text


def toml_string(value: Any) -> str:
    """*value* as a TOML basic string, quotes included."""
    text = _text(value, "toml_string")
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)  # TOML files are UTF-8: everything else as it is
    return '"' + "".join(out) + '"'


def py_string(value: Any) -> str:
    """*value* as a Python string literal (``repr``), quotes included."""
    return repr(_text(value, "py_string"))


def yaml_string(value: Any) -> str:
    """*value* as a YAML double-quoted scalar, on one line."""
    import yaml

    dumped = yaml.safe_dump(
        _text(value, "yaml_string"), default_style='"', allow_unicode=True, width=2**31 - 1
    )
    return dumped.removesuffix("\n...\n").rstrip("\n")


def _plain(value: Any, filter_name: str, *, dates: bool = False) -> Any:
    """*value* as plain data, or a refusal naming what is not. Dates and times become
    ISO strings, unless *dates* (YAML has them: kept, as yaml.dump writes them)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)  # Markup and other subclasses: the text
    if isinstance(value, datetime.date) and dates:
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item, filter_name, dates=dates) for item in value]
    if type(value) is dict:
        return {str(key): _plain(item, filter_name, dates=dates) for key, item in value.items()}
    raise TemplateError(
        f"The template applies {filter_name} to a {type(value).__name__}, which is not an "
        "answer (a string, number, boolean, list or mapping): refused, nothing was written."
    )


# The formatting options the filters pass on (ansible's took any keyword of json.dumps
# and yaml.dump; `default`, `cls` and `Dumper` would bring back arbitrary objects).
_JSON_OPTIONS = frozenset({"indent", "sort_keys", "ensure_ascii", "separators"})
_YAML_OPTIONS = frozenset(
    {"indent", "width", "default_flow_style", "sort_keys", "explicit_start", "allow_unicode"}
)


def _options(name: str, given: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise TemplateError(
            f"The template passes {unknown[0]}= to {name}, which takes only "
            f"{', '.join(sorted(allowed))}: refused, nothing was written."
        )
    return given


def _to_json(*, nice: bool) -> Callable[..., str]:
    name = "to_nice_json" if nice else "to_json"
    defaults: dict[str, Any] = (
        {"indent": 4, "sort_keys": True, "separators": (",", ": ")} if nice else {}
    )

    def to_json(value: Any, **options: Any) -> str:
        options = {**defaults, **_options(name, options, _JSON_OPTIONS)}
        return json.dumps(_plain(value, name), **options)

    return to_json


def _to_yaml(*, nice: bool) -> Callable[..., str]:
    name = "to_nice_yaml" if nice else "to_yaml"
    # jinja2-ansible-filters' defaults (yaml.dump's otherwise: keys sorted): to_yaml
    # writes the innermost collections in flow style ({a: [1, 2]}), to_nice_yaml none.
    defaults: dict[str, Any] = {"allow_unicode": True, "default_flow_style": None}
    defaults.update({"indent": 4, "default_flow_style": False} if nice else {})

    def to_yaml(value: Any, **options: Any) -> str:
        import yaml

        options = {**defaults, **_options(name, options, _YAML_OPTIONS)}
        return str(yaml.safe_dump(_plain(value, name, dates=True), **options))

    return to_yaml


def _unavailable(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise TemplateError(
            f"The template uses the filter '{name}', which reads this machine (its "
            "environment or files): not available to a template rendered without --trust. "
            "Nothing was written."
        )

    return refuse


def install_filters(environment: Any, *, trust: bool) -> None:
    """Add the serializers to *environment* (copier's Jinja environment), make its
    serialising filters plain-data only and, unless *trust*, its host-reading
    filters refuse."""
    environment.filters.update(
        toml_string=toml_string,
        py_string=py_string,
        yaml_string=yaml_string,
        to_json=_to_json(nice=False),
        to_nice_json=_to_json(nice=True),
        to_yaml=_to_yaml(nice=False),
        to_nice_yaml=_to_yaml(nice=True),
    )
    if not trust:
        for name in HOST_READING_FILTERS:
            environment.filters[name] = _unavailable(name)
