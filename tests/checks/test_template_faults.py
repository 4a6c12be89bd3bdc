"""validate-template reports a template's faults where its author fixes them: a syntax
error at the template file's line, once for every variant that hits it; leftover
template code told from Python (``[[None, {...}]]``) and from what ``{% raw %}`` writes
out on purpose; an exception in the template's own extension as the template's failure,
its reports written all the same."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from click.testing import CliRunner

from tests.support.company_templates import company_template, run_copier_copy
from tests.support.real_templates import django_like_template
from tests.support.trees import build_file_tree
from thibaud_cli.checks.leftovers import find_leftover
from thibaud_cli.cli.app import main

SETTINGS = "{{ project_slug }}/settings.py.jinja"
#: Settings whose lines move with the answers: the Docker block comes and goes before
#: the broken line (a doubled comma), which is line 13 of the template file.
BROKEN_SETTINGS = """\
\"\"\"Settings of {{ project_name }}.\"\"\"

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
{% if use_docker %}
DOCKER = True
HOSTS = ["web", "worker"]
{% endif %}
{%- if 'celery' in features %}
CELERY = True
{% endif %}
DATABASES = {"default": {"ENGINE": "thibaud.db.backends.sqlite3",, "NAME": "db"}}
"""


def test_a_syntax_error_is_at_the_template_files_line_once_for_its_variants(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template", extra_files={SETTINGS: BROKEN_SETTINGS})
    args = ["validate-template", str(template), "--no-boot"]
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 1
    variants = json.loads(result.output)["variants"]
    compiles = [
        next(check for check in variant["checks"] if check["name"] == "compile")
        for variant in variants
    ]
    assert {(check["file"], check["line"]) for check in compiles} == {(SETTINGS, 13)}
    assert compiles[0]["message"].startswith("SyntaxError: ")
    assert compiles[0]["message"].endswith("(rendered into mysite/settings.py)")
    # The rendered files put it on different lines: the template's line is one place.
    rendered_lines = set()
    for answers in ({"use_docker": True}, {"use_docker": False}):
        destination = tmp_path / f"copier-{answers['use_docker']}"
        run_copier_copy(str(template), destination, **answers)
        text = (destination / "my_project" / "settings.py").read_text().splitlines()
        rendered_lines.add(next(n for n, line in enumerate(text, 1) if ",," in line))
    assert len(rendered_lines) == 2
    # The text report says it once, with the variants that hit it.
    text = runner.invoke(main, args)
    shown = [line for line in text.output.splitlines() if "FAIL compile" in line]
    assert len(shown) == 1
    assert shown[0].startswith(f"  FAIL compile: {SETTINGS}:13: SyntaxError")
    assert f"(also in {len(variants) - 1} more: " in shown[0]


def test_leftovers_are_not_python_lists_nor_raw_output(runner: CliRunner, tmp_path: Path) -> None:
    square = {
        "variable_start_string": "[[",
        "variable_end_string": "]]",
        "block_start_string": "[%",
        "block_end_string": "%]",
    }
    questions = {"project_slug"}
    # An ordinary nested list is Python, with [[ ]] delimiters too.
    assert find_leftover('ROUTES = [[None, {"name": "home"}]]\n', square, questions) is None
    assert find_leftover("GRID = [[0] * 3 for _ in range(3)]\n", square, questions) is None
    # Unrendered code is still found: a question named, or what is not Python.
    assert find_leftover("NAME = [[ project_slug ]]\n", square, questions) == (
        1,
        "[[ project_slug ]]",
    )
    assert find_leftover("x = 1\n[% if x %]\n", square, questions) == (2, "[% if x %]")

    # A square-delimiter template whose settings hold a nested list, and a module that
    # writes a Thibaud template naming a question through {% raw %}, on purpose.
    template = django_like_template(
        tmp_path / "template",
        square=True,
        settings_extra='ROUTES = [[None, {"name": "home"}]]\n',
    )
    build_file_tree(
        template,
        {
            "[[ project_slug ]]/emails.py.jinja": (
                '"""Mails of [[ project_name ]]."""\n\n'
                'WELCOME = "[% raw %]Welcome to [[ project_slug ]]![% endraw %]"\n'
            ),
        },
    )
    result = runner.invoke(
        main, ["validate-template", str(template), "--no-boot", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    # The same text in a file copied as it is (no suffix) is a lost suffix: found.
    build_file_tree(
        template,
        {"[[ project_slug ]]/lost.py": 'WELCOME = "Welcome to [[ project_slug ]]!"\n'},
    )
    result = runner.invoke(
        main, ["validate-template", str(template), "--no-boot", "--variant", "defaults"]
    )
    assert result.exit_code == 1
    assert "FAIL leftovers: mysite/lost.py:1: unrendered template code" in result.output


#: A context hook, as published templates write them, whose service is unreachable.
RAISING_EXTENSION = """\
from copier_template_extensions import ContextHook


class ContextUpdater(ContextHook):
    def hook(self, context):
        raise ConnectionError("the version service is unreachable")
"""


def test_an_exception_in_the_templates_extension_is_the_templates_failure(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template", extension=RAISING_EXTENSION)
    junit = tmp_path / "report.xml"
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--trust", "--variant", "defaults"]
        + ["--format", "json", "--junit-xml", str(junit)],
    )
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "report it" not in result.output
    render = json.loads(result.output)["variants"][0]["checks"][0]
    assert render["status"] == "failed"
    assert (render["file"], render["line"]) == ("extensions/context.py", 6)
    assert "ConnectionError: the version service is unreachable" in render["message"]
    assert "the template's error" in render["message"]
    cases = ElementTree.parse(junit).iter("testcase")
    failures = [case for case in cases if case.find("failure") is not None]
    assert [case.get("name") for case in failures] == ["render"]
