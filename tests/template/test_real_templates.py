"""startproject, the ASGI commands and update on templates shaped like real ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.support.cli import run_cli
from tests.support.real_templates import django_like_template
from tests.support.trees import git, git_commit_all
from thibaud_cli.cli.app import main
from thibaud_cli.project.contract import EntryPoints, discover_entry_points


def _answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ".thibaud-answers.yml").read_text())
    return loaded


def test_name_goes_to_the_declared_question_and_the_contract_is_recorded(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "template", declare=True)
    project = tmp_path / "shop"
    result = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", str(template)]
    )
    assert result.exit_code == 0, result.output
    assert "uvicorn config.asgi:application" in result.output
    assert (project / "shop" / "views.py").is_file()
    assert (project / "config" / "asgi.py").is_file()
    answers = _answers(project)
    assert answers["_name_question"] == "project_slug"
    assert answers["project_slug"] == "shop"
    assert answers["project_name"] == "My Project"  # a display name, the template's default
    assert answers["_entry_points"] == {
        "settings": "config.settings",
        "asgi": "config.asgi",
        "wsgi": "config.wsgi",
    }


def test_a_display_name_is_data_when_the_name_question_is_another(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "template", declare=True)
    args = ["startproject", "shop", str(tmp_path / "p"), "--template", str(template)]
    result = runner.invoke(main, [*args, "--data", "project_name=Shop Site"])
    assert result.exit_code == 0, result.output
    assert _answers(tmp_path / "p")["project_name"] == "Shop Site"
    refused = runner.invoke(
        main, [*args[:2], str(tmp_path / "q"), *args[3:], "--data", "project_slug=x"]
    )
    assert refused.exit_code == 2
    assert "give it as the NAME argument" in refused.output


def test_without_a_declaration_the_entry_points_are_discovered(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "template")
    project = tmp_path / "p"
    result = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", str(template)]
    )
    assert result.exit_code == 0, result.output
    assert "uvicorn config.asgi:application" in result.output
    # The settings live in config/: the name answers the package beside it, found in
    # the template's file names; the display name keeps its default.
    assert _answers(project)["_name_question"] == "project_slug"
    assert _answers(project)["project_slug"] == "shop"
    assert _answers(project)["project_name"] == "My Project"
    assert (project / "shop" / "views.py").is_file()
    assert discover_entry_points(project) == EntryPoints(
        "config.settings", "config.asgi", "config.wsgi"
    )


def test_discovery_prefers_manage_py_and_finds_nested_packages(tmp_path: Path) -> None:
    (tmp_path / "core" / "settings").mkdir(parents=True)
    (tmp_path / "core" / "settings" / "__init__.py").write_text("")
    (tmp_path / "core" / "settings" / "local.py").write_text("DEBUG = True\n")
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.local")\n'
    )
    (tmp_path / "core" / "server.py").write_text(
        "from thibaud.core.asgi import get_asgi_application\napplication = get_asgi_application()\n"
    )
    found = discover_entry_points(tmp_path)
    assert found == EntryPoints("core.settings.local", "core.server", None)


def test_middleware_goes_into_the_discovered_asgi_module(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "template", square=True)
    project = tmp_path / "p"
    assert (
        runner.invoke(
            main, ["startproject", "shop", str(project), "--template", str(template)]
        ).exit_code
        == 0
    )
    spec = "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware"
    added = runner.invoke(main, ["add-asgi-middleware", spec, "--project-dir", str(project)])
    assert added.exit_code == 0, added.output
    assert "config/asgi.py" in added.output
    code = (project / "config" / "asgi.py").read_text()
    ast.parse(code)
    assert "application = ProxyHeadersMiddleware(application)" in code
    regenerated = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(project)])
    assert regenerated.exit_code == 0 and "up to date" in regenerated.output
    removed = runner.invoke(main, ["remove-asgi-middleware", spec, "--project-dir", str(project)])
    assert removed.exit_code == 0, removed.output
    assert "ProxyHeadersMiddleware" not in (project / "config" / "asgi.py").read_text()


def test_tasks_need_trust_and_skip_tasks_and_dry_run_run_none(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = django_like_template(tmp_path / "template", tasks=("touch task-ran.txt",))
    monkeypatch.chdir(tmp_path)
    base = ["startproject", "shop", "--template", str(template)]
    refused = runner.invoke(main, [*base, "p0"][:2] + ["p0", *base[2:]])
    assert refused.exit_code == 1 and "--trust" in refused.output
    skipped = runner.invoke(
        main, ["startproject", "shop", "p1", *base[2:], "--trust", "--skip-tasks"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert not (tmp_path / "p1" / "task-ran.txt").exists()
    dry = runner.invoke(main, ["startproject", "shop", "p2", *base[2:], "--trust", "--dry-run"])
    assert dry.exit_code == 0 and not (tmp_path / "p2").exists()
    assert not list(tmp_path.rglob("task-ran.txt"))
    ran = runner.invoke(main, ["startproject", "shop", "p3", *base[2:], "--trust"])
    assert ran.exit_code == 0, ran.output
    assert (tmp_path / "p3" / "task-ran.txt").is_file()


def test_update_to_a_version_with_tasks_needs_trust_and_runs_them(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo")
    git_commit_all(repo, "v1", tag="v1")
    django_like_template(repo, tasks=("touch updated-by-task.txt",))
    (repo / "config" / "wsgi.py").write_text((repo / "config" / "wsgi.py").read_text() + "# v2\n")
    git_commit_all(repo, "v2", tag="v2")
    project = tmp_path / "p"
    url = f"file://{repo}"
    created = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", url, "--vcs-ref", "v1"]
    )
    assert created.exit_code == 0, created.output
    assert _answers(project)["_template_version"] == "1"
    update = ["update", "--project-dir", str(project), "--allow-dirty"]
    refused = runner.invoke(main, update)
    assert refused.exit_code == 1
    assert "has tasks" in refused.output and "--trust" in refused.output
    assert "# v2" not in (project / "config" / "wsgi.py").read_text()
    done = runner.invoke(main, [*update, "--trust"])
    assert done.exit_code == 0, done.output
    assert "# v2" in (project / "config" / "wsgi.py").read_text()
    assert (project / "updated-by-task.txt").is_file()
    assert git(repo, "tag").split() == ["v1", "v2"]


def test_update_runs_migrations_as_copier_does_with_trust_only(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo")
    git_commit_all(repo, "v1", tag="v1")
    config = (repo / "copier.yml").read_text()
    migrations = (
        "_migrations:\n"
        "  - version: v2\n"
        "    command: echo $VERSION_FROM-$VERSION_TO > migrated.txt\n"
        "    when: \"{{ _stage == 'before' }}\"\n"
    )
    (repo / "copier.yml").write_text(migrations + config)
    git_commit_all(repo, "v2", tag="v2")
    project = tmp_path / "p"
    args = ["startproject", "shop", str(project), "--template", f"file://{repo}", "--vcs-ref", "v1"]
    assert runner.invoke(main, args).exit_code == 0
    update = ["update", "--project-dir", str(project), "--allow-dirty", "--skip-tasks"]
    refused = runner.invoke(main, update)
    assert refused.exit_code == 1 and "has migrations" in refused.output
    assert not (project / "migrated.txt").exists()
    done = runner.invoke(main, [*update, "--trust"])
    assert done.exit_code == 0, done.output
    assert (project / "migrated.txt").read_text().strip() == "v1-v2"


def test_forwarded_commands_use_the_recorded_settings_module(
    runner: CliRunner, tmp_path: Path
) -> None:

    template = django_like_template(tmp_path / "template", declare=True)
    project = tmp_path / "p"
    args = ["startproject", "shop", str(project), "--template", str(template)]
    assert runner.invoke(main, args).exit_code == 0
    completed = run_cli("diffsettings", cwd=project, module=True)
    assert completed.returncode == 0, completed.stderr
    assert "ROOT_URLCONF = 'config.urls'" in completed.stdout


def test_a_requirements_file_beside_a_nested_manage_py_is_what_the_project_declares(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A template that renders the project one level down (a ported copier template:
    ``{{ repo_name }}/manage.py`` and ``{{ repo_name }}/requirements.txt``) declares its
    dependencies there: the hint installs them, and a name among them is taken."""
    template = django_like_template(tmp_path / "template", nested=True)
    (template / "{{ repo_name }}" / "requirements.txt").write_text(
        "Thibaud>=6.0a1\nuvicorn>=0.30\nshop-extras-not-installed==1.0\n"
    )
    project = tmp_path / "p"
    args = ["startproject", "shop", str(project), "--template", str(template)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        f"Serve it: cd {project} && python3 -m venv .venv && .venv/bin/pip install -r "
        "site/requirements.txt && .venv/bin/uvicorn --app-dir site config.asgi:application\n"
    ) in result.output
    taken = runner.invoke(
        main,
        ["startproject", "shop_extras_not_installed", str(tmp_path / "q"), *args[3:]],
    )
    assert taken.exit_code == 2, taken.output
    assert "the project depends on 'shop-extras-not-installed'" in taken.output
    assert not (tmp_path / "q").exists()


def test_a_project_rendered_into_a_subdirectory_runs_from_where_manage_py_is(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = django_like_template(tmp_path / "template", nested=True)
    project = tmp_path / "p"
    result = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", str(template)]
    )
    assert result.exit_code == 0, result.output
    # No pyproject.toml to install: the framework and a server, then the app from site/.
    assert (
        f"Serve it: cd {project} && python3 -m venv .venv && .venv/bin/pip install Thibaud "
        "uvicorn && .venv/bin/uvicorn --app-dir site config.asgi:application\n"
    ) in result.output
    assert _answers(project)["_entry_points"] == {
        "settings": "config.settings",
        "asgi": "config.asgi",
        "wsgi": "config.wsgi",
        "root": "site",
    }
    spec = "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware"
    added = runner.invoke(main, ["add-asgi-middleware", spec, "--project-dir", str(project)])
    assert added.exit_code == 0, added.output
    assert "ProxyHeadersMiddleware(application)" in (project / "site/config/asgi.py").read_text()
    validated = runner.invoke(main, ["validate-template", str(template), "--variant", "defaults"])
    assert validated.exit_code == 0, validated.output
