"""``/dev/zero`` as a template file (issue 25, left from the first attack: it peaked at
550 MiB before the budget stopped it). A device never ends: whether it is a device node
among the template's files or a link to one, it is never read. Each case runs
``startproject`` in a process of its own, its peak memory measured; a template of either
kind, and Django-style with ``-x`` (which walks hidden files too)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import run_cli_measured
from tests.support.trees import build_file_tree

#: What a render that never reads the device costs: the interpreter and its imports.
PEAK_MIB = 250


def copier_template(root: Path) -> Path:
    return build_file_tree(
        root / "copier-template",
        {"copier.yml": "_templates_suffix: .jinja\n", "{{ project_name }}/__init__.py": ""},
    )


def classic_template(root: Path) -> Path:
    return build_file_tree(
        root / "classic",
        {"manage.py-tpl": "# {{ project_name }}\n", "project_name/__init__.py-tpl": ""},
    )


def device_node(path: Path) -> None:
    """A character device of /dev/zero's numbers, as a template file; only root may."""
    try:
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs root")


def zero_link(path: Path) -> None:
    os.symlink("/dev/zero", path)


def start(root: Path, template: Path, *extra: str):  # type: ignore[no-untyped-def]
    (root / "out").mkdir()
    return run_cli_measured(
        "startproject", "shop", "--template", str(template), *extra, cwd=root / "out", timeout=120
    )


@pytest.mark.parametrize("make", [device_node, zero_link], ids=["device node", "link"])
@pytest.mark.parametrize(
    ("kind", "extra"),
    [("copier", ()), ("django-style", ()), ("django-style", ("-x", "nothing"))],
    ids=["copier", "django-style", "django-style -x"],
)
def test_dev_zero_as_a_template_file_is_never_read(
    tmp_path: Path, make: Callable[[Path], None], kind: str, extra: tuple[str, ...]
) -> None:
    template = (copier_template if kind == "copier" else classic_template)(tmp_path)
    make(template / "zero.py-tpl")
    make(template / "zero.txt")
    done, peak = start(tmp_path, template, *extra)
    assert "Traceback" not in done.stderr and "report it" not in done.stderr
    target = tmp_path / "out" / "shop"
    # copier leaves a device and a link to one out of the render; a Django-style
    # template's walk leaves a device node out and refuses a link leading out of it.
    refused = kind == "django-style" and make is zero_link
    if not refused:
        assert done.returncode == 0, done.stderr
        assert (target / "shop" / "__init__.py").is_file()
        kept = ".thibaud-answers.yml" if kind == "copier" else "manage.py"
        assert (target / kept).is_file()
        written = sorted(path.name for path in target.rglob("*"))  # names only: never read
        assert not any(name.startswith("zero") for name in written), written
    else:
        assert done.returncode == 1, done.stderr
        assert done.stderr == (
            "Error: The template's 'zero.py-tpl' is a link leading out of the template: "
            "refused, nothing was written.\n"
        )
        assert not target.exists()
    assert peak < PEAK_MIB, peak
