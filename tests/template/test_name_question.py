"""NAME answers the question that names the project's package (issue 24, item 3):
found in the template's file names when the template does not say, the template's
``_thibaud.name_question`` as the override; display names keep their defaults, and a
NAME that answers nothing is said so."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.support.company_templates import company_template, run_copier_copy
from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.project.answers import load_answers
from thibaud_cli.template.naming import find_name_question, split_config


def _start(runner: CliRunner, template: Path, project: Path, *extra: str) -> str:
    project.parent.mkdir(parents=True, exist_ok=True)
    result = runner.invoke(
        main, ["startproject", "blog", str(project), "--template", str(template), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ".thibaud-answers.yml").read_text())
    return loaded


@pytest.mark.parametrize("slug", ["project_slug", "copier__project_slug"])
def test_name_answers_the_question_that_names_the_package(
    runner: CliRunner, tmp_path: Path, slug: str
) -> None:
    template = company_template(tmp_path / "template", slug=slug)
    ours, theirs = tmp_path / "ours" / "blog", tmp_path / "copier" / "blog"
    output = _start(runner, template, ours)
    assert "uvicorn blog.asgi:application" in output
    assert (ours / "blog" / "settings.py").is_file() and not (ours / "my_project").exists()
    # The display name keeps its default, in every file that shows it.
    assert (ours / "README.md").read_text().startswith("# My Project\n")
    answers = _answers(ours)
    assert answers["_name_question"] == slug and answers[slug] == "blog"
    assert answers["project_name"] == "My Project"
    # Exactly what copier renders when that question is answered "blog".
    run_copier_copy(str(template), theirs, **{slug: "blog"})
    mine, copiers = tree_snapshot(ours), tree_snapshot(theirs)
    mine.pop(".thibaud-answers.yml")
    assert mine == copiers


def test_the_declared_name_question_overrides_what_the_file_names_say(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(
        tmp_path / "template", extra_config="_thibaud:\n  name_question: project_name\n"
    )
    project = tmp_path / "p"
    _start(runner, template, project)
    assert _answers(project)["project_name"] == "blog"
    assert (project / "README.md").read_text().startswith("# blog\n")
    assert (project / "blog" / "settings.py").is_file()  # the slug follows the name


def test_a_display_name_is_data_and_the_package_question_is_refused_as_data(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = company_template(tmp_path / "template")
    project = tmp_path / "p"
    _start(runner, template, project, "--data", "project_name=Blog Site")
    assert (project / "README.md").read_text().startswith("# Blog Site\n")
    before = tree_snapshot(tmp_path)
    refused = runner.invoke(
        main,
        ["startproject", "blog", str(tmp_path / "q"), "--template", str(template)]
        + ["--data", "project_slug=other"],
    )
    assert refused.exit_code == 2
    assert "--data project_slug: the project's name answers 'project_slug'" in refused.output
    assert tree_snapshot(tmp_path) == before


def test_a_name_that_answers_no_question_is_said_so_and_recorded(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The settings in config/, the apps in apps/, and project_name a display name: no
    # question names the package.
    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": "project_name:\n  type: str\n  default: My Project\n",
            "README.md.jinja": "# {{ project_name }}\n",
            "config/__init__.py": "",
            "config/settings.py": 'SECRET_KEY = "x"\n',
            "config/asgi.py": "application = None\n",
            "apps/__init__.py": "",
        },
    )
    project = tmp_path / "p"
    result = runner.invoke(
        main, ["startproject", "blog", str(project), "--template", str(template)]
    )
    assert result.exit_code == 0, result.output
    assert "no question of the template names its package, so 'blog' names only" in (result.output)
    assert (project / "README.md").read_text() == "# My Project\n"
    answers = load_answers(project)
    assert answers.name_question is None and answers.project_name == "blog"
    assert _answers(project)["_project_name"] == "blog"
    assert _answers(project)["project_name"] == "My Project"


def test_the_question_is_found_in_the_file_names_before_anything_renders(
    tmp_path: Path,
) -> None:
    def found(files: dict[str, str], config: str) -> str | None:
        root = build_file_tree(tmp_path / str(len(list(tmp_path.iterdir()))), files)
        settings, questions = split_config(yaml.safe_load(config) or {})
        return find_name_question(root, settings, questions)

    display = "project_name: My Project\n"
    # The directory that holds both modules, in a subdirectory, with other delimiters.
    assert (
        found(
            {"tpl/[[ slug ]]/settings.py.jinja": "", "tpl/[[ slug ]]/asgi.py": ""},
            display + "slug: x\n_subdirectory: tpl\n"
            "_envops: {variable_start_string: '[[', variable_end_string: ']]'}\n",
        )
        == "slug"
    )
    # A settings package beside asgi.py, the whole project in a repository directory.
    assert (
        found(
            {
                "{{ repo }}/{{ pkg }}/settings/base.py": "",
                "{{ repo }}/{{ pkg }}/asgi.py": "",
            },
            display,
        )
        == "pkg"
    )
    # The modules declared with Jinja.
    assert found({}, display + "_thibaud: {asgi: '{{ app }}.asgi'}\n") == "app"
    # project_name asked as a package name (or not asked at all) is the default.
    assert found({"config/asgi.py": ""}, "project_name: {type: str}\n") == "project_name"
    assert found({"config/asgi.py": ""}, "") == "project_name"
    assert found({"config/asgi.py": ""}, display) is None
