"""A local template's ``copier.yml``: read, and its errors told in one line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from thibaud_cli.errors import NotACopierTemplateError, TemplateError
from thibaud_cli.formats.yaml import MAX_VALUES, too_large
from thibaud_cli.template.syntax import CONFIG_FILENAMES

#: The key of ``copier.yml`` that holds a bundled template's version.
TEMPLATE_VERSION_KEY = "_thibaud_template_version"


def template_version(template_dir: Path) -> str:
    """The version a bundled template (or one of its snapshots) declares."""
    return declared_version(read_template_config(template_dir))


def declared_version(config: Mapping[str, Any]) -> str:
    """The version a bundled template's ``copier.yml`` (*config*, as read) declares."""
    return str(config.get(TEMPLATE_VERSION_KEY, "0"))


def read_template_config(template_dir: Path) -> dict[str, Any]:
    """The parsed ``copier.yml`` (or ``copier.yaml``) of a local template, read by
    copier's own loader: ``!include`` and every other feature copier supports."""
    from thibaud_cli.template.engine.copier_support import load_copier_yml

    for name in CONFIG_FILENAMES:
        path = template_dir / name
        if path.is_file():
            config = load_copier_yml(path)
            if not all(isinstance(key, str) for key in config):
                raise TemplateError(f"{path} must be a mapping of questions and settings.")
            if too_large(config):
                raise TemplateError(
                    f"{path} holds more than {MAX_VALUES} values once its aliases are "
                    "expanded (nested aliases, a YAML bomb?): refused, nothing was written.",
                    template_file=name,
                )
            return config
    raise TemplateError(
        f"'{template_dir}' is not a copier template: it has no copier.yml. "
        "Give a directory with a copier.yml, or a git URL."
    )


def has_template_config(directory: Path) -> bool:
    """Whether *directory* holds a ``copier.yml`` (valid or not)."""
    return any((directory / name).is_file() for name in CONFIG_FILENAMES)


def refuse_git_classic_template(template_root: Path, template: str | None) -> None:
    """Refuse a git template without copier.yml: copier would copy it verbatim.

    Only a clone tells (``template/source.py`` tells local directories apart before).
    ``startproject`` catches this and renders the repository as Thibaud would;
    commands that need a copier template (update, validate-template) report it.
    """
    if not has_template_config(template_root):
        raise NotACopierTemplateError(
            f"'{template}' has no copier.yml: it is a Django-style template, which only "
            "'thibaud-cli startproject --template' renders (as Thibaud's startproject "
            "does); this command needs a copier template."
        )
