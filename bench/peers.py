"""The peers' inputs: a cookiecutter version of our bundled copier template.

cookiecutter is measured on the same files as copier, so the comparison is of the
tools, not of the templates. The conversion is mechanical: cookiecutter wants a
``cookiecutter.json`` of defaults, one top directory named by a variable, no
``.jinja`` suffix, and variables spelt ``cookiecutter.name``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from thibaud_cli.template.engine.config import read_template_config

#: copier's ``{{ name }}`` (with any filter) in file and directory names.
_NAME_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_BLOCK = re.compile(r"\{%.*?%\}")


def cookiecutter_context(config: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The cookiecutter.json: every question with its default, *answers* overriding."""
    context: dict[str, Any] = {}
    for name, question in config.items():
        if name.startswith("_"):
            continue
        default = question.get("default", "") if isinstance(question, dict) else question
        context[name] = answers.get(name, default)
    return context


def _cookiecutter_name(name: str, variables: dict[str, Any]) -> str:
    """A path name with copier's bare variables (``{{ x }}``, ``{% if x %}``) read from
    ``cookiecutter.``: its paths are rendered with that one name in the context."""
    name = _NAME_VARIABLE.sub(r"{{cookiecutter.\1}}", name)
    bare = re.compile(rf"(?<![\w.])({'|'.join(map(re.escape, variables))})\b")
    return _BLOCK.sub(lambda block: bare.sub(r"cookiecutter.\1", block.group(0)), name)


def build_cookiecutter_template(
    copier_template: Path, destination: Path, answers: dict[str, Any]
) -> Path:
    """Write a cookiecutter template rendering the same files as *copier_template*."""
    config = read_template_config(copier_template)
    suffix = str(config.get("_templates_suffix", ".jinja"))
    context = cookiecutter_context(config, answers)
    # cookiecutter reads a list in cookiecutter.json as a choice, not a value: the
    # template's lists (the empty middleware chain) are bound as literals instead.
    lists = {name: value for name, value in context.items() if isinstance(value, list)}
    scalars = {name: value for name, value in context.items() if name not in lists}
    # Each file starts by binding the bare names copier's templates use; the
    # whitespace control keeps the binding from adding a line to the output.
    bindings = "".join(
        [f"{{%- set {name} = cookiecutter.{name} -%}}" for name in scalars]
        + [f"{{%- set {name} = {json.dumps(value)} -%}}" for name, value in lists.items()]
    )
    # cookiecutter renders one top directory: the project root.
    root = destination / "{{cookiecutter.project_name}}"
    excluded = {"copier.yml", "copier.yaml"}
    for source in sorted(copier_template.rglob("*")):
        relative = source.relative_to(copier_template)
        if source.is_dir() or relative.name in excluded or "__pycache__" in relative.parts:
            continue
        target_name = _cookiecutter_name(str(relative), scalars)
        target = root / target_name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target_name.endswith(suffix):
            target = target.with_name(target.name.removesuffix(suffix))
            target.write_text(bindings + source.read_text("utf-8"), "utf-8")
        else:
            target.write_bytes(source.read_bytes())
        # cookiecutter, like copier, gives each file its template file's mode.
        shutil.copymode(source, target)
    # copier's templates may use the Ansible filters (to_json, regex_search) copier
    # loads: cookiecutter loads the same extension when cookiecutter.json names it.
    settings = {**scalars, "_extensions": ["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]}
    (destination / "cookiecutter.json").write_text(json.dumps(settings, indent=2), "utf-8")
    return destination
