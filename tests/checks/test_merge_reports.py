"""Validation spread over CI machines: the variants as a GitHub matrix, one job per
variant writing its JSON report, and ``merge-reports`` giving back the report (and the
exit status) of a single run of every variant. The published workflow is checked
against GitHub's schema and run here, its jobs as processes side by side."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import BIN_DIR, run_cli
from tests.support.real_templates import django_like_template
from tests.support.workflow import run_workflow

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "validate-template-matrix.yml"
BUNDLED = ROOT / "templates" / "project"


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A JSON report less what differs between two runs of the same checks: how long
    each took, and where the template was checked out."""
    variants = [
        {**variant, "checks": [{**c, "duration": None} for c in variant["checks"]]}
        for variant in report["variants"]
    ]
    return {**report, "template": None, "variants": variants}


def _variants(template: Path, tmp_path: Path) -> list[str]:
    listed = run_cli(
        "validate-template",
        str(template),
        "--list-variants",
        "--format",
        "github-matrix",
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    matrix = json.loads(listed.stdout)
    assert set(matrix) == {"include"}
    return [entry["variant"] for entry in matrix["include"]]


def test_the_workflow_passes_the_github_workflow_schema(tmp_path: Path) -> None:
    checker = [str(BIN_DIR / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    checked = subprocess.run([*checker, str(WORKFLOW)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The schema has teeth: a job without runs-on is refused.
    broken = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    del broken["jobs"]["validate"]["runs-on"]
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken), "utf-8")
    refused = subprocess.run([*checker, str(tmp_path / "broken.yml")], capture_output=True)
    assert refused.returncode == 1


def test_the_workflow_run_here_merges_into_the_single_run_report(tmp_path: Path) -> None:
    repository = tmp_path / "repo" / "template"
    shutil.copytree(BUNDLED, repository)
    run = run_workflow(WORKFLOW, repository, tmp_path / "run")
    names = _variants(repository, tmp_path)
    # A job per variant, side by side, and every job passed.
    assert sum(1 for job in run.jobs if job.startswith("validate (")) == len(names) > 1
    assert all(run.jobs.values()), run.steps
    merge_step = next(step for step in run.steps if "merge-reports" in step.script)
    assert merge_step.returncode == 0, merge_step.stderr
    assert merge_step.stdout.startswith("Template ")

    single = run_cli("validate-template", str(repository), "--format", "json", cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    reports = sorted((tmp_path / "run" / "jobs" / "report-0" / "reports").glob("*/report.json"))
    assert len(reports) == len(names)
    merged = run_cli("merge-reports", *map(str, reports), "--format", "json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert _comparable(json.loads(merged.stdout)) == _comparable(json.loads(single.stdout))
    # The merge job's JUnit artifact holds every variant.
    junit = (run.artifacts / "template-report" / "template-report.xml").read_text("utf-8")
    assert all(f'<testsuite name="{name}"' in junit for name in names)


def _broken_variant_template(tmp_path: Path) -> Path:
    # The use_celery=True variants import a module that does not exist: they fail.
    return django_like_template(
        tmp_path / "t",
        settings_extra="{% if use_celery %}import not_a_module_of_anyone_xyz\n{% endif %}",
    )


def _job_reports(template: Path, tmp_path: Path) -> list[Path]:
    reports = []
    for index, name in enumerate(_variants(template, tmp_path)):
        job = run_cli(
            "validate-template",
            str(template),
            "--variant",
            name,
            "--format",
            "json",
            cwd=tmp_path,
        )
        assert job.returncode in (0, 1), job.stderr
        reports.append(tmp_path / f"report-{index}.json")
        reports[-1].write_text(job.stdout, "utf-8")
    return reports


def test_a_failing_variant_fails_the_merge_as_it_fails_a_single_run(tmp_path: Path) -> None:
    template = _broken_variant_template(tmp_path)
    reports = _job_reports(template, tmp_path)
    single = run_cli("validate-template", str(template), "--format", "json", cwd=tmp_path)
    assert single.returncode == 1, single.stderr
    merged = run_cli("merge-reports", *map(str, reports), "--format", "json", cwd=tmp_path)
    assert merged.returncode == 1, merged.stderr
    assert _comparable(json.loads(merged.stdout)) == _comparable(json.loads(single.stdout))
    text = run_cli("merge-reports", *map(str, reversed(reports)), cwd=tmp_path)
    assert text.returncode == 1
    # The order of the files does not matter: the variants come in the template's order.
    assert text.stdout.splitlines()[1].startswith("ok   defaults")
    assert "FAIL use_celery=True" in text.stdout and "not_a_module_of_anyone_xyz" in text.stdout
    junit = run_cli("merge-reports", *map(str, reports), "--format", "junit", cwd=tmp_path)
    assert junit.returncode == 1 and junit.stdout.startswith("<?xml")


def _refusal(tmp_path: Path, *args: str) -> str:
    refused = run_cli("merge-reports", *args, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
    return lines[0]


def test_reports_that_cannot_make_the_whole_are_refused_in_one_line(tmp_path: Path) -> None:
    template = _broken_variant_template(tmp_path)
    reports = [str(path) for path in _job_reports(template, tmp_path)]
    assert "no report has variant(s) use_celery=True" in _refusal(tmp_path, *reports[:-1])
    assert "reported twice" in _refusal(tmp_path, *reports, reports[0])
    assert "no such file" in _refusal(tmp_path, *reports, "absent.json")
    (tmp_path / "empty.json").write_text("", "utf-8")
    assert "is empty" in _refusal(tmp_path, *reports, "empty.json")
    (tmp_path / "junk.json").write_text("{not json", "utf-8")
    assert "not JSON" in _refusal(tmp_path, *reports, "junk.json")
    (tmp_path / "other.json").write_text('{"variant": ["defaults"]}', "utf-8")
    assert "not a validate-template JSON report" in _refusal(tmp_path, "other.json")
    document = json.loads(Path(reports[0]).read_text("utf-8"))
    for change, expected in [
        ({"report_version": 99}, "layout 99"),
        ({"thibaud_cli": "0.0.1"}, "written by thibaud-cli"),
        ({"template": "/elsewhere/another"}, "different templates"),
        ({"plan": {"variants": ["defaults"], "notes": []}}, "different sets of variants"),
        ({"variants": [{"name": "defaults"}]}, "malformed report"),
    ]:
        (tmp_path / "changed.json").write_text(json.dumps({**document, **change}), "utf-8")
        assert expected in _refusal(tmp_path, "changed.json", *reports[1:]), change


def test_github_matrix_is_for_listing_the_variants(tmp_path: Path) -> None:
    template = _broken_variant_template(tmp_path)
    names = _variants(template, tmp_path)
    assert names[0] == "defaults" and len(names) == 4
    refused = run_cli("validate-template", str(template), "--format", "github-matrix", cwd=tmp_path)
    assert refused.returncode == 2 and "--list-variants" in refused.stderr


def test_shards_merge_into_the_single_run_report(tmp_path: Path) -> None:
    template = _broken_variant_template(tmp_path)
    single = run_cli("validate-template", str(template), "--format", "json", cwd=tmp_path)
    assert single.returncode == 1, single.stderr
    reports = []
    for number in (1, 2, 3):
        part = run_cli(
            *("validate-template", str(template), "--shard", f"{number}/3", "--format", "json"),
            cwd=tmp_path,
        )
        assert part.returncode in (0, 1), part.stderr
        reports.append(tmp_path / f"shard-{number}.json")
        reports[-1].write_text(part.stdout, "utf-8")
    # Every Nth variant from the Kth: 4 variants in shares of 2, 1 and 1.
    sizes = [len(json.loads(path.read_text("utf-8"))["variants"]) for path in reports]
    assert sizes == [2, 1, 1]
    merged = run_cli("merge-reports", *map(str, reports), "--format", "json", cwd=tmp_path)
    assert merged.returncode == 1, merged.stderr
    assert _comparable(json.loads(merged.stdout)) == _comparable(json.loads(single.stdout))


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--shard", "0/2"), "1 <= K <= N"),
        (("--shard", "3/2"), "1 <= K <= N"),
        (("--shard", "half"), "give K/N"),
        (("--shard", "1/2", "--variant", "defaults"), "give one"),
    ],
)
def test_a_shard_that_is_not_one_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    template = django_like_template(tmp_path / "t")
    refused = run_cli("validate-template", str(template), *args, cwd=tmp_path)
    assert refused.returncode == 2 and problem in refused.stderr, refused.stderr
    assert refused.stdout == ""
