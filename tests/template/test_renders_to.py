"""Which template files could render to asgi.py, and what else they read: told from
names and text alone (``template/partial/renders_to.py``)."""

from __future__ import annotations

import pytest

from thibaud_cli.template.partial.renders_to import TemplateLayout, jinja_references, yaml_includes


@pytest.mark.parametrize(
    ("suffix", "source", "renders_to_asgi"),
    [
        (".jinja", "pkg/asgi.py.jinja", True),
        (".jinja", "pkg/asgi.py", True),
        (".jinja", "pkg/views.py.jinja", False),
        (".jinja", "{{ project_name }}/{{ name }}.py.jinja", True),
        (".jinja", "{% if x %}asgi.py{% endif %}", True),
        # copier strips the last extension of a templated name, whatever the suffix.
        ("-tpl", "pkg/asgi.py.py-tpl", True),
        ("-tpl", "pkg/asgi.py-tpl", False),
        ("", "pkg/asgi.py", True),
        # copier's answers file renders under _answers_file, whatever it reads.
        (".jinja", "{{ _copier_conf.answers_file }}.jinja", False),
    ],
)
def test_which_names_could_render_to_asgi_py(
    suffix: str, source: str, renders_to_asgi: bool
) -> None:
    layout = TemplateLayout.of({"_templates_suffix": suffix})
    assert layout.could_render_to(source, "asgi.py") is renders_to_asgi


def test_what_a_render_reads_by_name() -> None:
    assert jinja_references(b"{% include \"a.jinja\" %}{%- from 'm.jinja' import x -%}") == {
        "a.jinja",
        "m.jinja",
    }
    assert jinja_references(b"{% include name %}") is None
    paths = ["inc/q.yml", "inc/deep/r.yml", "other.yml"]
    assert yaml_includes(b"---\n!include inc/*.yml\n", paths, "") == {"inc/q.yml", "inc/deep/r.yml"}
    assert yaml_includes(b"---\n!include ../x.yml\n", paths, "") is None
    assert TemplateLayout.of({"_subdirectory": "{{ where }}"}).subdirectory is None
    assert TemplateLayout.of({"_subdirectory": "./tpl/"}).subdirectory == "tpl"
    answers_file = "{{_copier_conf.answers_file}}.jinja"
    assert TemplateLayout.of({"_answers_file": "asgi.py"}).could_render_to(answers_file, "asgi.py")
