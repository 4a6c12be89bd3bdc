"""The expressions of ``copier.yml`` that thibaud-admin renders itself, a question's
``when`` (validate-template's variants) and the ``_thibaud`` entry-point declarations,
are bounded as a render is (review of batch2): one ``'x'.ljust(3000000000)`` allocated
gigabytes there, and a ``when`` swallowed the MemoryError as "asked". Each case runs
in a process of its own, its peak memory measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli_measured
from tests.support.trees import build_file_tree

#: What refusing the expression costs: the interpreter and its imports (the attack
#: took gigabytes).
PEAK_MIB = 250
ATTACK = "{{ 'x'.ljust(3000000000) }}"
REFUSED = "The template computes with 3000000000, larger than 10000000: refused"


def _template(root: Path, config: str) -> Path:
    return build_file_tree(
        root / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\nproject_name: {type: str}\n" + config,
            "{{ project_name }}/__init__.py": "",
        },
    )


@pytest.mark.parametrize("option", ["--list-variants", "--no-boot"])
def test_a_when_that_allocates_gigabytes_is_refused_in_one_line(
    tmp_path: Path, option: str
) -> None:
    template = _template(
        tmp_path,
        f'use_cache:\n  type: bool\n  default: false\n  when: "{ATTACK}"\n'
        "backend:\n  type: str\n  default: a\n  choices: [a, b]\n",
    )
    done, peak = run_cli_measured("validate-template", str(template), option, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert REFUSED in done.stderr
    assert "Traceback" not in done.stderr
    assert peak < PEAK_MIB, peak


def test_an_entry_point_declaration_that_allocates_gigabytes_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    template = _template(tmp_path, f'_thibaud:\n  asgi: "{ATTACK}"\n')
    (tmp_path / "out").mkdir()
    done, peak = run_cli_measured(
        "startproject", "shop", "--template", str(template), cwd=tmp_path / "out"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert REFUSED in done.stderr
    assert not (tmp_path / "out" / "shop").exists()
    assert peak < PEAK_MIB, peak
