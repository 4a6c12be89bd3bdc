"""The text merge is git's: how git is run, and that the results are git's own."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thibaud_cli.errors import ThibaudCliError
from thibaud_cli.merge import merge_file
from thibaud_cli.merge.text import merge_texts

REAL_GIT = shutil.which("git")
# Both sides add the same comment and change the line under it differently.
BASE = "a\n\nkey = 1\n\nz\n"
OURS = "a\n\n# comment\nkey = 2\n\nz\n"
THEIRS = "a\n\n# comment\nkey = 3\n\nz\n"


def git_merge_file(tmp_path: Path, base: str, ours: str, theirs: str) -> tuple[int, str]:
    """``git merge-file --zdiff3`` itself, on the files as they are."""
    for name, content in (("o", ours), ("b", base), ("t", theirs)):
        (tmp_path / name).write_bytes(content.encode())
    labels = ["-L", "ours", "-L", "base", "-L", "template"]
    process = subprocess.run(
        ["git", "merge-file", "-p", "--zdiff3", *labels, "o", "b", "t"],
        cwd=tmp_path,
        env={
            "PATH": os.environ["PATH"],
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        },
        capture_output=True,
        check=False,
    )
    return process.returncode, process.stdout.decode()


def test_the_trivial_cases_do_not_start_git(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*args: object, **kwargs: object) -> None:
        raise AssertionError("git was started")

    monkeypatch.setattr(subprocess, "run", no_git)
    assert merge_texts("a\n", "b\n", "b\n").text == "b\n"
    assert merge_texts("a\n", "b\n", "a\n").text == "b\n"
    assert merge_texts("a\n", "a\n", "c\n").text == "c\n"


def test_without_git_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ThibaudCliError) as caught:
        merge_texts("a\n", "b\n", "c\n")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("git is needed to merge") and "install git" in message


def test_a_git_without_zdiff3_gets_diff3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # What git 2.34 answers to --zdiff3; any other call goes to the real git.
    fake = tmp_path / "git"
    fake.write_text(
        "#!/bin/sh\n"
        'for argument; do if [ "$argument" = --zdiff3 ]; then\n'
        '  echo "error: unknown option \\`zdiff3\'" >&2; exit 129; fi; done\n'
        f'exec {REAL_GIT} "$@"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    (conflict,) = merge_texts(BASE, OURS, THEIRS).conflicts
    # diff3 keeps the comment both sides added in the conflict; the line is still right.
    assert (conflict.line, conflict.ours) == (3, ("# comment\n", "key = 2\n"))
    (narrow,) = merge_texts(BASE, OURS, THEIRS.replace("3", "4")).conflicts
    assert narrow.line == 3


def test_git_runs_with_no_configuration_and_outside_any_repository(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The temporary directory is inside a repository, and the environment points git
    # at another one and at configuration: a git that records what it runs with and
    # whether it sees a repository, then does the real work.
    repository = tmp_path / "repository"
    (repository / "tmp").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    monkeypatch.setattr(tempfile, "tempdir", str(repository / "tmp"))
    log, fake = tmp_path / "log", tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f"{{ pwd; env | grep -E '^(GIT_|HOME=)' | sort\n"
        f"  {REAL_GIT} rev-parse --git-dir >/dev/null 2>&1 && echo repository || echo none\n"
        f"  echo; }} >> {log}\n"
        f'exec {REAL_GIT} "$@"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GIT_DIR", str(repository / ".git"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'diff.algorithm'='patience'")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert merge_texts(BASE, OURS, THEIRS).conflicts[0].line == 4
    calls = log.read_text().strip().split("\n\n")
    assert len(calls) == 3  # merge-file, and the two diffs placing the conflict
    for call in calls:
        cwd, *environment, found = call.splitlines()
        assert found == "none"
        parent = str(Path(cwd).parent)
        assert environment == [
            f"GIT_CEILING_DIRECTORIES={parent}",
            "GIT_CONFIG_GLOBAL=/dev/null",
            "GIT_CONFIG_NOSYSTEM=1",
            f"HOME={cwd}",
        ]


def test_the_temporary_files_are_private(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    run = subprocess.run

    def spy(arguments: list[str], **kwargs: object) -> object:
        seen.append(stat.S_IMODE(Path(str(kwargs["cwd"])).stat().st_mode))
        return run(arguments, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", spy)
    merge_texts(BASE, OURS, THEIRS)
    assert seen and set(seen) == {0o700}


def test_lines_are_found_even_if_git_merged_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, ours, theirs = "x\n" + BASE, "x\ny\n" + OURS, "x\n" + THEIRS
    expected = merge_texts(base, ours, theirs)
    assert [c.line for c in expected.conflicts] == [6]
    monkeypatch.setattr(merge_file, "conflict_spans", lambda *args, **kwargs: [])
    assert merge_texts(base, ours, theirs) == expected


LINE = st.sampled_from(["a\n", "b\n", "c\n", "\n", "key = 1\n", "}\n", "é\n", "a\r\n", "x"])


@st.composite
def three_texts(draw: st.DrawFn) -> tuple[str, str, str]:
    base = draw(st.lists(LINE, max_size=12))

    def edit(lines: list[str]) -> list[str]:
        lines = list(lines)
        for _ in range(draw(st.integers(0, 4))):
            at = draw(st.integers(0, len(lines)))
            action = draw(st.sampled_from(["insert", "delete", "replace"]))
            if action == "insert":
                lines.insert(at, draw(LINE))
            elif at < len(lines):
                lines[at : at + 1] = [] if action == "delete" else [draw(LINE)]
        return lines

    def joined(lines: list[str]) -> str:  # only a last line may lack its newline
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines[:-1]) + (
            lines[-1] if lines else ""
        )

    return joined(base), joined(edit(base)), joined(edit(base))


@settings(max_examples=50, deadline=None, database=None)
@given(three_texts())
def test_results_are_git_merge_files(texts: tuple[str, str, str]) -> None:
    base, ours, theirs = texts
    result = merge_texts(base, ours, theirs)
    with tempfile.TemporaryDirectory() as directory:
        status, output = git_merge_file(Path(directory), base, ours, theirs)
    assert (status == 0) == result.clean
    assert status == len(result.conflicts)
    if result.clean:
        assert result.text == output
    else:
        # git's own output, once its base sections are left out (ours shows none).
        without_base = re.sub(r"^\|{7} base\r?\n.*?(?=^={7}\r?\n)", "", output, flags=re.S | re.M)
        if "\r" not in ours + theirs + base:  # marker line endings aside
            assert result.text_with_markers == without_base
    our_lines = re.findall(r"[^\n]*\n|[^\n]+$", ours)
    for conflict in result.conflicts:
        at = conflict.line - 1
        assert tuple(our_lines[at : at + len(conflict.ours)]) == conflict.ours
