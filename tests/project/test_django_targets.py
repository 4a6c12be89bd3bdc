"""startproject will not create a Django project, nor the middleware commands wrap one.

A published template made for Django renders a project Thibaud cannot run, and the
closing "Serve it" hint would fail with "No module named 'django'". validate-template's
framework check already tells such a template in one line; startproject gives that line
(exit 1, nothing written), and so do the commands that change a project's ``asgi.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.real_templates import django_like_template, django_style_template
from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli.app import main

DIAGNOSIS = "this template targets Django, not Thibaud: port it as docs/templates.md says"


def _refused(result: object, where: str) -> None:
    output = getattr(result, "output", "")
    assert getattr(result, "exit_code", None) == 1, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert f"imports django at {where}" in lines[0], output
    assert "Traceback" not in output


def test_a_copier_template_for_django_is_refused_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = django_like_template(tmp_path / "template", django=True)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["startproject", "shop", "--template", str(template)])
    _refused(result, "config/asgi.py:3 (and ")
    assert DIAGNOSIS in result.output
    assert "Serve it" not in result.output
    assert sorted(os.listdir(tmp_path)) == ["template"]
    # A dry run says so too: it would not create it either.
    dry = runner.invoke(main, ["startproject", "shop", "--template", str(template), "--dry-run"])
    _refused(dry, "config/asgi.py:3")


def test_into_an_existing_directory_nothing_changes(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "template", django=True)
    target = build_file_tree(tmp_path / "existing", {"README.md": "mine\n", "notes.txt": "x\n"})
    before = tree_snapshot(target)
    result = runner.invoke(main, ["startproject", "shop", str(target), "--template", str(template)])
    _refused(result, "config/asgi.py:3")
    assert tree_snapshot(target) == before


def test_a_django_style_template_for_django_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    template = django_style_template(tmp_path / "django_template")
    target = tmp_path / "site"
    result = runner.invoke(
        main, ["startproject", "site_one", str(target), "--template", str(template)]
    )
    _refused(result, "manage.py:")
    assert DIAGNOSIS in result.output
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == ["django_template"]


def test_djangos_own_project_template_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    import django

    template = Path(django.__path__[0]) / "conf" / "project_template"
    result = runner.invoke(
        main, ["startproject", "site_one", str(tmp_path / "site"), "--template", str(template)]
    )
    _refused(result, "manage.py:")
    assert os.listdir(tmp_path) == []


def test_a_template_that_only_mentions_django_makes_its_project(
    runner: CliRunner, tmp_path: Path
) -> None:
    # A comment, a string, a module named like a Django app: none imports Django.
    template = django_like_template(tmp_path / "template")
    build_file_tree(
        template,
        {
            "config/notes.py": (
                "# Ported from django: from django.conf import settings\n"
                "import django_environ_like as env  # not django\n"
                'HELP = "from django.conf import settings"\n'
                'DJANGO_NAME = "DJANGO_SETTINGS_MODULE"\n'
            ),
            "django_environ_like.py": "",
        },
    )
    target = tmp_path / "shop_site"
    result = runner.invoke(main, ["startproject", "shop", str(target), "--template", str(template)])
    assert result.exit_code == 0, result.output
    assert (target / "config" / "notes.py").is_file()


def test_a_template_that_declares_django_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Its code ported, its requirements not: the closing hint's install would bring
    Django in. Refused in one line, nothing written."""
    template = django_like_template(tmp_path / "template")
    (template / "requirements.txt").write_text("Thibaud>=6.0a1\nDjango>=5.2\n", "utf-8")
    target = tmp_path / "shop_site"
    result = runner.invoke(main, ["startproject", "shop", str(target), "--template", str(template)])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: '{template}': Django>=5.2 is declared: {DIAGNOSIS.replace(': port', '; port')} "
        "(Porting a Django template). Nothing was written."
    ]
    assert not target.exists()


def test_a_declared_package_installed_here_that_requires_django_is_refused(
    tmp_path: Path,
) -> None:
    """A Django ecosystem package (as django-axes) that this interpreter holds, and whose
    metadata requires Django: startproject names it. One it does not hold installs
    nothing here to be asked, and the project is made."""
    from tests.support.cli import run_cli

    site = build_file_tree(
        tmp_path / "site-packages",
        {
            "dj_lockout/__init__.py": "from django.conf import settings\n",
            "dj_lockout-1.0.dist-info/METADATA": (
                "Metadata-Version: 2.1\nName: dj-lockout\nVersion: 1.0\n"
                "Requires-Dist: Django>=4.2\n"
            ),
            "dj_lockout-1.0.dist-info/RECORD": "dj_lockout/__init__.py,,\n",
        },
    )
    template = django_like_template(tmp_path / "template")
    (template / "requirements.txt").write_text("Thibaud>=6.0a1\ndj-lockout>=1\n", "utf-8")
    argv = ("startproject", "shop", "shop_site", "--template", str(template))
    refused = run_cli(*argv, cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"Error: '{template}': the declared dj-lockout>=1 brings Django in: Django ecosystem "
        "packages do not run on Thibaud; port it as docs/templates.md says (Porting a Django "
        "template). Nothing was written."
    ]
    assert not (tmp_path / "shop_site").exists()
    made = run_cli(*argv, cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr


@pytest.fixture
def django_project(tmp_path: Path) -> Path:
    """A project of the framework's stock layout whose asgi.py targets Django."""
    subprocess.run(
        [sys.executable, "-m", "thibaud", "startproject", "djsite"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    project = tmp_path / "djsite"
    asgi = project / "djsite" / "asgi.py"
    asgi.write_text(asgi.read_text().replace("thibaud", "django").replace("THIBAUD", "DJANGO"))
    return project


@pytest.mark.parametrize(
    "command",
    [
        ["add-asgi-middleware", "asgi_correlation_id:CorrelationIdMiddleware"],
        ["add-asgi-middleware", "asgi_correlation_id:CorrelationIdMiddleware", "--dry-run"],
        ["regenerate-asgi"],
        ["remove-asgi-middleware", "asgi_correlation_id:CorrelationIdMiddleware"],
    ],
)
def test_the_middleware_commands_refuse_a_django_asgi_module(
    runner: CliRunner, django_project: Path, command: list[str]
) -> None:
    before = tree_snapshot(django_project)
    result = runner.invoke(main, [*command, "--project-dir", str(django_project)])
    _refused(result, "djsite/asgi.py:")
    assert "this project targets Django, not Thibaud" in result.output
    assert tree_snapshot(django_project) == before  # not even the lock
