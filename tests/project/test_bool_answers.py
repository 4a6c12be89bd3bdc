"""A yes/no answer given with --data is read as copier reads it, or refused (issue 22).

copier reads a ``bool`` answer with ``cast_to_bool``: numbers, YAML's yes/no words and
``none``/``null``/``~``, and then, for anything else, Python's truth of the string, so
``docker=nope`` silently means true. Every answer copier reads as a word or a number
gives the same project under both; the rest is refused in one line (exit 2).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import BIN_DIR, run_cli
from tests.support.trees import build_file_tree, tree_snapshot

READ_ALIKE = ["False", "YES", "Off", "0", "2.5", "~", " t "]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_file_tree(
        tmp_path_factory.mktemp("bool") / "t",
        {
            "copier.yml": (
                "_templates_suffix: .jinja\n"
                "project_name: {type: str}\n"
                "flag: {type: bool, default: false}\n"
            ),
            "flag.txt.jinja": "{{ flag }}\n",
        },
    )


def _copier(template: Path, destination: Path, value: str) -> str:
    done = subprocess.run(
        [str(BIN_DIR / "copier"), "copy", "--defaults", "--quiet", "--data", "project_name=x",
         "--data", f"flag={value}", str(template), str(destination)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return (destination / "flag.txt").read_text()


def test_every_answer_copier_reads_gives_copiers_project(template: Path, tmp_path: Path) -> None:
    for index, value in enumerate(READ_ALIKE):
        expected = _copier(template, tmp_path / f"copier-{index}", value)
        ours = run_cli(
            "startproject", "x", str(tmp_path / f"ours-{index}"), "--template", str(template),
            "--data", f"flag={value}", cwd=tmp_path,
        )  # fmt: skip
        assert ours.returncode == 0, (value, ours.stderr)
        assert (tmp_path / f"ours-{index}" / "flag.txt").read_text() == expected, value


@pytest.mark.parametrize("value", ["nope", "ja"])
def test_an_answer_copier_would_take_as_true_by_accident_is_refused(
    template: Path, tmp_path: Path, value: str
) -> None:
    # copier itself takes it, as true:
    assert _copier(template, tmp_path / "copier", value) == "True\n"
    work = tmp_path / "work"
    work.mkdir()
    refused = run_cli(
        "startproject", "x", "--template", str(template), "--data", f"flag={value}", cwd=work
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        f"Error: --data flag={value}: 'flag' is a yes/no question; give true or false "
        "(also yes/no, y/n, on/off, 1/0). Nothing was written.\n"
    )
    assert tree_snapshot(work) == {}


def test_the_bundled_templates_docker_question_is_checked(tmp_path: Path) -> None:
    refused = run_cli("startproject", "mysite", "--data", "docker=nope", cwd=tmp_path)
    assert refused.returncode == 2
    assert "'docker' is a yes/no question" in refused.stderr
    assert tree_snapshot(tmp_path) == {}
