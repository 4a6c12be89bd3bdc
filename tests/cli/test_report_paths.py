"""``--junit-xml`` written where the user means it (issue 25): through a symlink to the
file it names, into a device or standard output as a stream, never by replacing the
link or the device with a regular file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support.cli import cli_environment, run_cli
from tests.support.trees import build_file_tree


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\n",
            "{{ project_name }}/__init__.py": "",
        },
    )


def validate(template: Path, report: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "validate-template", str(template), "--no-boot", "--junit-xml", str(report), cwd=cwd
    )


def test_a_symlinked_report_path_writes_the_file_it_names(tmp_path: Path, template: Path) -> None:
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "junit.xml"
    real.write_text("old\n")
    link = tmp_path / "report.xml"
    link.symlink_to(real)
    done = validate(template, link, tmp_path)
    assert done.returncode == 1, done.stderr  # the template has no entry points
    assert link.is_symlink() and os.readlink(link) == str(real)
    ElementTree.parse(real)


def test_a_report_linked_to_a_device_writes_into_it(tmp_path: Path, template: Path) -> None:
    link = tmp_path / "report.xml"
    link.symlink_to("/dev/null")
    done = validate(template, link, tmp_path)
    assert done.returncode == 1, done.stderr
    assert link.is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("stdout_kind", ["pipe", "file"])
def test_a_report_linked_to_standard_output_goes_there(
    tmp_path: Path, template: Path, stdout_kind: str
) -> None:
    link = tmp_path / "report.xml"
    link.symlink_to("/dev/stdout")
    args = [
        sys.executable,
        "-m",
        "thibaud_cli",
        "validate-template",
        str(template),
        "--no-boot",
        "--junit-xml",
        str(link),
    ]
    captured = tmp_path / "stdout.txt"
    with open(captured, "w") as sink:
        done = subprocess.run(
            args,
            cwd=tmp_path,
            env=cli_environment(),
            stdout=subprocess.PIPE if stdout_kind == "pipe" else sink,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    out = done.stdout if stdout_kind == "pipe" else captured.read_text()
    assert done.returncode == 1, done.stderr
    assert "<testsuites" in out and "Template " in out
    assert link.is_symlink() and os.readlink(link) == "/dev/stdout"


def test_a_report_path_that_is_a_device_node_stays_one(tmp_path: Path, template: Path) -> None:
    """The attack's shape: ``--junit-xml`` naming the device itself, not a link to it (a
    device node of /dev/null's numbers, so that the test never touches the real one)."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    done = validate(template, device, tmp_path)
    assert done.returncode == 1, done.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert os.lstat(device).st_rdev == os.makedev(1, 3)


def test_a_report_path_that_is_a_fifo_is_written_as_a_stream(
    tmp_path: Path, template: Path
) -> None:
    import threading

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = validate(template, fifo, tmp_path)
    reader.join(timeout=60)
    assert done.returncode == 1, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    ElementTree.fromstring(received[0])
