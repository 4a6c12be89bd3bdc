"""startproject is all or nothing: a failure at every single write leaves no trace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.fault_runner import WriteFaults
from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.fs.scratch import TEMP_PREFIX, find_stale, remove_stale


def _leftovers(*directories: Path) -> list[str]:
    return [
        p.name
        for d in directories
        if d.exists()
        for p in d.iterdir()
        if p.name.startswith(TEMP_PREFIX)
    ]


@pytest.mark.parametrize("fault", ["enospc", "exception", "interrupt"])
@pytest.mark.parametrize("existing", [False, True], ids=["new-directory", "existing-directory"])
def test_a_fault_at_every_write_leaves_no_trace(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, existing: bool
) -> None:
    target = tmp_path / "target"
    if existing:
        build_file_tree(target, {"mine.txt": "keep me\n", "sub/also.txt": "and me\n"})
    before = tree_snapshot(tmp_path)
    n = 1
    while True:
        with monkeypatch.context() as patch:
            injector = WriteFaults(fault, n).install(patch.setattr)
            result = runner.invoke(main, ["startproject", "mysite", str(target)])
        if not injector.fired:
            # Past the last write: the run completed, so every write was covered.
            assert result.exit_code == 0, result.output
            break
        assert result.exit_code == 1, (n, result.output)
        assert "Traceback" not in result.output
        assert tree_snapshot(tmp_path) == before, f"write {n} left a trace"
        assert _leftovers(tmp_path, target) == []
        n += 1
    assert n > 10  # copier's files, the answers file and the moves were all counted
    assert (target / "mysite" / "asgi.py").is_file()


def test_stale_temporaries_of_killed_runs_are_found_and_removed(tmp_path: Path) -> None:
    dead_pid = 2**22 + 12345  # above pid_max on Linux: no such process
    stale = tmp_path / f"{TEMP_PREFIX}{dead_pid}-abc"
    stale.mkdir()
    (stale / "file").write_text("x")
    alive = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-def"
    alive.mkdir()
    assert find_stale(tmp_path) == [stale]
    assert remove_stale(tmp_path) == [stale]
    assert not stale.exists() and alive.exists()


def test_startproject_cleans_up_after_a_killed_run(runner: CliRunner, tmp_path: Path) -> None:
    dead_pid = 2**22 + 12345
    stale = tmp_path / f"{TEMP_PREFIX}{dead_pid}-abc"
    (stale / "project").mkdir(parents=True)
    result = runner.invoke(main, ["startproject", "mysite", str(tmp_path / "mysite")])
    assert result.exit_code == 0, result.output
    assert not stale.exists()


def test_atomic_writes_keep_or_give_the_usual_permissions(tmp_path: Path) -> None:
    from thibaud_cli.fs.atomic import write_text_atomic

    existing = tmp_path / "existing.py"
    existing.write_text("old")
    existing.chmod(0o640)
    write_text_atomic(existing, "new")
    assert existing.stat().st_mode & 0o777 == 0o640
    created = tmp_path / "created.py"
    old_mask = os.umask(0o022)
    try:
        write_text_atomic(created, "new")
    finally:
        os.umask(old_mask)
    assert created.stat().st_mode & 0o777 == 0o644
    assert created.read_text() == "new"
