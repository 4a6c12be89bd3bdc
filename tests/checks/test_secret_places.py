"""Every place a validate-template report could show a secret, attacked (issue 25): the
notes and ``--list-variants`` of a git-URL template (whose secret questions are known
only once it renders), a secret question's default, a default generated at render time,
a secret straddling the cut of the tasks' output, and a one-letter secret that must not
garble the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, git_commit_all
from thibaud_cli.cli import main
from thibaud_cli.template.secrets import MASK

SECRET = "hunter2-Sup3rS3cret"

BASE = {
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/asgi.py.jinja": "application = None\n",
}


def template(root: Path, questions: str, **files: str) -> Path:
    spec = {"copier.yml": "_templates_suffix: .jinja\n" + questions, **BASE, **files}
    return build_file_tree(root / "template", spec)


def reports(runner: CliRunner, root: Path, *args: str) -> list[str]:
    """The three reports of one run: text, JSON, JUnit XML (which, unlike the other two,
    shows no notes, and no messages of passed checks)."""
    junit = root / "report.xml"
    text = runner.invoke(main, ["validate-template", *args, "--junit-xml", str(junit), "-v", "2"])
    as_json = runner.invoke(main, ["validate-template", *args, "--format", "json"])
    json.loads(as_json.output)
    return [text.output, as_json.output, junit.read_text("utf-8")]


SECRET_QUESTION = """
db_password:
  type: str
  secret: true
  default: ""
"""


def test_a_secret_given_to_a_git_url_template_is_masked_in_notes_and_list_variants(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = template(tmp_path, SECRET_QUESTION)
    git_commit_all(repo, "v1", tag="v1")
    url = f"file://{repo}"
    for listing_format in ("text", "json"):
        listing = runner.invoke(
            main,
            [
                "validate-template",
                url,
                "--data",
                f"db_password={SECRET}",
                "--list-variants",
                "--format",
                listing_format,
            ],
        )
        assert listing.exit_code == 0, listing.output
        assert SECRET not in listing.output and MASK in listing.output
    for report in reports(runner, tmp_path, url, "--no-boot", "--data", f"db_password={SECRET}"):
        assert SECRET not in report
    text, as_json, _ = reports(
        runner, tmp_path, url, "--no-boot", "--data", f"db_password={SECRET}"
    )
    assert f"Variants run: db_password={MASK}" in text and "Variants run" in as_json


def test_a_secret_questions_default_is_masked(runner: CliRunner, tmp_path: Path) -> None:
    default = "the-Default-Passw0rd"
    questions = f"""
db_password:
  type: str
  secret: true
  default: {default}
check:
  type: str
  default: x
  validator: "{{{{ db_password }}}} is the leaked one"
"""
    for report in reports(runner, tmp_path, str(template(tmp_path, questions)), "--no-boot"):
        assert default not in report
        assert f"{MASK} is the leaked one" in report


TASKS = """
_tasks:
  - "{{ _copier_python }} -c \\"print('token=' + '{{ token }}')\\""
"""


def test_a_default_generated_at_render_time_is_masked(runner: CliRunner, tmp_path: Path) -> None:
    questions = (
        """
token:
  type: str
  secret: true
  default: "{{ project_name ~ '-gener4ted-' ~ (project_name | length * 7919) }}"
"""
        + TASKS
    )
    generated = f"mysite-gener4ted-{len('mysite') * 7919}"
    shown = reports(runner, tmp_path, str(template(tmp_path, questions)), "--no-boot", "--trust")
    for report in shown:
        assert generated not in report
    assert f"token={MASK}" in shown[0] and f"token={MASK}" in shown[1]


def test_a_secret_is_masked_before_the_tasks_output_is_cut(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The task prints the secret then 3,995 characters: the cut to the last 4,000 falls
    inside the secret, whose tail alone would no longer be recognised."""
    questions = (
        SECRET_QUESTION
        + """
_tasks:
  - "{{ _copier_python }} -c \\"print('{{ db_password }}' + 'x' * 3995)\\""
"""
    )
    for report in reports(
        runner,
        tmp_path,
        str(template(tmp_path, questions)),
        "--no-boot",
        "--trust",
        "--data",
        f"db_password={SECRET}",
    ):
        assert SECRET[-5:] + "xxxx" not in report
        assert SECRET not in report


@pytest.mark.parametrize("secret", ["a", "e"])
def test_a_one_letter_secret_does_not_garble_the_report(
    runner: CliRunner, tmp_path: Path, secret: str
) -> None:
    path = template(tmp_path, SECRET_QUESTION)
    shown = reports(runner, tmp_path, str(path), "--no-boot", "--data", f"db_password={secret}")
    for report in shown:
        assert f"db_password={MASK}" in report
        # The words of the report are whole: nothing inside them was replaced.
        assert f"{MASK}{MASK}" not in report
        assert "r" + MASK not in report and MASK + "n" not in report
        assert "entry-points" in report or "entry_points" in report
    assert "shorter than 4 characters" in shown[0] and "shorter than 4 characters" in shown[1]
