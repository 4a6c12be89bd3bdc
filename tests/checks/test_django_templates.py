"""A template that targets Django is told so, whatever the interpreter has installed:
with Django there, its project would boot and pass every check, served by Django."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.real_templates import django_like_template
from tests.support.trees import build_file_tree
from thibaud_cli.cli.app import main

DIAGNOSIS = "this template targets Django, not Thibaud"
BOOT_CHECKS = ("settings", "asgi", "wsgi", "manage-check")


@pytest.fixture(scope="module")
def django_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter of a virtual environment where ``pip install django`` ran: a Django
    user's own environment, the one validate-template's old advice asked for."""
    directory = tmp_path_factory.mktemp("django-venv") / "venv"
    venv.create(directory, with_pip=True)
    python = str(directory / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "django"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def _checks(runner: CliRunner, template: Path, *args: str) -> dict[str, dict[str, Any]]:
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--variant", "defaults", "--format", "json", *args],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    # Never the advice to find an interpreter that has Django.
    assert not any("--python" in note for note in report["notes"])
    return {check["name"]: check for check in report["variants"][0]["checks"]}


def _imports_django(python: str) -> bool:
    return subprocess.run([python, "-c", "import django"], check=False).returncode == 0


def test_a_django_template_fails_with_django_installed_in_the_interpreter_given(
    runner: CliRunner, tmp_path: Path, django_python: str
) -> None:
    assert _imports_django(django_python)
    template = django_like_template(tmp_path / "template", django=True)
    checks = _checks(runner, template, "--python", django_python)
    framework = checks["framework"]
    assert framework["status"] == "failed"
    assert framework["message"].startswith("imports django at config/asgi.py:3 ")
    assert DIAGNOSIS in framework["message"]
    assert (framework["file"], framework["line"]) == ("config/asgi.py", 3)
    # It is not booted: Django would serve it.
    for name in BOOT_CHECKS:
        assert checks[name]["status"] == "skipped"
        assert "targets Django, not Thibaud" in checks[name]["message"]


def test_a_django_template_fails_with_thibaud_and_django_both_installed(
    runner: CliRunner, tmp_path: Path
) -> None:
    # This interpreter has Thibaud, and Django too (dj-database-url requires it).
    assert _imports_django(sys.executable)
    template = django_like_template(tmp_path / "template", django=True)
    for args in ((), ("--python", sys.executable), ("--no-boot",)):
        checks = _checks(runner, template, *args)
        assert checks["framework"]["status"] == "failed", args
        assert DIAGNOSIS in checks["framework"]["message"]


def test_a_project_that_sets_only_djangos_settings_variable_targets_django(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "template")
    for name in ("manage.py", "config/wsgi.py", "config/asgi.py.jinja"):
        path = template / name
        path.write_text(path.read_text().replace("THIBAUD_", "DJANGO_"))
    checks = _checks(runner, template)
    assert checks["framework"]["message"].startswith(
        "sets DJANGO_SETTINGS_MODULE, never THIBAUD_SETTINGS_MODULE, at config/asgi.py:"
    )


def test_thibaud_projects_pass_the_framework_check(runner: CliRunner, tmp_path: Path) -> None:
    # A port that missed one rename is a Thibaud project with a fault, not a Django one;
    # a module named like Django's third-party apps, or Django named in a string, is not
    # an import of Django.
    template = django_like_template(tmp_path / "template", asgi_variable="DJANGO_SETTINGS_MODULE")
    build_file_tree(
        template,
        {
            "config/notes.py": (
                "import django_environ_like as env  # not django\n"
                'HELP = "from django.conf import settings"\n'
            ),
            "django_environ_like.py": "",
        },
    )
    checks = _checks(runner, template)
    assert checks["framework"]["status"] == "passed"
    assert checks["entry-points"]["status"] == "failed"


def test_the_porting_recipe_in_the_docs_ports_a_django_template(
    runner: CliRunner, tmp_path: Path
) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "templates.md").read_text("utf-8")
    section = docs.split("## Porting a Django template", 1)[1]
    recipe = section.split("```sh\n", 1)[1].split("```", 1)[0]
    template = django_like_template(tmp_path / "template", django=True)
    subprocess.run(["sh", "-c", recipe], cwd=template, check=True)
    result = runner.invoke(main, ["validate-template", str(template), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def test_a_django_style_template_is_rendered_with_the_frameworks_engine_and_checked(
    runner: CliRunner,
) -> None:
    import thibaud

    template = Path(thibaud.__path__[0]) / "conf" / "project_template"
    result = runner.invoke(main, ["validate-template", str(template), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [variant["name"] for variant in report["variants"]] == ["defaults"]
    checks = {check["name"]: check for check in report["variants"][0]["checks"]}
    assert checks["render"]["message"].startswith("rendered as a Django-style template")
    assert {check["status"] for check in checks.values()} == {"passed"}
    assert checks["asgi"]["message"] == "GET / answered 200"
    # It asks no questions: --data is a usage error, as for startproject.
    refused = runner.invoke(main, ["validate-template", str(template), "--data", "x=1"])
    assert refused.exit_code == 2 and "asks no questions" in refused.output


def test_djangos_own_project_template_is_told_it_targets_django(runner: CliRunner) -> None:
    import django

    template = Path(django.__path__[0]) / "conf" / "project_template"
    result = runner.invoke(main, ["validate-template", str(template), "--format", "json"])
    assert result.exit_code == 1, result.output
    checks = {check["name"]: check for check in json.loads(result.output)["variants"][0]["checks"]}
    assert checks["render"]["status"] == "passed"
    assert checks["framework"]["status"] == "failed"
    assert DIAGNOSIS in checks["framework"]["message"]
    assert checks["asgi"]["status"] == "skipped"
