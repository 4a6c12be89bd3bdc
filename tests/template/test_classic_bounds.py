"""Django-style templates render within the bounds copier templates do: the memory
ceiling, the output budget, the time limit; and what Thibaud's engine raises is told in
one line. Each case is shaped as the attack was (issue 25): a template file whose one
filter would allocate gigabytes, a FIFO among the template's files, tags that need what
a project template does not have."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import run_cli_measured
from tests.support.trees import build_file_tree, tree_snapshot

TIMEOUT = 120.0


def classic(root: Path, files: dict[str, str]) -> Path:
    return build_file_tree(root / "classic", {"project_name/__init__.py-tpl": "", **files})


def start(root: Path, template: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return start_measured(root, template, *extra, env=env)[0]


def start_measured(root: Path, template: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    (root / "out").mkdir(exist_ok=True)
    return run_cli_measured(
        "startproject",
        "shop",
        "--template",
        str(template),
        *extra,
        cwd=root / "out",
        timeout=TIMEOUT,
        env=env,
    )


@pytest.mark.parametrize(
    "bomb",
    [
        '{{ secret_key|ljust:"2000000000" }}',
        '{{ secret_key|rjust:"2000000000" }}',
        '{{ secret_key|center:"2000000000" }}',
        '{{ project_name|stringformat:"900000000s" }}',
    ],
    ids=["ljust", "rjust", "center", "stringformat"],
)
def test_a_filter_allocating_gigabytes_meets_the_memory_ceiling(tmp_path: Path, bomb: str) -> None:
    template = classic(tmp_path, {"manage.py-tpl": bomb})
    before = tree_snapshot(tmp_path)
    done, peak = start_measured(tmp_path, template)
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr[:2000]
    assert "needs more than 512 MiB of memory" in done.stderr
    assert tree_snapshot(tmp_path) == {**before, "out": "dir"}
    # The allocation is refused before it touches memory.
    assert peak < 300, peak


def test_output_past_the_budget_is_refused(tmp_path: Path) -> None:
    """Under the ceiling, over the budget: 30 files of 8 MB each (240 MB) of text."""
    files = {f"big{i}.py-tpl": '{{ secret_key|ljust:"8000000" }}' for i in range(30)}
    template = classic(tmp_path, files)
    done = start(tmp_path, template)
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr[:2000]
    assert "renders more than 128 MiB" in done.stderr
    assert not (tmp_path / "out" / "shop").exists()


def test_a_render_past_the_time_limit_is_stopped(tmp_path: Path) -> None:
    loops = "".join("{% for c" + str(i) + " in secret_key %}" for i in range(8))
    template = classic(tmp_path, {"manage.py-tpl": loops + "x" + "{% endfor %}" * 8})
    done = start(tmp_path, template, env={"THIBAUD_RENDER_TIMEOUT": "1"})
    assert done.returncode == 1, done.stderr
    assert "took longer than 1 s to render" in done.stderr
    assert not (tmp_path / "out" / "shop").exists()


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ('{% include "/etc/passwd" %}', "include"),
        ('{% extends "/etc/passwd" %}', "include"),
        ('{% include "missing.html" %}', "include"),
        ("{% include computed %}", "include"),
        ('{% url "admin:index" %}', "failed to render"),
        ("{% querystring %}", "failed to render"),
    ],
)
def test_tags_a_project_template_cannot_use_fail_in_one_line(
    tmp_path: Path, source: str, said: str
) -> None:
    template = classic(tmp_path, {"manage.py-tpl": source})
    done = start(tmp_path, template)
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "manage.py-tpl" in done.stderr and said in done.stderr
    assert "report it" not in done.stderr and "root:" not in done.stderr
    assert not (tmp_path / "out" / "shop").exists()


@pytest.mark.parametrize("extra", [(), ("-x", "nothing")], ids=["no options", "-x"])
def test_a_fifo_in_a_template_never_blocks(tmp_path: Path, extra: tuple[str, ...]) -> None:
    template = classic(tmp_path, {"manage.py-tpl": "# {{ project_name }}\n"})
    os.mkfifo(template / "pipe.py-tpl")
    os.mkfifo(template / "project_name" / "pipe.txt")
    os.symlink("pipe.py-tpl", template / "linked.py-tpl")
    os.symlink("project_name/pipe.txt", template / "linked.txt")
    done = start(tmp_path, template, *extra)
    assert done.returncode == 0, done.stderr
    written = set(tree_snapshot(tmp_path / "out" / "shop"))
    assert written == {"manage.py", "shop", "shop/__init__.py"}


def test_a_fifo_in_a_copier_template_never_blocks(tmp_path: Path) -> None:
    template = build_file_tree(
        tmp_path / "copier-template",
        {"copier.yml": "_templates_suffix: .jinja\n", "{{ project_name }}/__init__.py": ""},
    )
    os.mkfifo(template / "pipe.txt")
    os.symlink("pipe.txt", template / "linked.txt")
    done = start(tmp_path, template)
    assert done.returncode == 0, done.stderr
    written = set(tree_snapshot(tmp_path / "out" / "shop"))
    assert "pipe.txt" not in written and "linked.txt" not in written
