"""Read-only commands never write: list-asgi-middleware, every --dry-run and update --check
leave a project a killed command half-changed exactly as they found it (contents and
mtimes), say what they found, and name the command that rolls it back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.faults import run_with_fault, run_without_fault
from tests.support.trees import tree_snapshot
from thibaud_cli.fs.lock import CONTROL_DIRNAME

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"


def with_times(root: Path) -> dict[str, tuple[str, int]]:
    """tree_snapshot plus every entry's mtime, the root's and the directories' included."""
    snapshot = tree_snapshot(root)
    times = {".": root.stat().st_mtime_ns}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            times[str(path.relative_to(root))] = path.lstat().st_mtime_ns
    return {path: (snapshot.get(path, "root"), mtime) for path, mtime in times.items()}


@pytest.fixture
def half_changed(make_project, tmp_path: Path) -> tuple[Path, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A project whose add-asgi-middleware was killed between replacing asgi.py and the
    answers file; and the project as it was before."""
    pristine = make_project()
    before = tree_snapshot(pristine)
    asgi = (pristine / "mysite" / "asgi.py").read_text()
    for n in range(1, 10):
        project = tmp_path / f"killed-{n}"
        shutil.copytree(pristine, project)
        args = ["add-asgi-middleware", PROXY, "--no-verify", "--project-dir", str(project)]
        assert run_with_fault("sigkill:renames", n, args, tmp_path).returncode == -9
        journal = project / CONTROL_DIRNAME / "transaction" / "journal.json"
        if journal.exists() and (project / "mysite" / "asgi.py").read_text() != asgi:
            return project, before
    raise AssertionError("no run was killed between its two renames")


def test_read_only_commands_report_a_killed_change_and_write_nothing(
    half_changed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, before = half_changed
    frozen = with_times(project)
    repair = f"Run 'thibaud-cli regenerate-asgi --project-dir {project}'"
    listing = run_without_fault(["list-asgi-middleware", "--project-dir", str(project)], tmp_path)
    assert listing.returncode == 0, listing.stderr
    # The chain the project had before the killed command: what rolling it back restores.
    assert listing.stdout == "No ASGI middleware.\n"
    assert "thibaud-admin add-asgi-middleware (process" in listing.stderr
    assert "was interrupted" in listing.stderr and repair in listing.stderr
    for args in (
        [
            "add-asgi-middleware",
            "asgi_correlation_id.CorrelationIdMiddleware",
            "--dry-run",
            "-o",
            "x=1",
        ],
        ["remove-asgi-middleware", PROXY, "--dry-run"],
        ["regenerate-asgi", "--dry-run"],
        ["update", "--dry-run"],
        ["update", "--check"],
    ):
        result = run_without_fault([*args, "--project-dir", str(project)], tmp_path)
        assert result.returncode == 1, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "was interrupted" in result.stderr and repair in result.stderr
        assert result.stdout == ""
    assert with_times(project) == frozen
    # The command named rolls it back.
    repaired = run_without_fault(["regenerate-asgi", "--project-dir", str(project)], tmp_path)
    assert repaired.returncode == 0, repaired.stderr
    assert "its changes were rolled back" in repaired.stderr
    assert tree_snapshot(project) == before


def test_read_only_commands_write_nothing_to_a_sound_project(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    frozen = with_times(project)
    for args in (
        ["list-asgi-middleware"],
        ["add-asgi-middleware", PROXY, "--no-verify", "--dry-run"],
        ["regenerate-asgi", "--dry-run"],
        ["update", "--check"],
        ["update", "--dry-run"],
    ):
        result = run_without_fault([*args, "--project-dir", str(project)], tmp_path)
        assert result.returncode == 0, (args, result.stderr)
    assert with_times(project) == frozen
