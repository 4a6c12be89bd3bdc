"""fs's walker, scratch directories and rollback: one symlink policy, only our own stale
scratch directories of dead processes are ever removed, and a rollback removes only what
the interrupted change created."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from unittest.mock import ANY

import pytest

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.fs.journal import Journal, find_interrupted, recover, rollback
from thibaud_cli.fs.lock import CONTROL_DIRNAME, project_lock
from thibaud_cli.fs.scratch import find_stale, remove_stale, scratch_directory
from thibaud_cli.fs.transaction import Transaction, change_project
from thibaud_cli.fs.walk import walk_files, walk_files_typed, walk_symlinks, walk_tree
from thibaud_cli.template.sandbox.limits import refuse_escaping_symlinks

REPO = Path(__file__).resolve().parents[2]
DEAD_PID = 2**22 + 12345  # above pid_max on Linux: no such process


def test_the_walker_yields_symlinks_as_entries_and_never_follows_them(tmp_path: Path) -> None:
    outside = build_file_tree(tmp_path / "outside", {"secret.txt": "not in the tree\n"})
    root = build_file_tree(tmp_path / "root", {"b.txt": "b", "a/z.py": "z", "a/c/d.txt": "d"})
    (root / "link-to-file").symlink_to("b.txt")
    (root / "link-to-dir").symlink_to(outside)
    (root / "a" / "loop").symlink_to(root)
    os.mkfifo(root / "fifo")
    relative = [path.relative_to(root).as_posix() for path in walk_files(root)]
    assert relative == ["a/c/d.txt", "a/loop", "a/z.py", "b.txt", "link-to-dir", "link-to-file"]
    assert list(walk_files(tmp_path / "absent")) == []
    assert list(walk_files(root / "link-to-dir")) == []
    links = [path.relative_to(root).as_posix() for path in walk_symlinks(root)]
    assert links == ["a/loop", "link-to-dir", "link-to-file"]
    typed = [(path.relative_to(root).as_posix(), link) for path, link in walk_files_typed(root)]
    assert typed == [(name, name in links) for name in relative]


def test_the_symlink_check_costs_what_the_symlinks_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rendered tree of 600 files and two links: the check stats the links (and the
    root) as it resolves them, never each file (the real calls, counted)."""
    files = {f"pkg/part_{n // 50}/mod_{n}.py": "x = 1\n" for n in range(600)}
    root = build_file_tree(tmp_path / "project", files)
    (root / "pkg" / "inside").symlink_to("part_0/mod_0.py")
    (root / "docs").symlink_to("pkg")
    calls: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def counted(*args: object, _real: Callable[..., object] = real, **kwargs: object) -> object:
            calls.append(str(args[0]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    refuse_escaping_symlinks(root)
    # The one file a link leads to is stat'ed as the link is resolved; no other.
    assert {Path(call).name for call in calls if "mod_" in call} == {"mod_0.py"}, calls
    assert len(calls) < 3 * len(root.parts) + 20, calls


def test_only_our_scratch_directories_of_dead_processes_are_stale(tmp_path: Path) -> None:
    stale = tmp_path / f"thibaud-render-{DEAD_PID}-abc"
    for path in (
        stale,
        tmp_path / f"thibaud-verify-{os.getpid()}-abc",  # alive
        tmp_path / f"thibaud-merge-{DEAD_PID}-abc",  # a merge's, killed
        tmp_path / f"thibaud-other-{DEAD_PID}-abc",  # not a kind of ours
        tmp_path / f"thibaud-render-{DEAD_PID}",  # not our name's form
    ):
        path.mkdir()
    (tmp_path / f"thibaud-update-{DEAD_PID}-file").write_text("a file, not our directory")
    (stale / "project").mkdir()
    merge = tmp_path / f"thibaud-merge-{DEAD_PID}-abc"
    assert find_stale(tmp_path) == [merge, stale]
    assert remove_stale(tmp_path) == [merge, stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"thibaud-other-{DEAD_PID}-abc",
        f"thibaud-render-{DEAD_PID}",
        f"thibaud-update-{DEAD_PID}-file",
        f"thibaud-verify-{os.getpid()}-abc",
    ]


def test_scratch_directories_carry_the_pid_and_go_away(tmp_path: Path) -> None:
    with scratch_directory("render") as scratch:
        assert scratch.name.startswith(f"thibaud-render-{os.getpid()}-")
        (scratch / "file").write_text("x")
    assert not scratch.exists()


def test_the_next_run_removes_the_scratch_directory_of_a_killed_one(
    make_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "THIBAUD_SETTINGS_MODULE"}
    env.update(PYTHONPATH=str(REPO), TMPDIR=str(temp))
    spec = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args, "add-asgi-middleware", spec, "--project-dir", str(project)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # Killed at its first write: copier writing asgi.py into the render's scratch directory.
    assert run("-m", "tests.support.fault_runner", "sigkill", "1").returncode == -9
    (left,) = temp.iterdir()
    assert left.name.startswith("thibaud-render-")
    assert run("-m", "thibaud_cli").returncode == 0
    assert list(temp.iterdir()) == []


def test_a_rollback_keeps_a_file_written_since_and_can_be_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_file_tree(tmp_path / "project", {"kept.txt": "old\n", "gone.txt": "bye\n"})
    before = tree_snapshot(root)
    with change_project(root, operation="test", repair="Run it again.") as change:
        change.write("kept.txt", b"new\n")
        change.remove("gone.txt")
        change.write("sub/created.txt", b"created\n")
        change.write("sub/mine.txt", b"ours\n")
        # Die as SIGKILL would, at the journal's removal: no undo, the journal stays.
        monkeypatch.setattr(Transaction, "_undo", lambda *args: None)
        monkeypatch.setattr(Path, "unlink", _refuse_journal_removal(Path.unlink))
        with pytest.raises(RuntimeError):
            change.commit()
    monkeypatch.undo()
    assert (root / "kept.txt").read_text() == "new\n" and not (root / "gone.txt").exists()
    found = find_interrupted(root)
    assert found is not None and found.original("kept.txt") == b"old\n"
    assert found.original("sub/created.txt") is None
    # Written by someone else since: not the file the change created, so it stays.
    (root / "sub" / "mine.txt").unlink()
    (root / "sub" / "mine.txt").write_text("the user's\n")
    with project_lock(root):
        journal = Journal.read(root / CONTROL_DIRNAME / "transaction" / "journal.json")
        rollback(root, journal)
        rollback(root, journal)  # idempotent: a rollback killed half-way is simply redone
        assert "was interrupted: its changes were rolled back" in (recover(root) or "")
    assert tree_snapshot(root) == {**before, "sub": "dir", "sub/mine.txt": ANY}
    assert (root / "sub" / "mine.txt").read_text() == "the user's\n"
    assert not (root / CONTROL_DIRNAME).exists()


def _refuse_journal_removal(unlink: Callable[..., None]) -> Callable[..., None]:
    def refuse(path: Path, *args: object, **kwargs: object) -> None:
        if path.name == "journal.json":
            raise RuntimeError("killed")
        unlink(path, *args, **kwargs)

    return refuse


def test_a_pruned_directory_is_neither_yielded_nor_entered(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "t", {"a/x.py": "", "skip/y.py": "", "a/skip/z.py": ""})
    walked = walk_tree(root, prune=lambda directory: directory.name == "skip")
    assert [path.relative_to(root).as_posix() for path in walked] == ["a", "a/x.py"]
    assert list(walk_files(root, prune=lambda directory: directory.name == "a")) == [
        root / "skip" / "y.py"
    ]
