"""Renders run under a memory ceiling the kernel enforces, and a time limit one can set."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.errors import TemplateError
from thibaud_cli.template.sandbox.limits import render_timeout
from thibaud_cli.template.sandbox.memory import MEMORY_CEILING, address_space, memory_ceiling


def test_allocations_past_the_ceiling_fail_and_the_limit_comes_back() -> None:
    # In a child process: the limit is process-wide, and this must not disturb pytest.
    code = textwrap.dedent(
        f"""
        from thibaud_cli.template.sandbox.memory import memory_ceiling
        with memory_ceiling():
            try:
                bytearray({2 * MEMORY_CEILING})
            except MemoryError:
                print("refused")
            bytearray(64 * 1024 * 1024)  # well under the ceiling: fine
        bytearray({2 * MEMORY_CEILING})  # the old limit is back
        print("restored")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "restored"]


def test_the_ceiling_is_measured_from_the_process_size() -> None:
    assert address_space() > 0
    with memory_ceiling(10 * MEMORY_CEILING):  # generous: pytest keeps running under it
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        assert address_space() < soft <= address_space() + 10 * MEMORY_CEILING + 2**24


def test_a_template_that_grows_past_the_ceiling_is_refused_in_one_line(tmp_path: Path) -> None:
    # str.replace grows a string sixtyfold (540 MB) without any operator the budgets
    # intercept, and none of it is output: only the ceiling stops it.
    bomb = '{% set a = ("x" * 9000000).replace("x", "x" * 60) %}{{ a | length }}'
    template = build_file_tree(
        tmp_path / "template",
        {"copier.yml": "_templates_suffix: .jinja\n", "bomb.txt.jinja": bomb},
    )
    before = tree_snapshot(tmp_path)
    done = run_cli("startproject", "shop", "--template", str(template), cwd=tmp_path, module=True)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "needs more than 512 MiB of memory to render: refused, nothing was written" in lines[0]
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize("value", ["0", "-3", "soon", "1e9"])
def test_a_bad_timeout_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("THIBAUD_RENDER_TIMEOUT", value)
    with pytest.raises(TemplateError, match="THIBAUD_RENDER_TIMEOUT"):
        render_timeout()


def test_the_timeout_is_30_seconds_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THIBAUD_RENDER_TIMEOUT", raising=False)
    assert render_timeout() == 30.0
    monkeypatch.setenv("THIBAUD_RENDER_TIMEOUT", "2.5")
    assert render_timeout() == 2.5


@pytest.mark.parametrize(
    "bomb",
    [
        # Each squaring doubles the size; one multiplication in C runs to its end
        # whatever the deadline, so this ran 53 s against a 30 s limit (issue 25).
        "{% set ns = namespace(x=10) %}{% for i in range(40) %}"
        "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x | string | length }}",
        "{% set x = 10 ** 20000 %}{{ (x * x * x * x) | string | length }}",
        # A number too big to print is still told in one line.
        '{{ "x".ljust(10 ** 20000) }}',
    ],
)
def test_a_big_integer_product_is_refused_by_its_size_not_the_timeout(
    tmp_path: Path, bomb: str
) -> None:
    template = build_file_tree(
        tmp_path / "template",
        {"copier.yml": "_templates_suffix: .jinja\n", "bomb.txt.jinja": bomb},
    )
    before = tree_snapshot(tmp_path)
    done = run_cli(
        "startproject",
        "shop",
        "--template",
        str(template),
        cwd=tmp_path,
        module=True,
        env={"THIBAUD_RENDER_TIMEOUT": "10"},
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "The template computes" in lines[0] and "-bit" in lines[0], lines[0]
    assert "refused, nothing was written" in lines[0]
    assert tree_snapshot(tmp_path) == before
