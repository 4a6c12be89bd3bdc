"""The journal is thibaud-admin's alone: one planted by a template, or found in a directory
someone else prepared, never makes a rollback write, move or remove anything outside the
project. Every case is shaped as the attack was (issue 25): a journal plus a "saved" file
aimed at a file of the user's outside the project (``~/.bashrc``), and the command that
would have rolled it back; each must be refused in one line, leave the journal where it
is, and leave the user's file as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.fs.lock import CONTROL_DIRNAME

GUARD = "mysite.asgi_guard.RequestGuard"
HOSTILE = "export PATH=/tmp/evil:$PATH  # planted\n"


def journal(*entries: dict[str, object], created: tuple[str, ...] = ()) -> str:
    return json.dumps(
        {
            "format": "thibaud-admin journal 1",
            "operation": "add-asgi-middleware",
            "pid": 1,
            "started": "2026-01-01 00:00:00 UTC",
            "repair": "Run anything.",
            "created_directories": list(created),
            "entries": list(entries),
        }
    )


def restore(path: str, *, saved: bool = True, staged_id: list[int] | None = None) -> dict:  # type: ignore[type-arg]
    return {"path": path, "action": "write", "saved": saved, "staged_id": staged_id}


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """The user's own file, outside any project: what the attack aims at."""
    home = tmp_path / "home"
    home.mkdir()
    bashrc = home / ".bashrc"
    bashrc.write_text("# mine\n")
    return bashrc


def plant(project: Path, document: str, saved: dict[str, str | bytes] | None = None) -> Path:
    transaction = project / CONTROL_DIRNAME / "transaction"
    build_file_tree(transaction, {"journal.json": document, **(saved or {})})
    (transaction / "old").mkdir(exist_ok=True)
    (transaction / "new").mkdir(exist_ok=True)
    return transaction / "journal.json"


def assert_refused(code: int, output: str, journal_path: Path) -> None:
    assert code == 1, output
    assert len(output.strip().splitlines()) == 1, output
    assert "is not a journal thibaud-admin wrote" in output or "symbolic link" in output, output
    assert "Traceback" not in output and "report it" not in output
    assert journal_path.exists(), "the journal is left for the user to inspect"


def planted_cases(victim: Path, project: Path) -> dict[str, tuple[str, dict[str, str | bytes]]]:
    """Journals aiming at *victim*, each with the files it needs under transaction/."""
    relative_up = os.path.relpath(victim, project)
    status = victim.stat()
    return {
        "absolute": (journal(restore(str(victim))), {"old/0": HOSTILE}),
        "dot-dot": (journal(restore(relative_up)), {"old/0": HOSTILE}),
        "remove by identity": (
            journal(restore(relative_up, saved=False, staged_id=[status.st_dev, status.st_ino])),
            {},
        ),
        "created directory outside": (
            journal(created=(os.path.relpath(victim.parent, project),)),
            {},
        ),
        # The attack's own shape: an empty directory of the user's, which rmdir removes.
        "empty directory outside": (
            journal(created=(os.path.relpath(victim.parent / "empty", project),)),
            {},
        ),
        "control directory": (journal(restore(f"{CONTROL_DIRNAME}/lock")), {"old/0": "x"}),
    }


@pytest.mark.parametrize(
    "case",
    [
        "absolute",
        "dot-dot",
        "remove by identity",
        "created directory outside",
        "empty directory outside",
        "control directory",
    ],
)
@pytest.mark.parametrize(
    "command",
    [("regenerate-asgi",), ("add-asgi-middleware", GUARD, "--no-verify")],
    ids=["regenerate-asgi", "readme-guard"],
)
def test_a_planted_journal_aiming_outside_is_refused_and_left(
    runner: CliRunner, project: Path, victim: Path, case: str, command: tuple[str, ...]
) -> None:
    document, saved = planted_cases(victim, project)[case]
    journal_path = plant(project, document, saved)
    (victim.parent / "empty").mkdir()
    before = tree_snapshot(victim.parent)
    project_before = tree_snapshot(project)
    result = runner.invoke(main, [*command, "--project-dir", str(project)])
    assert_refused(result.exit_code, result.output, journal_path)
    assert tree_snapshot(victim.parent) == before
    assert tree_snapshot(project) == project_before


def test_a_read_only_command_refuses_a_planted_journal_too(
    runner: CliRunner, project: Path, victim: Path
) -> None:
    document, saved = planted_cases(victim, project)["dot-dot"]
    journal_path = plant(project, document, saved)
    result = runner.invoke(main, ["list-asgi-middleware", "--project-dir", str(project)])
    assert_refused(result.exit_code, result.output, journal_path)


def test_a_journal_through_a_symlinked_parent_is_refused(
    runner: CliRunner, project: Path, victim: Path
) -> None:
    os.symlink(victim.parent, project / "docs")
    journal_path = plant(project, journal(restore("docs/.bashrc")), {"old/0": HOSTILE})
    result = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(project)])
    assert_refused(result.exit_code, result.output, journal_path)
    assert victim.read_text() == "# mine\n"


