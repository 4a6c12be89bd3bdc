"""Output into a pipe whose reader went away (``| head``) is quiet (issue 22).

No "Error: Broken pipe.", and the exit status click gives a closed pipe (1), as
Python's documentation advises; the pipe is real, the reader a real process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.cli import BIN_DIR, cli_environment


def test_head_reads_the_first_lines_and_nothing_is_said(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-c", f'"{BIN_DIR / "thibaud-cli"}" startproject x --dry-run | head -3; '
         'echo "status=${PIPESTATUS[0]}" >&2'],
        cwd=tmp_path, env=cli_environment(), capture_output=True, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.stdout.splitlines() == [
        "Would create project 'x' in x:",
        "  .dockerignore",
        "  .env.example",
    ]
    # Whether the writer still had lines to write when head left is a race: either way,
    # nothing on standard error but the status, and 0 or 1.
    assert done.stderr in ("status=0\n", "status=1\n")
    assert not (tmp_path / "x").exists()


def test_a_reader_gone_before_the_first_line_gets_a_quiet_exit_1(tmp_path: Path) -> None:
    with subprocess.Popen(
        [str(BIN_DIR / "thibaud-cli"), "startproject", "x", "--dry-run"],
        cwd=tmp_path, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the only reader: every write now fails with EPIPE
        err = process.stderr.read()
        assert process.wait(timeout=120) == 1
    assert err == b""
