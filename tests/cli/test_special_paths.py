"""Options that name files never block on a FIFO or read a device (issue 25): each is
refused in one line, with exit code 2 for the command line or 1 for the file."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.cli import run_cli

TIMEOUT = 60.0  # a blocked read would hang: the run fails on this instead


def test_a_fifo_as_pythonpath_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    done = run_cli(
        "startproject",
        "shop",
        "--pythonpath",
        str(tmp_path / "pipe"),
        cwd=tmp_path,
        timeout=TIMEOUT,
    )
    assert done.returncode == 2, done.stderr
    assert "FIFO" in done.stderr and "--pythonpath" in done.stderr
    assert not (tmp_path / "shop").exists()


def test_a_device_as_pythonpath_is_refused(tmp_path: Path) -> None:
    done = run_cli(
        "startproject", "shop", "--pythonpath", "/dev/zero", cwd=tmp_path, timeout=TIMEOUT
    )
    assert done.returncode == 2, done.stderr
    assert "not a directory" in done.stderr


def test_a_fifo_as_matrix_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "matrix.yml")
    done = run_cli(
        "validate-template",
        "--matrix",
        str(tmp_path / "matrix.yml"),
        "--list-variants",
        cwd=tmp_path,
        timeout=TIMEOUT,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not a regular file" in done.stderr


def test_a_device_as_matrix_is_refused(tmp_path: Path) -> None:
    done = run_cli(
        "validate-template",
        "--matrix",
        "/dev/zero",
        "--list-variants",
        cwd=tmp_path,
        timeout=TIMEOUT,
    )
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr


def test_a_fifo_or_a_device_as_a_report_to_merge_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "report.json")
    for path in (str(tmp_path / "report.json"), "/dev/zero"):
        done = run_cli("merge-reports", path, cwd=tmp_path, timeout=TIMEOUT)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "not a regular file" in done.stderr


def test_a_report_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    done = run_cli("merge-reports", str(tmp_path / "deep.json"), cwd=tmp_path, timeout=TIMEOUT)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
