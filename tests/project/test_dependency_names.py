"""A project is never named like what it depends on, for the answers given (issue 22).

``pip install -e .`` of a project named like one of its dependencies fails
(``ResolutionImpossible``), and its package would shadow the dependency's module. The
rule reads the rendered project (real copier), then what is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree, tree_snapshot


def _template(root: Path, pyproject_dependencies: str, **files: str) -> Path:
    return build_file_tree(
        root,
        {
            "copier.yml": (
                "_templates_suffix: .jinja\n"
                "project_name: {type: str}\n"
                "server: {type: str, default: none, choices: [none, gunicorn]}\n"
            ),
            "pyproject.toml.jinja": (
                "[project]\n"
                'name = "{{ project_name }}"\n'
                'version = "0.1.0"\n'
                f"dependencies = [{pyproject_dependencies}]\n"
                "[project.optional-dependencies]\n"
                'dev = ["not-installed-dev-tool>=1"]\n'
            ),
            "{{ project_name }}/__init__.py": "",
            **files,
        },
    )


def _refused(result: object, name: str, clash: str, suggestion: str) -> None:
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert err.count("\n") == 1, err
    assert f"'{name}' is taken: the project depends on '{clash}'" in err
    assert f"Try '{suggestion}'." in err


@pytest.mark.parametrize(
    ("name", "clash"),
    [
        # Declared, not installed: only the rendered pyproject.toml says so.
        ("not_installed_dist_xyz", "not-installed-dist-xyz"),
        # An optional dependency counts too (pip install -e ".[dev]").
        ("not_installed_dev_tool", "not-installed-dev-tool"),
        # Installed here: copier needs PyYAML, whose module is `yaml`, not `pyyaml`.
        ("pyyaml", "pyyaml"),
        ("PyYAML", "pyyaml"),
    ],
)
def test_a_name_the_project_depends_on_is_refused(tmp_path: Path, name: str, clash: str) -> None:
    template = _template(tmp_path / "t", '"copier>=9", "not-installed-dist-xyz"')
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("startproject", name, "--template", str(template), cwd=work)
    _refused(result, name, clash, f"{name}_site")
    assert tree_snapshot(work) == {}


def test_the_answers_decide_what_the_project_depends_on(tmp_path: Path) -> None:
    template = _template(
        tmp_path / "t",
        '{% if server == "gunicorn" %}"not-installed-server"{% endif %}',
        **{"requirements-deploy.txt.jinja": "# deploy\n-r other.txt\nnot-installed-deploy>=2\n"},
    )
    work = tmp_path / "work"
    work.mkdir()
    refused = run_cli(
        "startproject", "not_installed_server", "--template", str(template),
        "--data", "server=gunicorn", cwd=work,
    )  # fmt: skip
    _refused(refused, "not_installed_server", "not-installed-server", "not_installed_server_site")
    # requirements*.txt at the root count as well.
    deploy = run_cli("startproject", "not_installed_deploy", "--template", str(template), cwd=work)
    _refused(deploy, "not_installed_deploy", "not-installed-deploy", "not_installed_deploy_site")
    assert tree_snapshot(work) == {}
    # Without the answer that brings it in, the name is free.
    accepted = run_cli(
        "startproject", "not_installed_server", "--template", str(template), cwd=work
    )
    assert accepted.returncode == 0, accepted.stderr
    # --dry-run refuses as a real run does.
    dry = run_cli("startproject", "not_installed_dev_tool", "--template", str(template),
                  "--dry-run", cwd=work)  # fmt: skip
    assert dry.returncode == 2 and "is taken" in dry.stderr


def test_the_docs_quote_the_refusals_as_they_are_printed(tmp_path: Path) -> None:
    """docs/commands.md quotes both refusals of a taken name word for word (the
    existing module's with its own suggestion): a reader can grep for what they see."""
    import re

    docs = " ".join((Path(__file__).parents[2] / "docs" / "commands.md").read_text().split())
    quoted = re.search(r"\"('environs' conflicts with .+?)\"", docs)
    assert quoted is not None
    refused = run_cli("startproject", "environs", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"Error: {quoted.group(1)}"
    taken = re.search(r"\"('psycopg' is taken: .+?)\"", docs)
    assert taken is not None
    # psycopg is installed here (the test extras): the same refusal of a dependency that
    # is not, the docs' words with its name.
    template = _template(tmp_path / "t", '"zzdocsdep>=1"')
    printed = run_cli("startproject", "zzdocsdep", "--template", str(template), cwd=tmp_path)
    assert printed.returncode == 2
    assert printed.stderr.strip() == "Error: " + taken.group(1).replace("psycopg", "zzdocsdep")
