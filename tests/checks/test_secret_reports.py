"""Answers to ``secret: true`` questions, and the SECRET_KEY each variant gets, never
appear in a validate-template report: text, JSON or JUnit XML, variant names included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, copy_bundled_template
from thibaud_cli.cli import main
from thibaud_cli.template.secrets import MASK

SECRET = "hunter2-Sup3rS3cret"

QUESTIONS = f"""
db_password:
  type: str
  secret: true
  default: ""
  validator: >-
    {{% if db_password == '{SECRET}' %}}{{{{ db_password }}}} is the leaked one{{% endif %}}
flavour:
  type: str
  default: vanilla
  choices: [vanilla, chocolate]
"""


def reports(runner: CliRunner, tmp_path: Path, *args: str) -> list[str]:
    """The three reports of one run: text, JSON, JUnit XML."""
    junit = tmp_path / "report.xml"
    text = runner.invoke(main, ["validate-template", *args, "--junit-xml", str(junit), "-v", "2"])
    as_json = runner.invoke(main, ["validate-template", *args, "--format", "json"])
    json.loads(as_json.output)
    return [text.output, as_json.output, junit.read_text("utf-8")]


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\n" + QUESTIONS,
            "{{ project_name }}/__init__.py": "",
            "{{ project_name }}/asgi.py.jinja": "application = None\n",
        },
    )


def test_a_secret_given_with_data_is_masked_everywhere(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    accepted = "another-Sup3rS3cret"
    for report in reports(
        runner, tmp_path, str(template), "--no-boot", "--data", f"db_password={accepted}"
    ):
        assert accepted not in report
        assert f"db_password={MASK}" in report
    # One the validator refuses is refused once, before any variant renders (every
    # variant would fail on it alike): the value masked in that one line too.
    refused = runner.invoke(
        main, ["validate-template", str(template), "--data", f"db_password={SECRET}"]
    )
    assert refused.exit_code == 2, refused.output
    assert SECRET not in refused.output
    assert f"{MASK} is the leaked one" in refused.output


def test_a_secret_a_matrix_entry_gives_the_validator_is_masked_in_its_failure(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    matrix = tmp_path / "matrix.json"
    matrix.write_text(json.dumps([{"db_password": SECRET}, {"flavour": "chocolate"}]))
    for report in reports(runner, tmp_path, str(template), "--no-boot", "--matrix", str(matrix)):
        assert SECRET not in report
        # The validator's failure is that variant's, reported with the value masked.
        assert f"{MASK} is the leaked one" in report


def test_a_secret_in_a_matrix_is_masked_everywhere(
    runner: CliRunner, tmp_path: Path, template: Path
) -> None:
    matrix = tmp_path / "matrix.yml"
    matrix.write_text(
        json.dumps([{"db_password": SECRET}, {"db_password": "other-secret", "flavour": "x"}])
    )
    for report in reports(runner, tmp_path, str(template), "--no-boot", "--matrix", str(matrix)):
        assert SECRET not in report and "other-secret" not in report
        assert f"db_password={MASK}" in report


def test_secrets_printed_by_the_booted_project_are_masked(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = copy_bundled_template(tmp_path / "template")
    config = template / "copier.yml"
    without_validator = "\n".join(
        line for line in QUESTIONS.splitlines() if "validator" not in line and "{%" not in line
    )
    config.write_text(config.read_text() + without_validator + "\n")
    settings = template / "{{ project_name }}" / "settings.py.jinja"
    settings.write_text(
        settings.read_text() + '\nraise RuntimeError("{{ db_password }} " + SECRET_KEY)\n'
    )
    for report in reports(runner, tmp_path, str(template), "--data", f"db_password={SECRET}"):
        assert SECRET not in report
        assert f"{MASK} thibaud-insecure-{MASK}" in report
