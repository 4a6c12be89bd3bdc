"""The middleware commands: the ASGI chain (add-, remove-, list-asgi-middleware,
regenerate-asgi) and the MIDDLEWARE setting (add-, remove-, list-middleware).

A middleware given to the command for the other kind is handed to the right one,
with a line that says so."""

from __future__ import annotations

from pathlib import Path

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.failures import CommandMisused
from thibaud_cli.cli.options import (
    asgi_module_option,
    dry_run_option,
    project_dir_option,
    trust_option,
)
from thibaud_cli.errors import OtherKindOfMiddleware

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
@asgi_module_option()
@trust_option()
def add_asgi_middleware(
    spec: str,
    options: tuple[str, ...],
    dry_run: bool,
    no_verify: bool,
    allow_duplicate: bool,
    no_dependency: bool,
    project_dir: Path,
    asgi_module: str | None,
    trust: bool,
) -> None:
    """Wrap the project's ASGI application in middleware SPEC (pkg.mod.Name or pkg.mod:Name).

    The last middleware added is the outermost. Your own edits to asgi.py are kept.
    The package that provides it (found in the project's interpreter) is added to
    pyproject.toml's dependencies, so that a fresh install of the project starts.
    A Thibaud middleware (one that takes get_response) goes in MIDDLEWARE instead,
    as add-middleware puts it there.
    """
    from thibaud_cli.operations.asgi_chain import add_asgi_middleware as add

    verbosity = common.current().verbosity
    try:
        change = add(
            project_dir,
            spec,
            options=options,
            dry_run=dry_run,
            verify=not no_verify,
            allow_duplicate=allow_duplicate,
            trust=trust,
            declare_dependency=not no_dependency,
            asgi_module=asgi_module,
        )
    except OtherKindOfMiddleware as other:
        if options:
            raise CommandMisused(f"{other} A MIDDLEWARE entry takes no --option.") from None
        from thibaud_cli.operations.middleware_setting import add_middleware

        output.show_sent_elsewhere(other)
        added = add_middleware(
            project_dir,
            spec,
            dry_run=dry_run,
            declare_dependency=not no_dependency,
            asgi_module=asgi_module,
        )
        output.show_setting_change(added, dry_run=dry_run, verbosity=verbosity, added=True)
        return
    output.show_added_middleware(change, dry_run=dry_run, verbosity=verbosity)


@click.command("remove-asgi-middleware", cls=ThibaudCommand)
@click.argument("spec")
@dry_run_option(shows=_SHOWS_DIFF)
@project_dir_option()
@asgi_module_option()
@trust_option()
def remove_asgi_middleware(
    spec: str, dry_run: bool, project_dir: Path, asgi_module: str | None, trust: bool
) -> None:
    """Take middleware SPEC out of the project's ASGI application."""
    from thibaud_cli.operations.asgi_chain import remove_asgi_middleware as remove

    verbosity = common.current().verbosity
    try:
        change = remove(project_dir, spec, dry_run=dry_run, trust=trust, asgi_module=asgi_module)
    except OtherKindOfMiddleware as other:
        from thibaud_cli.operations.middleware_setting import remove_middleware

        output.show_sent_elsewhere(other)
        removed = remove_middleware(project_dir, spec, dry_run=dry_run, asgi_module=asgi_module)
        output.show_setting_change(removed, dry_run=dry_run, verbosity=verbosity, added=False)
        return
    output.show_removed_middleware(change, spec, dry_run=dry_run, verbosity=verbosity)


@click.command("list-asgi-middleware", cls=ThibaudCommand)
@project_dir_option()
@asgi_module_option()
@trust_option()
def list_asgi_middleware(project_dir: Path, asgi_module: str | None, trust: bool) -> None:
    """List the ASGI middleware chain, innermost first, and say if asgi.py no longer applies it."""
    from thibaud_cli.operations.asgi_listing import list_asgi_middleware as list_chain

    output.show_chain(list_chain(project_dir, trust=trust, asgi_module=asgi_module))


