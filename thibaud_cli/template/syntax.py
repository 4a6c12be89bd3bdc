"""A template's own syntax, read in one place: the settings of ``copier.yml`` that say
how its files are named and marked up, with copier's defaults.

The same settings have two spellings: ``_templates_suffix`` in ``copier.yml`` itself,
``templates_suffix`` in copier's parsed ``config_data`` (the underscore dropped).
:meth:`TemplateSyntax.of` reads the first, :meth:`TemplateSyntax.of_copier` the second;
nothing else reads either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

#: The names copier looks for, in its order.
CONFIG_FILENAMES = ("copier.yml", "copier.yaml")
#: copier's own defaults (``copier._template``).
DEFAULT_SUFFIX = ".jinja"
DEFAULT_ANSWERS_FILE = ".copier-answers.yml"
DEFAULT_DELIMITERS = {
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "block_start_string": "{%",
    "block_end_string": "%}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
}
#: What copier reads as a yes/no word (``copier._tools.cast_to_bool``), besides numbers
#: (0 is false, any other true) and the empty string (false): for answers to ``bool``
#: questions and rendered ``when`` conditions alike.
COPIER_TRUE = frozenset({"y", "yes", "t", "true", "on"})
COPIER_FALSE = frozenset({"n", "no", "f", "false", "off", "~", "null", "none"})

#: The settings (``_envops``) whose value starts Jinja markup.
MARKUP_STARTS = (
    "block_start_string",
    "variable_start_string",
    "comment_start_string",
    "line_statement_prefix",
    "line_comment_prefix",
)


@dataclass(frozen=True)
class TemplateSyntax:
    """How a template's files are named and marked up."""

    #: ``_templates_suffix``: what marks a file as a template ("" for every file).
    suffix: str = DEFAULT_SUFFIX
    #: ``_envops``: the Jinja environment's options, delimiters among them.
    envops: Mapping[str, Any] = field(default_factory=dict)
    #: ``_subdirectory`` as written (a path, possibly templated), or None.
    subdirectory: Any = None
    #: ``_answers_file`` as written.
    answers_file: str = DEFAULT_ANSWERS_FILE

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> TemplateSyntax:
        """The syntax ``copier.yml``'s parsed *config* (its ``_`` keys) declares."""
        return cls._read(lambda name: config.get(f"_{name}"))

    @classmethod
    def of_copier(cls, config_data: Mapping[str, Any]) -> TemplateSyntax:
        """The syntax in copier's ``config_data`` (the same keys without ``_``)."""
        return cls._read(config_data.get)

    @classmethod
    def _read(cls, setting: Any) -> TemplateSyntax:
        suffix, envops = setting("templates_suffix"), setting("envops")
        return cls(
            # copier: a suffix of None is the default; "" makes every file a template.
            suffix=DEFAULT_SUFFIX if suffix is None else str(suffix),
            envops=dict(envops) if isinstance(envops, Mapping) else {},
            subdirectory=setting("subdirectory"),
            answers_file=str(setting("answers_file") or DEFAULT_ANSWERS_FILE),
        )

    def delimiter(self, name: str) -> str:
        """The delimiter *name* (``variable_start_string``...) this template renders with."""
        return str(self.envops.get(name, DEFAULT_DELIMITERS[name]))

    @property
    def markup_starts(self) -> tuple[str, ...]:
        """Every string that starts Jinja markup in this template's environment."""
        starts = {"{%", "{{", "{#"}
        starts |= {str(self.envops[key]) for key in MARKUP_STARTS if self.envops.get(key)}
        return tuple(sorted(starts))

    @property
    def answers_file_name(self) -> str:
        """The last part of ``_answers_file``."""
        return PurePosixPath(self.answers_file).name
