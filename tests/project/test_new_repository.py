"""``startproject NAME .`` in a repository just created on a hosting service (issue 22).

GitHub's "new repository" gives a README.md, a LICENSE and a .gitignore: those are the
user's, kept as they are, the template's versions not written, and the command says
so. Any other file the project would overwrite is still refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.trees import git, git_commit_all, tree_snapshot

OWN = {
    "README.md": "# mysite\n\nMy new repository.\n",
    "LICENSE": "MIT License\n",
    ".gitignore": "__pycache__/\n.venv/\n",
}


@pytest.fixture
def new_repository(tmp_path: Path) -> Path:
    repository = tmp_path / "mysite"
    repository.mkdir()
    for name, content in OWN.items():
        (repository / name).write_text(content)
    git_commit_all(repository, "Initial commit")
    return repository


def test_the_repositorys_own_files_are_kept(new_repository: Path) -> None:
    dry = run_cli("startproject", "mysite", ".", "--dry-run", cwd=new_repository)
    assert dry.returncode == 0, dry.stderr
    assert (
        "Would keep your own .gitignore, README.md: the template's version would not be written.\n"
    ) in dry.stdout
    assert "  README.md\n" not in dry.stdout and "  manage.py\n" in dry.stdout
    created = run_cli("startproject", "mysite", ".", cwd=new_repository)
    assert created.returncode == 0, created.stderr
    assert "Kept your own .gitignore, README.md: the template's version was not written.\n" in (
        created.stdout
    )
    for name, content in OWN.items():
        assert (new_repository / name).read_text() == content
    assert (new_repository / "manage.py").is_file()
    assert (new_repository / "mysite" / "asgi.py").is_file()
    # Into the current directory: no `cd` before the rest of the hint.
    hint = created.stdout.split("Serve it: ")[1].splitlines()[0]
    assert hint.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    # git sees the project as new files beside the user's untouched ones.
    status = git(new_repository, "status", "--porcelain")
    assert " M " not in status and "?? manage.py" in status


def test_any_other_file_in_the_way_is_still_refused(new_repository: Path) -> None:
    (new_repository / "manage.py").write_text("# mine\n")
    before = tree_snapshot(new_repository)
    refused = run_cli("startproject", "mysite", ".", cwd=new_repository)
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: '.' already has manage.py, which the project")
    assert "README.md" not in refused.stderr
    assert tree_snapshot(new_repository) == before
