"""The MIDDLEWARE setting: add-middleware, remove-middleware, list-middleware."""

from __future__ import annotations

from pathlib import Path

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.failures import CommandMisused
from thibaud_cli.cli.options import asgi_module_option, dry_run_option, project_dir_option
from thibaud_cli.errors import OtherKindOfMiddleware

_SHOWS_DIFF = "Print the diff of the settings"


@click.command("add-middleware", cls=ThibaudCommand)
@click.argument("spec")
@click.option("--before", metavar="SPEC", help="Put it right before this middleware.")
@click.option("--after", metavar="SPEC", help="Put it right after this middleware.")
@dry_run_option(shows=_SHOWS_DIFF)
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
@dry_run_option(shows=_SHOWS_DIFF)
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
