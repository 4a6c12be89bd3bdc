"""Faults at every write of startproject, add-asgi-middleware and update: SIGKILL,
Ctrl-C, a full disk and an exception, in real processes. Nothing partial is left,
nothing of the user's is lost, and what a killed run left is rolled back by the
next command that writes the project (read-only ones say so at once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.faults import (
    USER_EDIT,
    chain_is_consistent,
    leftovers,
    run_with_fault,
    run_without_fault,
)
from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.errors import DestinationError
from thibaud_cli.fs.lock import CONTROL_DIRNAME
from thibaud_cli.fs.scratch import TEMP_PREFIX
from thibaud_cli.operations.startproject import start_project
from thibaud_cli.project.answers import ANSWERS_FILENAME


def test_sigkill_at_every_write_of_startproject_into_a_new_directory(tmp_path: Path) -> None:
    n = 1
    while True:
        parent = tmp_path / f"run{n}"
        parent.mkdir()
        result = run_with_fault("sigkill", n, ["startproject", "mysite"], parent)
        if "FAULT-NOT-REACHED" in result.stderr:
            assert result.returncode == 0, result.stderr
            break
        assert result.returncode == -9
        target = parent / "mysite"
        # The project is absent, or whole: it appears by one rename.
        if target.exists():
            assert (target / ANSWERS_FILENAME).is_file() and (
                target / "mysite" / "asgi.py"
            ).is_file()
        # The next run in the same place removes what the killed one left.
        start_project("other", parent / "other")
        assert leftovers(parent) == []
        shutil.rmtree(parent)
        n += 1
    assert n > 10


def test_sigkill_at_every_write_of_startproject_into_an_existing_directory(tmp_path: Path) -> None:
    user_files = {"notes.txt": "mine\n", "mysite/local_notes.txt": "also mine\n"}
    n = 1
    committed = 0
    while True:
        target = build_file_tree(tmp_path / f"run{n}", user_files)
        result = run_with_fault("sigkill", n, ["startproject", "mysite", str(target)], tmp_path)
        if "FAULT-NOT-REACHED" in result.stderr:
            break
        assert result.returncode == -9
        # The next run rolls back whatever the killed one had moved in, then succeeds;
        # unless the killed one had committed (removed its journal): then the project
        # is whole, and the next run refuses to overwrite it.
        try:
            start_project("mysite", target)
        except DestinationError:
            committed += 1
            assert (target / ANSWERS_FILENAME).is_file()
        assert (target / "mysite" / "asgi.py").is_file()
        assert leftovers(target, tmp_path) == []
        for relative, content in user_files.items():
            assert (target / relative).read_text() == content
        n += 1
    assert n > 10
    assert committed <= 1  # only a kill after the last rename leaves the project whole


@pytest.mark.parametrize("mode", ["sigkill", "interrupt", "enospc", "exception"])
def test_a_fault_at_every_write_of_add_asgi_middleware(
    make_project, tmp_path: Path, mode: str
) -> None:  # type: ignore[no-untyped-def]
    pristine = make_project()
    asgi = pristine / "mysite" / "asgi.py"
    asgi.write_text(asgi.read_text() + USER_EDIT)
    spec = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
    n = 1
    outcomes = set()
    while True:
        project = tmp_path / f"{mode}-{n}"
        shutil.copytree(pristine, project)
        before = tree_snapshot(project)
        result = run_with_fault(
            mode,
            n,
            ["add-asgi-middleware", spec, "--no-verify", "--project-dir", str(project)],
            tmp_path,
        )
        if "FAULT-NOT-REACHED" in result.stderr:
            assert result.returncode == 0, result.stderr
            break
        assert result.returncode != 0
        if mode != "sigkill":
            assert "Traceback" not in result.stderr
        # The next command that writes the project rolls an interrupted change back
        # and clears leftovers.
        repair = run_with_fault(
            "none", 10**6, ["regenerate-asgi", "--project-dir", str(project)], tmp_path
        )
        assert repair.returncode == 0, repair.stderr
        wrapped = chain_is_consistent(project)
        outcomes.add(tuple(wrapped))
        assert (project / "mysite" / "asgi.py").read_text().endswith(USER_EDIT)
        assert leftovers(project, project / "mysite") == []
        if not wrapped:
            assert tree_snapshot(project) == before
        n += 1
    assert n > 5
    if mode == "sigkill":
        # Killed after the commit (the journal's removal), the change stands whole.
        assert outcomes == {(), ("ProxyHeadersMiddleware",)}
    else:
        # A failure the process lives to see is undone before it is reported.
        assert outcomes == {()}


def test_startproject_killed_at_its_6th_rename_leaves_nothing_once_another_command_runs(
    tmp_path: Path,
) -> None:
    target = build_file_tree(tmp_path / "existing", {"notes.txt": "mine\n"})
    before = tree_snapshot(target)
    killed = run_with_fault("sigkill:renames", 6, ["startproject", "mysite", str(target)], tmp_path)
    assert killed.returncode == -9
    # A third of the project is there (the journal's rename, then 4 of its files).
    written = [path for path in target.rglob("*") if path.is_file() and path.name != "notes.txt"]
    assert CONTROL_DIRNAME in {part for path in written for part in path.parts}
    assert len([p for p in written if CONTROL_DIRNAME not in p.parts]) == 4
    frozen = tree_snapshot(target)
    # Read-only commands say so at once, and write nothing.
    for args in (
        ["list-asgi-middleware", "--project-dir", str(target)],
        ["startproject", "mysite", str(target), "--dry-run"],
    ):
        found = run_without_fault(args, tmp_path)
        assert found.returncode == 1, found.stderr
        assert len(found.stderr.strip().splitlines()) == 1, found.stderr
        assert "startproject (process" in found.stderr and "was interrupted" in found.stderr
        assert f"thibaud-cli startproject mysite {target}' again" in found.stderr
        assert tree_snapshot(target) == frozen
    # The next command that writes there (of any kind) rolls it back first.
    other = run_without_fault(
        ["remove-asgi-middleware", "x.Y", "--project-dir", str(target)], tmp_path
    )
    assert other.returncode == 1
    assert "its changes were rolled back" in other.stderr, other.stderr
    assert tree_snapshot(target) == before
    assert not any(TEMP_PREFIX in str(path) for path in target.rglob("*"))


def test_a_killed_update_leaves_nothing_once_the_next_command_runs(tmp_path: Path) -> None:
    from tests.support.trees import git, git_commit_all
    from tests.update.test_update_git import V1, release_v2

    template = build_file_tree(tmp_path / "template", V1)
    git_commit_all(template, "v1", tag="v1")
    pristine = tmp_path / "pristine"
    start_project("blog", pristine, template=str(template))
    git_commit_all(pristine, "generated")
    release_v2(template)
    n = 1
    rolled_back = 0
    while True:
        project = tmp_path / f"run{n}"
        shutil.copytree(pristine, project, symlinks=True)
        before = tree_snapshot(project)
        args = ["update", "--conflict", "inline", "--project-dir", str(project)]
        killed = run_with_fault("sigkill:renames", n, args, tmp_path)
        if "FAULT-NOT-REACHED" in killed.stderr:
            assert killed.returncode == 0, killed.stderr
            break
        assert killed.returncode == -9
        # Any command that writes the project rolls the update back, or it had committed.
        after = run_without_fault(
            ["remove-asgi-middleware", "x.Y", "--project-dir", str(project)], tmp_path
        )
        assert after.returncode == 1
        if "rolled back" in after.stderr:
            rolled_back += 1
            assert {k: v for k, v in tree_snapshot(project).items() if ".git/" not in k} == {
                k: v for k, v in before.items() if ".git/" not in k
            }
            assert git(project, "status", "--porcelain") == ""
        assert [p for p in project.rglob("*") if p.name.startswith(TEMP_PREFIX)] == []
        assert not (project / CONTROL_DIRNAME).exists()
        n += 1
    assert n > 5 and rolled_back > 3
