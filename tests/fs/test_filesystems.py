"""Real read-only and full file systems (tmpfs mounts; needs root, as CI has)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.fs.scratch import TEMP_PREFIX
from thibaud_cli.operations.startproject import start_project

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount here ({result.stderr.strip()}): needs root")


@contextlib.contextmanager
def tmpfs(mountpoint: Path, *, size: str, seed: Path | None = None) -> Iterator[Path]:
    """A fresh tmpfs of *size* at *mountpoint*, holding a copy of *seed*; always unmounted."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint))
    try:
        if seed is not None:
            shutil.copytree(seed, mountpoint, dirs_exist_ok=True)
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def make_read_only(mountpoint: Path) -> None:
    _mount("-o", "remount,ro", str(mountpoint))


def fill(directory: Path, leave: int) -> None:
    """Fill the file system of *directory* until *leave* bytes are free."""
    stats = os.statvfs(directory)
    free = stats.f_bavail * stats.f_frsize
    (directory / ".filler").write_bytes(b"\0" * max(0, free - leave))


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    seed = tmp_path / "seed"
    build_file_tree(seed, {"existing/notes.txt": "mine\n"})
    start_project("mysite", seed / "project")
    return seed


def test_read_only_target(runner: CliRunner, tmp_path: Path, seed: Path) -> None:
    with tmpfs(tmp_path / "ro", size="2m", seed=seed) as root:
        make_read_only(root)
        before = tree_snapshot(root)
        cases = [
            ["startproject", "shop", str(root / "shop")],
            ["startproject", "shop", str(root / "existing")],
            ["add-asgi-middleware", PROXY, "--project-dir", str(root / "project")],
            ["remove-asgi-middleware", PROXY, "--project-dir", str(root / "project")],
        ]
        for args in cases:
            result = runner.invoke(main, args)
            assert result.exit_code == 1, (args, result.output)
            assert "Traceback" not in result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
        assert "Read-only file system" in runner.invoke(main, cases[2]).output
        assert tree_snapshot(root) == before


def test_full_disk_during_startproject(runner: CliRunner, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", size="1m") as root:
        build_file_tree(root, {"existing/notes.txt": "mine\n"})
        fill(root, leave=8 * 1024)
        before = tree_snapshot(root)
        for target in (root / "shop", root / "existing"):
            result = runner.invoke(main, ["startproject", "shop", str(target)])
            assert result.exit_code == 1, result.output
            assert "No space left on device" in result.output
            assert tree_snapshot(root) == before
            assert leftovers(root) == []


def test_full_disk_during_add_asgi_middleware(
    runner: CliRunner, tmp_path: Path, seed: Path
) -> None:
    with tmpfs(tmp_path / "full", size="1m", seed=seed) as root:
        project = root / "project"
        fill(root, leave=1024)
        before = tree_snapshot(root)
        result = runner.invoke(main, ["add-asgi-middleware", PROXY, "--project-dir", str(project)])
        assert result.exit_code == 1, result.output
        assert "No space left on device" in result.output
        assert tree_snapshot(root) == before
        assert leftovers(root) == []
