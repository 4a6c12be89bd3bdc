"""The template's tasks, run as copier runs them (issue 24, item 1): with the project's
answers, where the project is, outside the render's memory and time limits, the
repository a task makes kept, the template's messages shown, and a task that fails or
cannot start named. Each is run beside the installed copier on the same template."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import yaml

from tests.support.cli import run_cli
from tests.support.company_templates import company_template, copier_cli, release, run_copier_copy
from tests.support.trees import git, git_commit_all, tree_snapshot

#: What a task reads of the render: answers, copier's variables and environment.
READS_ANSWERS = (
    'echo \'{{ project_name }}|{{ project_slug }}|{{ port }}|{{ features | join(",") }}'
    "|{{ _folder_name }}|{{ _copier_conf.dst_path }}|'$COPIER_OPERATION >> task-answers.txt"
)
#: Reserves 6 GiB of address space without touching it, as Go and Node runtimes do at
#: start: refused under a 512 MiB ceiling on the address space, harmless otherwise.
RESERVES_MEMORY = "{{ _copier_python }} -c 'import mmap; mmap.mmap(-1, 6 << 30)'"
#: The user's git configuration, not the one renders run git with.
READS_GIT_CONFIG = "git config --get core.hooksPath || echo no-hooks-path >> task-answers.txt"
MESSAGES = {
    "before_copy": "Creating a project from the company template...",
    "after_copy": "Done: cd {{ _copier_conf.dst_path }} and run make ({{ project_name }}).",
}


def _start(tmp_path: Path, template: Path, directory: Path, *extra: str) -> tuple[int, str, str]:
    result = run_cli(
        "startproject", "blog", str(directory), "--template", str(template), *extra, cwd=tmp_path
    )
    return result.returncode, result.stdout, result.stderr


def test_tasks_run_as_under_copier_outside_the_render_limits(tmp_path: Path) -> None:
    template = company_template(
        tmp_path / "template",
        tasks=("git init -q", RESERVES_MEMORY, READS_ANSWERS, READS_GIT_CONFIG),
        messages=MESSAGES,
    )
    ours, theirs = tmp_path / "ours" / "blog", tmp_path / "copier" / "blog"
    ours.parent.mkdir()
    code, out, err = _start(tmp_path, template, ours, "--trust", "--data", "port=9000")
    assert code == 0, err
    # The repository the task made is the project's; the render made no .git.
    assert git(ours, "rev-parse", "--show-toplevel").strip() == str(ours)
    copier = copier_cli(
        "copy", "--trust", "--defaults", "-d", "project_slug=blog", "-d", "port=9000",
        str(template), str(theirs), cwd=tmp_path,
    )  # fmt: skip
    answers = (ours / "task-answers.txt").read_text()
    assert answers == (theirs / "task-answers.txt").read_text().replace(str(theirs), str(ours))
    assert answers == f"My Project|blog|9000|api,sentry|blog|{ours}|copy\nno-hooks-path\n"
    # The messages, as copier renders them: before the questions, then with the answers.
    shown = [
        "Creating a project from the company template...",
        f"Done: cd {ours} and run make (My Project).",
    ]
    assert err.splitlines() == shown
    assert shown[1].replace(str(ours), str(theirs)) in copier.stderr.splitlines()
    assert shown[0] in copier.stderr.splitlines()
    assert out.startswith("Created project 'blog'")


def test_a_missing_task_tool_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    template = company_template(
        tmp_path / "template", tasks=("git init -q", ["uv-not-installed", "sync", "--frozen"])
    )
    code, out, err = _start(tmp_path, template, tmp_path / "p", "--trust")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "Error: A task of the template failed: task 2 of 2 (uv-not-installed sync --frozen) "
        "could not start: the program 'uv-not-installed' is not installed (or not on PATH). "
        "The project was not created (nothing was written): fix that and run startproject "
        "again, or pass --skip-tasks to create it without running its tasks."
    ]
    assert not (tmp_path / "p").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["template"]


def test_a_failing_task_in_an_existing_directory_puts_it_back(tmp_path: Path) -> None:
    template = company_template(
        tmp_path / "template",
        tasks=("git init -q", "echo mine, changed > notes.txt", "echo about to fail; exit 3"),
    )
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine\n")
    before = tree_snapshot(existing)
    code, out, err = _start(tmp_path, template, existing, "--trust")
    assert code == 1
    assert "about to fail" in out
    assert "task 3 of 3 (echo about to fail; exit 3) exited with status 3" in err
    assert f"'{existing}' was put back as it was" in err
    assert tree_snapshot(existing) == before


def test_update_runs_the_new_versions_tasks_with_the_projects_answers(tmp_path: Path) -> None:
    template = company_template(tmp_path / "template")
    release(template, "1.0.0")
    config = (template / "copier.yml").read_text()
    settings = {
        "_tasks": [READS_ANSWERS],
        "_message_before_update": "Updating {{ project_name }}...",
        "_message_after_update": "Updated {{ project_name }}: review it with git diff.",
    }
    release(template, "1.1.0", {"copier.yml": yaml.safe_dump(settings, width=1000) + config})
    ours, theirs = tmp_path / "ours" / "blog", tmp_path / "copier" / "blog"
    ours.parent.mkdir()
    code, _, err = _start(tmp_path, template, ours, "--vcs-ref", "1.0.0", "--data", "port=9000")
    assert code == 0, err
    git_commit_all(ours, "generated")
    updated = run_cli("update", "--trust", "--project-dir", str(ours), cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    # As copier renders them: before the answers are known, then with them.
    shown = ["Updating ...", "Updated My Project: review it with git diff."]
    assert updated.stderr.splitlines() == shown

    import warnings

    import copier
    from copier._settings import SettingsModel

    run_copier_copy(str(template), theirs, project_slug="blog", port="9000", vcs_ref="1.0.0")
    git_commit_all(theirs, "generated")
    copier_err = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(copier_err):
        warnings.simplefilter("ignore")
        copier.run_update(
            theirs,
            answers_file=".copier/project.yml",
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=False,
            settings=SettingsModel(),
        )
    assert all(message in copier_err.getvalue().splitlines() for message in shown)
    answers = (ours / "task-answers.txt").read_text()
    assert answers == f"My Project|blog|9000|api,sentry|blog|{ours}|update\n"
    # copier runs the task in its scratch copy of the new version too (there the folder
    # and destination are that copy's), and merges both runs' output into a conflict:
    # its "update" run reads the same answers.
    copiers = (theirs / "task-answers.txt").read_text().splitlines()
    (updated_run,) = [line for line in copiers if line.endswith("|update")]
    assert updated_run.split("|")[:4] == answers.split("|")[:4]
