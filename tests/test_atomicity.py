"""startproject is all or nothing: a failure at every single write leaves no trace."""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import build_file_tree, tree_snapshot
from thibaud_cli.atomic import TEMP_PREFIX, remove_stale_temporaries, stale_temporaries
from thibaud_cli.cli import main


class InjectedFault(Exception):
    pass


class FaultInjector:
    """Counts the file-system writes of a run and fails the Nth one.

    The writes are copier's file writes (Path.write_bytes), the answers file
    (Path.write_text), and the moves into place (os.link, os.rename).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int, fault: BaseException) -> None:
        self.count = 0
        self.fail_at = fail_at
        self.fault = fault
        self.fired = False
        for owner, name in (
            (pathlib.Path, "write_bytes"),
            (pathlib.Path, "write_text"),
            (os, "link"),
            (os, "rename"),
        ):
            monkeypatch.setattr(owner, name, self._wrap(getattr(owner, name)))

    def _wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count == self.fail_at:
                self.fired = True
                raise self.fault
            return function(*args, **kwargs)

        return wrapper


FAULTS = {
    "disk-full": OSError(errno.ENOSPC, "No space left on device"),
    "exception": InjectedFault("injected"),
    "ctrl-c": KeyboardInterrupt(),
}


def _leftovers(*directories: Path) -> list[str]:
    return [
        p.name
        for d in directories
        if d.exists()
        for p in d.iterdir()
        if p.name.startswith(TEMP_PREFIX)
    ]


@pytest.mark.parametrize("fault", FAULTS)
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
            injector = FaultInjector(patch, n, FAULTS[fault])
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
    assert stale_temporaries(tmp_path) == [stale]
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and alive.exists()


def test_startproject_cleans_up_after_a_killed_run(runner: CliRunner, tmp_path: Path) -> None:
    dead_pid = 2**22 + 12345
    stale = tmp_path / f"{TEMP_PREFIX}{dead_pid}-abc"
    (stale / "project").mkdir(parents=True)
    result = runner.invoke(main, ["startproject", "mysite", str(tmp_path / "mysite")])
    assert result.exit_code == 0, result.output
    assert not stale.exists()
