"""validate-template on templates shaped like real ones: true faults only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cli import run_cli
from tests.support.company_templates import run_copier_copy
from tests.support.real_templates import django_like_template
from tests.support.trees import build_file_tree, git_commit_all
from thibaud_cli.checks.leftovers import find_leftover
from thibaud_cli.checks.pairwise import pairwise_indices
from thibaud_cli.cli.app import main


def _report(output: str) -> dict[str, dict[str, dict[str, str]]]:
    """{variant: {check: {status, message, ...}}} of a --format json report."""
    document = json.loads(output)
    return {
        variant["name"]: {check["name"]: check for check in variant["checks"]}
        for variant in document["variants"]
    }


def _failed(report: dict[str, dict[str, dict[str, str]]]) -> set[tuple[str, str]]:
    return {
        (variant, name)
        for variant, checks in report.items()
        for name, check in checks.items()
        if check["status"] == "failed"
    }


def test_display_name_template_passes_with_project_name_as_data(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "t", declare=True, include=True, square=True)
    result = runner.invoke(
        main,
        [
            "validate-template",
            str(template),
            "--data",
            "project_name=Shop Site",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = _report(result.output)
    assert _failed(report) == set()
    # Booleans are varied as well as choices (use_celery comes from an !include).
    assert any("use_celery=True" in name for name in report)
    assert any("database=postgres" in name for name in report)
    notes = json.loads(result.output)["notes"]
    assert notes[0].startswith("Variants run: ")


def test_list_variants_as_a_github_matrix_and_one_variant(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "t")
    listed = runner.invoke(
        main, ["validate-template", str(template), "--list-variants", "--format", "json"]
    )
    assert listed.exit_code == 0, listed.output
    matrix = json.loads(listed.output)
    assert matrix["variant"][0] == "defaults" and len(matrix["variant"]) == 4
    one = runner.invoke(
        main,
        ["validate-template", str(template), "--variant", "use_celery=True", "--format", "json"],
    )
    assert one.exit_code == 0, one.output
    assert list(_report(one.output)) == ["use_celery=True"]
    unknown = runner.invoke(main, ["validate-template", str(template), "--variant", "nope"])
    assert unknown.exit_code == 2 and "no such variant" in unknown.output


def test_task_output_stays_out_of_the_json_and_junit_streams(tmp_path: Path) -> None:
    tasks = ("echo TASK-SAYS-OUT", "echo TASK-SAYS-ERR >&2")
    template = django_like_template(tmp_path / "t", tasks=tasks)
    junit = tmp_path / "report.xml"
    completed = run_cli(
        *("validate-template", str(template), "--trust", "--variant", "defaults"),
        *("--format", "json", "--junit-xml", str(junit)),
        cwd=tmp_path,
        module=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "TASK-SAYS" not in completed.stderr
    render = _report(completed.stdout)["defaults"]["render"]  # stdout is JSON alone
    assert "TASK-SAYS-OUT" in render["message"] and "TASK-SAYS-ERR" in render["message"]
    ElementTree.parse(junit)


def test_a_failing_task_is_reported_with_what_it_printed(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "t", tasks=("echo about to fail; exit 3",))
    result = runner.invoke(
        main,
        [
            "validate-template",
            str(template),
            "--trust",
            "--variant",
            "defaults",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    render = _report(result.output)["defaults"]["render"]
    assert render["status"] == "failed"
    assert (
        "A task of the template failed" in render["message"]
        and "about to fail" in render["message"]
    )


def test_the_working_tree_is_validated_uncommitted_changes_included(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo")
    git_commit_all(repo, "v1", tag="v1")
    settings_file = repo / "config" / "settings.py.jinja"
    settings_file.write_text(settings_file.read_text() + 'raise RuntimeError("dirty")\n')
    base = ["validate-template", str(repo), "--variant", "defaults", "--format", "json"]
    dirty = runner.invoke(main, base)
    assert dirty.exit_code == 1
    assert ("defaults", "settings") in _failed(_report(dirty.output))
    tagged = runner.invoke(main, [*base, "--vcs-ref", "v1"])
    assert tagged.exit_code == 0, tagged.output


def test_undefined_names_follow_copiers_rules_and_locations_are_relative(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo")
    build_file_tree(
        repo,
        {
            "copier.yml": (repo / "copier.yml").read_text()
            + "hidden:\n  type: str\n  when: false\n"
            + "maybe:\n  type: str\n  when: '{{ use_celery }}'\n",
            "NOTES.md.jinja": "{{ _copier_operation }} {{ hidden }} {{ maybe }}\n",
        },
    )
    ok = runner.invoke(
        main, ["validate-template", str(repo), "--variant", "defaults", "--strict-undefined"]
    )
    assert ok.exit_code == 0, ok.output
    (repo / "NOTES.md.jinja").write_text("line one\n{{ projet_slug }}\n")
    git_commit_all(repo, "typo", tag="v1")
    # copier renders the typo without a word: an empty string.
    run_copier_copy(str(repo), tmp_path / "by-copier", vcs_ref="v1")
    assert (tmp_path / "by-copier" / "NOTES.md").read_text() == "line one\n\n"
    # So by default it is a warning of its own check, the project checked all the same...
    args = ["validate-template", f"file://{repo}", "--format", "json", "--data", "use_celery=false"]
    warned = runner.invoke(main, args)
    assert warned.exit_code == 0, warned.output
    (checks,) = _report(warned.output).values()
    assert checks["undefined"]["status"] == "warning"
    assert checks["render"]["status"] == checks["asgi"]["status"] == "passed"
    # ... and a failure with --strict-undefined, at the template's file and line.
    result = runner.invoke(main, [*args, "--strict-undefined"])
    assert result.exit_code == 1
    # The one variant run (its name masks the --data answer: a remote template's secret
    # questions are not known before it renders).
    (checks,) = _report(result.output).values()
    undefined = checks["undefined"]
    assert undefined["status"] == "failed"
    assert (undefined["file"], undefined["line"]) == ("NOTES.md.jinja", 2)
    assert undefined["message"].startswith("'projet_slug' is undefined at NOTES.md.jinja:2")
    # Never a path into the clone copier made and deleted.
    assert "clone" not in result.output and "/tmp" not in undefined["message"]


def test_a_template_ported_by_renaming_alone_has_its_true_faults_only(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The one rename missed: asgi.py still sets DJANGO_SETTINGS_MODULE, which Thibaud ignores.
    template = django_like_template(tmp_path / "t", asgi_variable="DJANGO_SETTINGS_MODULE")
    result = runner.invoke(
        main, ["validate-template", str(template), "--variant", "defaults", "--format", "json"]
    )
    assert result.exit_code == 1
    report = _report(result.output)
    assert _failed(report) == {("defaults", "entry-points"), ("defaults", "asgi")}
    entry = report["defaults"]["entry-points"]
    assert entry["file"] == "config/asgi.py" and "DJANGO_SETTINGS_MODULE is set" in entry["message"]


def test_one_boot_failure_does_not_cascade_and_missing_imports_are_noted(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(
        tmp_path / "t", settings_extra='INSTALLED_APPS += ["missing_app_xyz"]\n'
    )
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--variant", "defaults", "--format", "json"]
        + ["--python", sys.executable],
    )
    assert result.exit_code == 1
    checks = _report(result.output)["defaults"]
    for name in ("asgi", "wsgi", "manage-check"):
        assert checks[name]["status"] == "failed"
        assert "reentrant" not in checks[name]["message"]
    assert "missing_app_xyz" in checks["asgi"]["message"]
    assert "missing_app_xyz" in checks["wsgi"]["message"]
    assert any("not installed for" in note for note in json.loads(result.output)["notes"])


def test_python_must_be_an_interpreter(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "t")
    result = runner.invoke(
        main, ["validate-template", str(template), "--python", str(tmp_path / "no")]
    )
    assert result.exit_code == 2


def test_leftovers_honour_delimiters_raw_output_and_python_strings() -> None:
    square = {"variable_start_string": "[[", "variable_end_string": "]]"}
    questions = {"project_slug"}
    assert find_leftover('PAGE = "<h1>{{ title }}</h1>"\n', {}, questions) is None
    assert find_leftover('x = f"{{x}}"  # {{ comment }}\n', {}, questions) is None
    assert find_leftover('NAME = "{{ project_slug }}"\n', {}, questions) == (
        1,
        "{{ project_slug }}",
    )
    assert find_leftover("x = 1\n{% if x %}\n", {}, questions) == (2, "{% if x %}")
    assert find_leftover('NAME = "{{ project_slug }}"\n', square, questions) is None
    assert find_leftover('NAME = "[[ project_slug ]]"\n', square, questions) == (
        1,
        "[[ project_slug ]]",
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=7))
def test_pairwise_covers_every_pair(sizes: list[int]) -> None:
    rows = pairwise_indices(sizes)
    assert all(len(row) == len(sizes) for row in rows)
    assert all(0 <= value < sizes[i] for row in rows for i, value in enumerate(row))
    for i in range(len(sizes)):
        for j in range(i + 1, len(sizes)):
            for a in range(sizes[i]):
                for b in range(sizes[j]):
                    assert any(row[i] == a and row[j] == b for row in rows)
    total = 1
    for size in sizes:
        total *= size
    assert len(rows) <= total


def test_skip_tasks_validates_a_template_with_tasks_without_trust(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "t", tasks=("touch ran.txt",))
    base = ["validate-template", str(template), "--variant", "defaults"]
    refused = runner.invoke(main, base)
    assert refused.exit_code == 1 and "--trust" in refused.output
    skipped = runner.invoke(main, [*base, "--skip-tasks"])
    assert skipped.exit_code == 0, skipped.output


def test_vcs_ref_needs_a_git_template(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "t")
    result = runner.invoke(main, ["validate-template", str(template), "--vcs-ref", "v1"])
    assert result.exit_code == 2 and "is not a git repository" in result.output
    bundled = runner.invoke(main, ["startproject", "shop", str(tmp_path / "p"), "--vcs-ref", "v1"])
    assert bundled.exit_code == 2
    assert "--vcs-ref v1: the bundled template has versions 1, " in bundled.output


def test_python_serves_with_that_interpreter_too(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "t")
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--variant", "defaults", "--format", "json"]
        + ["--python", sys.executable, "--server", "uvicorn"],
    )
    assert result.exit_code == 0, result.output
    assert _report(result.output)["defaults"]["server"]["status"] == "passed"
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    refused = runner.invoke(
        main,
        ["validate-template", str(template), "--python", str(venv / "bin" / "python")]
        + ["--server", "uvicorn"],
    )
    assert refused.exit_code == 2 and "uvicorn is not installed for" in refused.output


def test_settings_that_exit_fail_with_their_own_words(runner: CliRunner, tmp_path: Path) -> None:
    refusal = "import sys\nprint('DATABASE_URL: unknown scheme', file=sys.stderr)\nsys.exit(1)\n"
    template = django_like_template(tmp_path / "t", settings_extra=refusal)
    result = runner.invoke(
        main, ["validate-template", str(template), "--variant", "defaults", "--format", "json"]
    )
    assert result.exit_code == 1
    checks = _report(result.output)["defaults"]
    assert checks["settings"]["status"] == "failed"
    assert checks["settings"]["message"] == (
        "settings module config.settings exits: DATABASE_URL: unknown scheme"
    )
