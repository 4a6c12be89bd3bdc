"""Rendering skips copier's git probes that cannot matter, and only those.

A ``git`` on PATH that logs its arguments, then runs the real git, shows which
git commands a real ``thibaud-admin startproject`` runs.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.trees import copy_bundled_template

REAL_GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(REAL_GIT is None, reason="needs git")


def _logging_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "logging-bin"
    bin_dir.mkdir()
    log = tmp_path / "git-calls.log"
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {REAL_GIT} "$@"\n', "utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GIT_DIR", None)
    return env, log


def _start_project(cwd: Path, env: dict[str, str], *extra: str) -> None:
    completed = run_cli("startproject", "mysite", *extra, cwd=cwd, env=env, module=True)
    assert completed.returncode == 0, completed.stderr


def test_bundled_template_renders_without_running_git(tmp_path: Path) -> None:
    env, log = _logging_git(tmp_path)
    _start_project(tmp_path, env)
    assert not log.exists(), log.read_text()
    manage = tmp_path / "mysite" / "manage.py"
    # copier's chmod still gives the file the template's executable bit.
    assert manage.stat().st_mode & stat.S_IXUSR


def test_git_template_is_still_read_through_git(tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "template"], ["tag", "v1.2"]):
        subprocess.run([*git, *command], cwd=template, check=True, capture_output=True)
    env, log = _logging_git(tmp_path)
    _start_project(tmp_path, env, "--template", str(template))
    answers = yaml.safe_load((tmp_path / "mysite" / ".thibaud-answers.yml").read_text("utf-8"))
    assert answers["_template_commit"] == "v1.2"
    assert "rev-parse --show-toplevel" in log.read_text()
