"""Values reach generated files through the serializer of the file's language: the
filters ``toml_string``, ``py_string`` and ``yaml_string`` that every template gets,
proven by parsing what they produce."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.support.trees import build_file_tree
from thibaud_cli.cli import main
from thibaud_cli.errors import TemplateError
from thibaud_cli.template.sandbox.filters import py_string, toml_string, yaml_string

# Text a user can type, with everything that breaks naive quoting.
TRICKY = [
    "Party 🎉 site",
    'She said "hi"',
    "back\\slash \\n not a newline",
    "line\nbreak\ttab\rreturn",
    "'single' and \"double\" and '''triple'''",
    "{{ not_jinja }} {% nor this %}",
    "\x00\x01\x7f nul and controls",
    "\u2028 line separator \u0085 next line \ufeff bom",
    "ünïcödé ✓ 中文 𝔘",
    "# not a comment: [table] key = 1",
    "",
]
# Any text that can be written as UTF-8 (no lone surrogates).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)))


def toml_value(literal: str) -> object:
    return tomllib.loads(f"value = {literal}\n")["value"]


def yaml_value(literal: str) -> object:
    return yaml.safe_load(f"value: {literal}\n")["value"]


@pytest.mark.parametrize("text", TRICKY)
def test_each_serializer_gives_back_the_exact_value(text: str) -> None:
    assert toml_value(toml_string(text)) == text
    assert ast.literal_eval(py_string(text)) == text
    assert yaml_value(yaml_string(text)) == text
    assert "\n" not in toml_string(text) + py_string(text) + yaml_string(text)


@given(TEXT)
def test_toml_string_round_trips(text: str) -> None:
    assert toml_value(toml_string(text)) == text


@given(TEXT)
def test_py_string_round_trips(text: str) -> None:
    assert ast.literal_eval(py_string(text)) == text


@given(TEXT)
def test_yaml_string_round_trips(text: str) -> None:
    assert yaml_value(yaml_string(text)) == text


@pytest.mark.parametrize("value", [["a"], {"a": 1}, None, True, "\udcff"])
def test_what_is_not_text_is_refused(value: object) -> None:
    for serializer in (toml_string, py_string, yaml_string):
        with pytest.raises(TemplateError, match="refused"):
            serializer(value)


# Through a template of our own, with the command line ---------------------------------

SERIALIZING_TEMPLATE = {
    "copier.yml": ("_templates_suffix: .jinja\ndescription:\n  type: str\n  default: A site.\n"),
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/asgi.py.jinja": "application = None\n",
    "{{ project_name }}/about.py.jinja": "DESCRIPTION = {{ description | py_string }}\n",
    "pyproject.toml.jinja": (
        "[project]\nname = {{ project_name | toml_string }}\n"
        "description = {{ description | toml_string }}\n"
    ),
    "config.yml.jinja": "site:\n  description: {{ description | yaml_string }}\n",
}


# (A NUL byte cannot be a command-line argument.)
@pytest.mark.parametrize("description", [text for text in TRICKY if "\x00" not in text])
def test_generated_files_hold_the_exact_value(
    runner: CliRunner, tmp_path: Path, description: str
) -> None:
    template = build_file_tree(tmp_path / "template", SERIALIZING_TEMPLATE)
    project = tmp_path / "shop"
    result = runner.invoke(
        main,
        [
            "startproject",
            "shop",
            str(project),
            "--template",
            str(template),
            "--data",
            f"description={description}",
        ],
    )
    assert result.exit_code == 0, result.output
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["description"] == description
    config = yaml.safe_load((project / "config.yml").read_text("utf-8"))
    assert config["site"]["description"] == description
    tree = ast.parse((project / "shop" / "about.py").read_text("utf-8"))
    assignment = tree.body[0]
    assert isinstance(assignment, ast.Assign)
    assert ast.literal_eval(assignment.value) == description


# The bundled template ------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        # Version 1 wrote it with Jinja's tojson, whose surrogate pairs TOML refuses.
        "Party 🎉 site",
        'She said "hi"',
        "back\\slash",
        "ünïcödé ✓ 中文",
    ],
)
def test_the_bundled_template_writes_valid_toml(
    runner: CliRunner, tmp_path: Path, description: str
) -> None:
    project = tmp_path / "shop"
    result = runner.invoke(
        main, ["startproject", "shop", str(project), "--data", f"description={description}"]
    )
    assert result.exit_code == 0, result.output
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["description"] == description
    assert pyproject["project"]["name"] == "shop"
    for path in project.rglob("*.py"):
        ast.parse(path.read_text("utf-8"), str(path))
