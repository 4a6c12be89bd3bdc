"""The ASGI middleware chain: add-, remove-, list-asgi-middleware and regenerate-asgi."""

from __future__ import annotations

from pathlib import Path

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.options import dry_run_option, project_dir_option, trust_option

_SHOWS_DIFF = "Print the diff of asgi.py"


@click.command("add-asgi-middleware", cls=ThibaudCommand)
@click.argument("spec")
@click.option(
    "--option",
    "-o",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A keyword argument: a Python literal, or @pkg.module.name for an object.",
)
@dry_run_option(shows=_SHOWS_DIFF)
@click.option("--no-verify", is_flag=True, help="Do not check that the middleware can be imported.")
@click.option(
    "--allow-duplicate", is_flag=True, help="Wrap again a middleware already in the chain."
)
@click.option(
    "--no-dependency",
    is_flag=True,
    help="Do not add the middleware's package to pyproject.toml's dependencies.",
)
@project_dir_option()
@trust_option()
def add_asgi_middleware(
    spec: str,
    options: tuple[str, ...],
    dry_run: bool,
    no_verify: bool,
    allow_duplicate: bool,
    no_dependency: bool,
    project_dir: Path,
    trust: bool,
) -> None:
    """Wrap the project's ASGI application in middleware SPEC (pkg.mod.Name or pkg.mod:Name).

    The last middleware added is the outermost. Your own edits to asgi.py are kept.
    The package that provides it (found in the project's interpreter) is added to
    pyproject.toml's dependencies, so that a fresh install of the project starts.
    """
    from thibaud_cli.operations.asgi_chain import add_asgi_middleware as add

    change = add(
        project_dir,
        spec,
        options=options,
        dry_run=dry_run,
        verify=not no_verify,
        allow_duplicate=allow_duplicate,
        trust=trust,
        declare_dependency=not no_dependency,
    )
    output.show_added_middleware(change, dry_run=dry_run, verbosity=common.current().verbosity)


@click.command("remove-asgi-middleware", cls=ThibaudCommand)
@click.argument("spec")
@dry_run_option(shows=_SHOWS_DIFF)
@project_dir_option()
@trust_option()
def remove_asgi_middleware(spec: str, dry_run: bool, project_dir: Path, trust: bool) -> None:
    """Take middleware SPEC out of the project's ASGI application."""
    from thibaud_cli.operations.asgi_chain import remove_asgi_middleware as remove

    change = remove(project_dir, spec, dry_run=dry_run, trust=trust)
    verbosity = common.current().verbosity
    output.show_removed_middleware(change, spec, dry_run=dry_run, verbosity=verbosity)


@click.command("list-asgi-middleware", cls=ThibaudCommand)
@project_dir_option()
@trust_option()
def list_asgi_middleware(project_dir: Path, trust: bool) -> None:
    """List the ASGI middleware chain, innermost first, and say if asgi.py no longer applies it."""
    from thibaud_cli.operations.asgi_listing import list_asgi_middleware as list_chain

    output.show_chain(list_chain(project_dir, trust=trust))


@click.command("regenerate-asgi", cls=ThibaudCommand)
@dry_run_option(shows=_SHOWS_DIFF)
@project_dir_option()
@trust_option()
def regenerate_asgi(dry_run: bool, project_dir: Path, trust: bool) -> None:
    """Render asgi.py again from the template and the recorded answers, keeping your edits."""
    from thibaud_cli.operations.asgi_chain import regenerate_asgi as regenerate

    change = regenerate(project_dir, dry_run=dry_run, trust=trust)
    output.show_regenerated_asgi(change, dry_run=dry_run, verbosity=common.current().verbosity)
