"""validate-template varies every kind of question as copier asks it: multiselect
answers are lists, a choice without a default is tried in each of its values, a
question is varied only where its ``when`` holds, and a combination the template's own
validator refuses is skipped with what the validator says. Real copier, side by side,
defines what a user can answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.support.company_templates import company_template, run_copier_copy
from thibaud_cli.checks.variants import default_variants
from thibaud_cli.cli.app import main

#: Questions as the company templates ask them, after the shared ones: a choice without
#: a default, a question asked only with Celery, and a choice its own validator
#: disables for Docker deployments (copier's documented "disabled choice").
QUESTIONS = """\
cloud:
  type: str
  help: Where it is deployed
  choices: [aws, gcp, azure]
use_celery:
  type: bool
  default: false
celery_broker:
  type: str
  default: redis
  choices: [redis, rabbitmq]
  when: "{{ use_celery }}"
database:
  type: str
  default: postgres
  choices:
    PostgreSQL: postgres
    SQLite:
      value: sqlite
      validator: "{% if use_docker %}SQLite is not for a Docker deployment{% endif %}"
"""
#: The validator's message, as copier gives it.
REFUSED = "SQLite is not for a Docker deployment"


def _validate(runner: CliRunner, template: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(main, ["validate-template", str(template), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def _answers(template: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The answers every variant renders with: copier.yml's defaults, then the variant's."""
    config = yaml.safe_load((template / "copier.yml").read_text())
    defaults = {
        name: spec["default"]
        for name, spec in config.items()
        if not name.startswith("_") and isinstance(spec, dict) and "default" in spec
    }
    return {**defaults, **data}


def test_every_kind_of_question_is_varied_as_copier_asks_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template", extra_questions=QUESTIONS)
    report = _validate(runner, template)
    variants = {variant["name"]: variant for variant in report["variants"]}
    # Booted, not just rendered: every variant passes every check, but those refused.
    refused = {
        name for name, variant in variants.items() if variant["checks"][0]["status"] == "skipped"
    }
    for name, variant in variants.items():
        statuses = {check["status"] for check in variant["checks"]}
        assert statuses == ({"skipped"} if name in refused else {"passed"}), variant
    answer_sets = [_answers(template, variant["answers"]) for variant in variants.values()]

    # multiselect: each answer is a list of its choices, and each choice is in some
    # variant and out of another.
    for answers in answer_sets:
        assert isinstance(answers["features"], list)
        assert set(answers["features"]) <= {"api", "celery", "sentry"}
    for choice in ("api", "celery", "sentry"):
        assert {choice in answers["features"] for answers in answer_sets} == {True, False}
    # A choice without a default is answered in every variant, each value in one.
    assert all("cloud" in variant["answers"] for variant in variants.values())
    assert {answers["cloud"] for answers in answer_sets} == {"aws", "gcp", "azure"}
    # celery_broker is varied, but only where copier asks it: with Celery.
    brokers = [
        variant["answers"] for variant in variants.values() if "celery_broker" in variant["answers"]
    ]
    assert brokers and all(answers["use_celery"] is True for answers in brokers)
    assert {answers["celery_broker"] for answers in brokers} == {"rabbitmq"}
    # The combinations the template's validator refuses are skipped, with its message.
    assert refused
    for name in refused:
        answers = _answers(template, variants[name]["answers"])
        assert answers["database"] == "sqlite" and answers["use_docker"] is True
        render = variants[name]["checks"][0]
        assert render["message"] == (
            f"the template's validator refuses this combination: database: {REFUSED}"
        )
    assert report["ok"] is True


def test_copier_refuses_the_skipped_combinations_and_takes_the_others(tmp_path: Path) -> None:
    template = company_template(tmp_path / "template", extra_questions=QUESTIONS)
    # What copier itself does with the combination validate-template skips...
    with pytest.raises(ValueError, match=REFUSED):
        run_copier_copy(str(template), tmp_path / "refused", cloud="aws", database="sqlite")
    # ... and with one it runs: SQLite without Docker renders.
    run_copier_copy(
        str(template), tmp_path / "taken", cloud="aws", database="sqlite", use_docker=False
    )
    # A choice without a default is required: copier will not pick one.
    with pytest.raises(ValueError, match='Question "cloud" is required'):
        run_copier_copy(str(template), tmp_path / "required")
    # A question copier does not ask keeps its default, and stays out of the answers file.
    run_copier_copy(str(template), tmp_path / "no-celery", cloud="aws", use_celery=False)
    answers = yaml.safe_load((tmp_path / "no-celery/.copier/project.yml").read_text())
    assert "celery_broker" not in answers and answers["use_celery"] is False