def test_a_symlinked_saved_file_is_refused(runner: CliRunner, project: Path, victim: Path) -> None:
    """The saved copy is a link to the user's file: restored, it would put the link in
    the project, and the next write of that path would be aimed at the user's file."""
    journal_path = plant(project, journal(restore("mysite/asgi.py")))
    os.symlink(victim, journal_path.parent / "old" / "0")
    asgi = (project / "mysite" / "asgi.py").read_bytes()
    result = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(project)])
    assert_refused(result.exit_code, result.output, journal_path)
    assert (project / "mysite" / "asgi.py").read_bytes() == asgi
    assert victim.read_text() == "# mine\n"


def test_a_symlinked_staging_directory_is_refused(
    runner: CliRunner, project: Path, victim: Path
) -> None:
    """``old`` linked to the user's directory: a rollback would move their files in."""
    journal_path = plant(project, journal(restore(".bashrc")))
    (journal_path.parent / "old").rmdir()
    os.symlink(victim.parent, journal_path.parent / "old")
    (victim.parent / "0").write_text("theirs\n")
    result = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(project)])
    assert_refused(result.exit_code, result.output, journal_path)
    assert (victim.parent / "0").read_text() == "theirs\n"
    assert not (project / ".bashrc").exists()


def test_a_symlinked_control_directory_is_refused(
    runner: CliRunner, project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, project / CONTROL_DIRNAME)
    for command in (["regenerate-asgi"], ["list-asgi-middleware"]):
        result = runner.invoke(main, [*command, "--project-dir", str(project)])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []
    assert (project / CONTROL_DIRNAME).is_symlink()


def test_a_symlinked_lock_file_is_never_truncated(
    runner: CliRunner, project: Path, victim: Path
) -> None:
    (project / CONTROL_DIRNAME).mkdir()
    os.symlink(victim, project / CONTROL_DIRNAME / "lock")
    result = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(project)])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and "symbolic link" in result.output
    assert victim.read_text() == "# mine\n"


# -- the journal planted by a template ------------------------------------------------


def copier_template(root: Path, victim: Path) -> Path:
    relative = os.path.relpath(victim, root / "out" / "shop")
    return build_file_tree(
        root / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\n",
            "{{ project_name }}/__init__.py": "",
            "{{ project_name }}/asgi.py.jinja": "application = None\n",
            f"{CONTROL_DIRNAME}/transaction/journal.json": journal(restore(relative)),
            f"{CONTROL_DIRNAME}/transaction/old/0": HOSTILE,
            f"{CONTROL_DIRNAME}/transaction/new/.keep": "",
        },
    )


def classic_template(root: Path, victim: Path) -> Path:
    relative = os.path.relpath(victim, root / "out" / "shop")
    return build_file_tree(
        root / "classic",
        {
            "manage.py-tpl": "# {{ project_name }}\n",
            "project_name/__init__.py-tpl": "",
            f"{CONTROL_DIRNAME}/transaction/journal.json": journal(restore(relative)),
            f"{CONTROL_DIRNAME}/transaction/old/0": HOSTILE,
        },
    )


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("copier", ()), ("django-style", ()), ("django-style", ("-x", "nothing"))],
    ids=["copier", "django-style", "django-style -x"],
)
def test_a_template_shipping_a_journal_is_never_rendered(
    runner: CliRunner, tmp_path: Path, victim: Path, kind: str, extra: tuple[str, ...]
) -> None:
    (tmp_path / "out").mkdir()
    make = copier_template if kind == "copier" else classic_template
    template = make(tmp_path, victim)
    target = tmp_path / "out" / "shop"
    result = runner.invoke(
        main, ["startproject", "shop", str(target), "--template", str(template), *extra]
    )
    if result.exit_code == 0:
        # Django-style without -x skips hidden directories, as Thibaud does.
        assert not (target / CONTROL_DIRNAME).exists()
    else:
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "thibaud-admin's own directory" in result.output
        assert not target.exists()
    # The README's own next command, run in whatever was created: the user's file holds.
    if target.exists():
        regenerated = runner.invoke(main, ["regenerate-asgi", "--project-dir", str(target)])
        assert "Traceback" not in regenerated.output
    assert victim.read_text() == "# mine\n"


def test_startproject_into_a_directory_holding_a_planted_journal(
    runner: CliRunner, tmp_path: Path, victim: Path
) -> None:
    target = tmp_path / "prepared"
    target.mkdir()
    journal_path = plant(
        target, journal(restore(os.path.relpath(victim, target))), {"old/0": HOSTILE}
    )
    for extra in ((), ("--dry-run",)):
        result = runner.invoke(main, ["startproject", "shop", str(target), *extra])
        assert_refused(result.exit_code, result.output, journal_path)
    assert victim.read_text() == "# mine\n"
    assert sorted(path.name for path in target.iterdir()) == [CONTROL_DIRNAME]
