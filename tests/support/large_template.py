"""Synthetic copier templates of any size, for the scaling benchmark and its tests.

A synthetic template is the bundled template plus generated files up to *files* in
all, in a git repository with two tags: ``v1``, and ``v2`` where a tenth of the
files changed (a line appended at the end). Half the generated files are Jinja
templates (Python modules under the project package, so that validate-template
compiles them), half literal text files under ``docs/``; both a few directories
deep, as real templates are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.template.source import bundled_template_path

#: Files per generated directory.
_PER_DIRECTORY = 50
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repository: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=repository,
        env={**os.environ, **_GIT_ENV},
        check=True,
        capture_output=True,
    )


def _generated_path(index: int) -> str:
    directory = f"part_{index // _PER_DIRECTORY:03d}"
    if index % 2:
        return f"docs/{directory}/page_{index:05d}.txt"
    return f"{{{{ project_name }}}}/generated/{directory}/mod_{index:05d}.py.jinja"


def _generated_content(index: int) -> str:
    if index % 2:
        return "".join(f"Page {index}, line {line}: nothing to render here.\n" for line in range(8))
    return (
        f'"""Module {index} of {{{{ project_name }}}}: {{{{ description }}}}"""\n\n'
        f"NAME = {{{{ project_name | tojson }}}}\n"
        f"INDEX = {index}\n\n\n"
        f"def value_{index}() -> int:\n"
        f"    return INDEX * 2\n"
    )


def template_files(template: Path) -> list[Path]:
    """Every file of *template* that copier renders (its config and git data aside)."""
    return sorted(
        path
        for path in template.rglob("*")
        if path.is_file() and ".git" not in path.parts and path.name != "copier.yml"
    )


def build_template(destination: Path, files: int, *, release_v2: bool = True) -> Path:
    """A git template of *files* rendered files at *destination*, tagged v1 (and v2)."""
    shutil.copytree(bundled_template_path(), destination)
    base = len(template_files(destination))
    generated = [
        (destination / _generated_path(index), _generated_content(index))
        for index in range(max(files - base, 0))
    ]
    for path, content in generated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, "utf-8")
    _git(destination, "init", "-q", "-b", "main")
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "v1")
    _git(destination, "tag", "v1")
    if release_v2:
        release_version_2(destination)
    return destination


def release_version_2(template: Path) -> None:
    """Tag v2 of *template*: a line appended to a tenth of its files."""
    every = template_files(template)
    for path in every[:: max(len(every) // max(len(every) // 10, 1), 1)]:
        with path.open("a", encoding="utf-8") as changed:
            changed.write("# Changed in v2.\n" if path.suffix != ".txt" else "Changed in v2.\n")
    _git(template, "commit", "-q", "-am", "v2")
    _git(template, "tag", "v2")


def add_user_files(project: Path, count: int) -> None:
    """*count* files of the user's own in *project*, that no template knows."""
    for index in range(count):
        path = project / "userdata" / f"dir_{index // 100:03d}" / f"file_{index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"user file {index}\n", "utf-8")


def edit_like_a_user(project: Path, every: int = 10) -> int:
    """Add a line at the top of every *every*-th text file of *project*; how many."""
    edited = 0
    candidates = sorted(
        path
        for path in project.rglob("*")
        if path.is_file()
        and ".git" not in path.parts
        and "userdata" not in path.parts
        and path.suffix in {".py", ".txt", ".md"}
    )
    for path in candidates[1::every]:
        text = path.read_text("utf-8")
        marker = "# edited by the user\n" if path.suffix == ".py" else "Edited by the user.\n"
        path.write_text(marker + text, "utf-8")
        edited += 1
    return edited


def commit_all(project: Path, message: str = "state") -> None:
    """Commit everything in *project* (a git repository made if needed)."""
    if not (project / ".git").exists():
        _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "--allow-empty", "-m", message)


@dataclass(frozen=True)
class LargeTemplate:
    """A synthetic git template of 1,000 files, and a project generated at its v1."""

    template: Path
    #: Generated at v1, a tenth of its files edited, committed: copy it before writing.
    project: Path