def test_multiselect_choices_are_covered_pairwise_with_the_other_questions() -> None:
    config = {
        "features": {
            "type": "str",
            "multiselect": True,
            "choices": ["api", "celery", "sentry", "admin"],
            "default": ["api"],
        },
        "python_version": {"default": "3.12", "choices": ["3.12", "3.13"]},
        "use_docker": {"type": "bool", "default": True},
    }
    variants, notes = default_variants(config, {})
    assert "pairwise" in notes[0]  # 2**4 * 2 * 2 = 64 combinations
    defaults = {"python_version": "3.12", "use_docker": True, "features": ["api"]}
    rows = [defaults | variant.answers for variant in variants]
    for row in rows:
        assert isinstance(row["features"], list)
    for choice in ("api", "celery", "sentry", "admin"):
        for other, values in (("python_version", ["3.12", "3.13"]), ("use_docker", [True, False])):
            for selected in (True, False):
                for value in values:
                    assert any(
                        (choice in row["features"]) is selected and row[other] == value
                        for row in rows
                    ), (choice, selected, other, value)
    # A multiselect answer reads as a YAML list in the variant's name.
    assert any("features=[" in variant.name for variant in variants)


def test_a_question_is_varied_only_where_its_condition_holds_even_pairwise() -> None:
    config = {
        "use_celery": {"type": "bool", "default": False},
        "celery_broker": {
            "choices": ["redis", "rabbitmq", "sqs"],
            "default": "redis",
            "when": "{{ use_celery }}",
        },
        "python_version": {"default": "3.12", "choices": ["3.12", "3.13"]},
        "database": {"default": "postgres", "choices": ["postgres", "sqlite", "mysql"]},
    }
    variants, notes = default_variants(config, {})
    assert "pairwise" in notes[0]
    assert all(
        variant.answers.get("use_celery") is True
        for variant in variants
        if "celery_broker" in variant.answers
    )
    rows = [
        {"use_celery": False, "python_version": "3.12", "database": "postgres"}
        | {"celery_broker": "redis"}
        | variant.answers
        for variant in variants
    ]
    # Every broker is still met with every other question's values, with Celery on.
    for broker in ("rabbitmq", "sqs"):
        for other, values in (
            ("python_version", ["3.12", "3.13"]),
            ("database", ["postgres", "sqlite", "mysql"]),
        ):
            for value in values:
                assert any(
                    row["use_celery"] and row["celery_broker"] == broker and row[other] == value
                    for row in rows
                ), (broker, other, value)
    assert len({variant.name for variant in variants}) == len(variants)


def test_every_missing_required_answer_in_one_message(runner: CliRunner, tmp_path: Path) -> None:
    template = company_template(
        tmp_path / "template",
        extra_questions=(
            "author_name:\n  type: str\n"
            "author_email:\n  type: str\n"
            "sentry_dsn:\n  type: str\n  when: \"{{ 'sentry' in features }}\"\n"
            "licence:\n  type: str\n  when: false\n"
        ),
    )
    result = runner.invoke(
        main, ["startproject", "blog", str(tmp_path / "blog"), "--template", str(template)]
    )
    assert result.exit_code == 2
    assert (
        "Questions author_name, author_email, sentry_dsn are required (no default): give them "
        "with --data author_name=VALUE --data author_email=VALUE --data sentry_dsn=VALUE."
    ) in result.output
    assert not (tmp_path / "blog").exists()
    # Without Sentry its DSN is not asked, so not missing.
    result = runner.invoke(
        main,
        ["startproject", "blog", str(tmp_path / "blog"), "--template", str(template)]
        + ["--data", "features=[api]"],
    )
    assert "Questions author_name, author_email are required" in result.output
    # validate-template says the same, once per variant, and fails.
    result = runner.invoke(
        main, ["validate-template", str(template), "--no-boot", "--variant", "defaults"]
    )
    assert result.exit_code == 1
    assert "Questions author_name, author_email, sentry_dsn are required" in result.output


def test_answers_the_user_gave_that_the_validator_refuses_fail(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template", extra_questions=QUESTIONS)
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--no-boot", "--format", "json"]
        + ["--data", "database=sqlite", "--data", "use_docker=true"],
    )
    assert result.exit_code == 1, result.output
    variants = json.loads(result.output)["variants"]
    # The user's own answers (the first variant) fail; the combinations chosen on top of
    # them are skipped.
    assert variants[0]["checks"][0]["status"] == "failed"
    assert REFUSED in variants[0]["checks"][0]["message"]
    assert {variant["checks"][0]["status"] for variant in variants[1:]} == {"skipped"}
