"""Inputs from issue 25 that ended in an internal error ("report it"), or in a report a
CI system could not read: each is one line with the right exit code, or a well-formed
report, whatever it holds."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree
from thibaud_cli.checks.reports import junit_xml
from thibaud_cli.checks.results import CheckResult, ValidationReport, VariantResult
from thibaud_cli.cli import main

TRUSTED_HOST = "starlette.middleware.trustedhost:TrustedHostMiddleware"


@pytest.mark.parametrize("dynamic", ["1", '"dependencies"', "{ a = 1 }"])
def test_a_dynamic_that_is_not_a_list_is_one_line(
    runner: CliRunner,
    make_project,  # type: ignore[no-untyped-def]
    dynamic: str,
) -> None:
    project = make_project()
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text("utf-8").replace("[project]\n", f"[project]\ndynamic = {dynamic}\n")
    pyproject.write_text(text, "utf-8")
    result = runner.invoke(
        main, ["add-asgi-middleware", TRUSTED_HOST, "--project-dir", str(project)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        f"Add starlette>={version('starlette')} to the project's dependencies yourself: "
        "[project].dynamic in pyproject.toml is not a list."
    ]
    assert pyproject.read_text("utf-8") == text


HOSTILE = "nul\x00 bell\x07 escape\x1b[31m lone\ud800 nonchar\ufffe end"


def test_junit_xml_is_well_formed_whatever_a_message_holds() -> None:
    check = CheckResult("render", "failed", HOSTILE, file=f"a\x00{HOSTILE}.py", line=3)
    skipped = CheckResult("boot", "skipped", HOSTILE)
    report = ValidationReport("t", (VariantResult(HOSTILE, {}, (check, skipped)),), (HOSTILE,))
    text = junit_xml(report)
    root = ElementTree.fromstring(text.encode("utf-8", "surrogatepass"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "nul\\x00 bell\\x07 escape\\x1b[31m lone\\xd800 nonchar\\xfffe end" in failure.get(
        "message", ""
    )


def test_a_validator_message_with_a_nul_gives_a_readable_junit_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": (
                "_templates_suffix: .jinja\n"
                "flavour:\n  type: str\n  default: x\n"
                '  validator: "bad\\0value\\e[2J"\n'
            ),
            "{{ project_name }}/__init__.py": "",
        },
    )
    matrix = tmp_path / "matrix.json"
    matrix.write_text(json.dumps([{"flavour": "a\u0000b"}]))
    junit = tmp_path / "report.xml"
    result = runner.invoke(
        main,
        [
            "validate-template",
            str(template),
            "--no-boot",
            "--matrix",
            str(matrix),
            "--junit-xml",
            str(junit),
        ],
    )
    assert result.exit_code == 1, result.output
    root = ElementTree.parse(junit).getroot()
    assert root.get("failures") != "0"
    assert "\\x00" in junit.read_text("utf-8")
