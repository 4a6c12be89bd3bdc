"""``thibaud-admin --help`` stays fast: the package imports nothing heavy up front,
and its public surface is still all there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import thibaud_cli

#: What start-up must not import: each costs tens of milliseconds or more.
HEAVY = (
    "copier",
    "jinja2",
    "thibaud",
    "yaml",
    "pydantic",
    "questionary",
    "importlib.metadata",
    "libcst",
)


def _modules_after(statement: str) -> set[str]:
    # The list goes last, on stderr: --help writes to stdout.
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(completed.stderr.splitlines()[-1]))


@pytest.mark.parametrize("statement", ["import thibaud_cli", "import thibaud_cli.cli"])
def test_start_up_imports_nothing_heavy(statement: str) -> None:
    loaded = _modules_after(statement)
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_help_imports_nothing_heavy() -> None:
    statement = (
        "from thibaud_cli.cli import main\n"
        "try:\n    main(['--help'], prog_name='thibaud-admin')\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(statement)
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_public_surface_resolves_to_the_library_objects() -> None:
    from thibaud_cli import errors
    from thibaud_cli.checks import results as checks
    from thibaud_cli.operations import asgi_chain as entrypoint
    from thibaud_cli.operations import asgi_listing as listing
    from thibaud_cli.operations import startproject as project
    from thibaud_cli.operations import update
    from thibaud_cli.operations import validate as validation

    homes = {
        **vars(checks),
        **vars(entrypoint),
        **vars(listing),
        **vars(errors),
        **vars(project),
        **vars(update),
        **vars(validation),
    }
    for name in thibaud_cli.__all__:
        assert getattr(thibaud_cli, name) is homes[name]
    assert set(thibaud_cli.__all__) <= set(dir(thibaud_cli))


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'start_projects'"):
        _ = thibaud_cli.start_projects  # type: ignore[attr-defined]


def test_startproject_into_a_new_directory_imports_only_what_it_uses(tmp_path: Path) -> None:
    """The common case (the bundled template, a new directory) leaves out the modules
    of the other cases: the transaction into an existing directory, Django-style
    archives (tarfile)."""
    target = tmp_path / "mysite"
    statement = (
        "from thibaud_cli.cli import main\n"
        f"try:\n    main(['startproject', 'mysite', {str(target)!r}], prog_name='thibaud-admin')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    loaded = _modules_after(statement)
    assert (target / "manage.py").is_file()
    unused = (
        "thibaud_cli.fs.transaction",
        "thibaud_cli.fs.journal",
        "thibaud_cli.project.worktree",
        "thibaud_cli.template.classic.archive",
        "tarfile",
    )
    assert sorted(name for name in unused if name in loaded) == []


def _run_in_a_process(command: list[str]) -> set[str]:
    """The modules loaded by *command* run through the command line, which must succeed."""
    statement = (
        "from thibaud_cli.cli import main\n"
        f"try:\n    main({command!r}, prog_name='thibaud-admin')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    return _modules_after(statement)


def test_the_middleware_commands_leave_libcst_out_where_the_template_places_the_chain(
    project: Path,
) -> None:
    """A project of a template with the middleware hooks has its ``asgi.py`` merged from
    the template's renders: libcst, which only the syntax-tree edit needs, stays out."""
    middleware = "asgi_correlation_id:CorrelationIdMiddleware"
    where = ["--project-dir", str(project)]
    asgi = project / "mysite" / "asgi.py"
    added = _run_in_a_process(["add-asgi-middleware", middleware, "--no-verify", *where])
    assert "CorrelationIdMiddleware" in asgi.read_text("utf-8")
    listed = _run_in_a_process(["list-asgi-middleware", *where])
    removed = _run_in_a_process(["remove-asgi-middleware", middleware, *where])
    assert "CorrelationIdMiddleware" not in asgi.read_text("utf-8")
    assert [("libcst" in loaded) for loaded in (added, listed, removed)] == [False] * 3