@click.command("regenerate-asgi", cls=ThibaudCommand)
@dry_run_option(shows=_SHOWS_DIFF)
@project_dir_option()
@asgi_module_option()
@trust_option()
def regenerate_asgi(dry_run: bool, project_dir: Path, asgi_module: str | None, trust: bool) -> None:
    """Render asgi.py again from the template and the recorded answers, keeping your edits.

    In a project whose chain is edited into asgi.py (no template with hooks), put back
    the recorded chain's wraps that were deleted or changed by hand.
    """
    from thibaud_cli.operations.asgi_chain import regenerate_asgi as regenerate

    change = regenerate(project_dir, dry_run=dry_run, trust=trust, asgi_module=asgi_module)
    output.show_regenerated_asgi(change, dry_run=dry_run, verbosity=common.current().verbosity)


_SHOWS_SETTING_DIFF = "Print the diff of the settings"


@click.command("add-middleware", cls=ThibaudCommand)
@click.argument("spec")
@click.option("--before", metavar="SPEC", help="Put it right before this middleware.")
@click.option("--after", metavar="SPEC", help="Put it right after this middleware.")
@dry_run_option(shows=_SHOWS_SETTING_DIFF)
@click.option("--no-verify", is_flag=True, help="Do not check that the middleware can be imported.")
@click.option(
    "--no-dependency",
    is_flag=True,
    help="Do not add the middleware's package to pyproject.toml's dependencies.",
)
@project_dir_option()
@asgi_module_option()
def add_middleware(
    spec: str,
    before: str | None,
    after: str | None,
    dry_run: bool,
    no_verify: bool,
    no_dependency: bool,
    project_dir: Path,
    asgi_module: str | None,
) -> None:
    """Put Thibaud middleware SPEC (one that takes get_response) in the MIDDLEWARE setting.

    By default where the framework's documented order puts it (security first, GZip
    before anything that reads or changes the body, others after the framework's own);
    --before or --after names another place. Comments in the setting stay. An ASGI
    middleware wraps application instead, as add-asgi-middleware does.
    """
    from thibaud_cli.operations.middleware_setting import add_middleware as add

    verbosity = common.current().verbosity
    try:
        change = add(
            project_dir,
            spec,
            before=before,
            after=after,
            dry_run=dry_run,
            verify=not no_verify,
            declare_dependency=not no_dependency,
            asgi_module=asgi_module,
        )
    except OtherKindOfMiddleware as other:
        if before is not None or after is not None:
            raise CommandMisused(f"{other} The chain takes no --before or --after.") from None
        from thibaud_cli.operations.asgi_chain import add_asgi_middleware

        output.show_sent_elsewhere(other)
        wrapped = add_asgi_middleware(
            project_dir,
            spec,
            dry_run=dry_run,
            declare_dependency=not no_dependency,
            asgi_module=asgi_module,
        )
        output.show_added_middleware(wrapped, dry_run=dry_run, verbosity=verbosity)
        return
    output.show_setting_change(change, dry_run=dry_run, verbosity=verbosity, added=True)


@click.command("remove-middleware", cls=ThibaudCommand)
@click.argument("spec")
@dry_run_option(shows=_SHOWS_SETTING_DIFF)
@project_dir_option()
@asgi_module_option()
def remove_middleware(spec: str, dry_run: bool, project_dir: Path, asgi_module: str | None) -> None:
    """Take SPEC out of the MIDDLEWARE setting (or out of the ASGI chain, where it is)."""
    from thibaud_cli.operations.middleware_setting import remove_middleware as remove

    verbosity = common.current().verbosity
    try:
        change = remove(project_dir, spec, dry_run=dry_run, asgi_module=asgi_module)
    except OtherKindOfMiddleware as other:
        from thibaud_cli.operations.asgi_chain import remove_asgi_middleware

        output.show_sent_elsewhere(other)
        removed = remove_asgi_middleware(
            project_dir, spec, dry_run=dry_run, asgi_module=asgi_module
        )
        output.show_removed_middleware(removed, spec, dry_run=dry_run, verbosity=verbosity)
        return
    output.show_setting_change(change, dry_run=dry_run, verbosity=verbosity, added=False)


@click.command("list-middleware", cls=ThibaudCommand)
@project_dir_option()
@asgi_module_option()
def list_middleware(project_dir: Path, asgi_module: str | None) -> None:
    """List the MIDDLEWARE setting in order, as the settings write it."""
    from thibaud_cli.operations.middleware_setting import list_middleware as listing

    output.show_setting(listing(project_dir, asgi_module=asgi_module))
