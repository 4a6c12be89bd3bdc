"""The generated README's commands of ours work with the project's venv activated
(issue 22, item 4).

In the project's venv, ``thibaud-admin`` is Thibaud's script (the project depends on
Thibaud): a README line ``thibaud-admin add-asgi-middleware ...`` answers "Unknown
command". Ours are written ``thibaud-cli ...``, which only we install; Thibaud's as
``python manage.py ...``. Every variant's README is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.projects import GeneratedProjects, ProjectSpec
from thibaud_cli.cli import main

OURS = sorted(main.commands, key=len, reverse=True)  # type: ignore[attr-defined]
_SHOWN = re.compile(r"(?<![\w./-])(thibaud-admin|thibaud-cli)\s+([a-z][\w-]*)")


@pytest.mark.parametrize(
    "answers",
    [{}, {"database": "postgresql", "cache": "redis", "docker": "false", "ci": "none"}],
    ids=["defaults", "postgresql-redis"],
)
def test_every_command_of_ours_is_thibaud_cli(
    generated_projects: GeneratedProjects, tmp_path: Path, answers: dict[str, str]
) -> None:
    project = generated_projects.copy(ProjectSpec.of("mysite", **answers), tmp_path / "p")
    readme = (project / "README.md").read_text()
    shown = _SHOWN.findall(readme)
    assert ("thibaud-cli", "add-asgi-middleware") in shown
    wrong = [f"{program} {command}" for program, command in shown if program == "thibaud-admin"]
    assert wrong == []
    # Each one names a command thibaud-cli has (its own, or startapp, which it forwards).
    assert {command for _program, command in shown} <= {*OURS, "startapp", "startproject"}
    # The install advice: thibaud-cli in an environment of its own.
    assert "pipx install" in readme or "uv tool install" in readme
