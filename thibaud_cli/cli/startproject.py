"""``thibaud-admin startproject``."""

from __future__ import annotations

from pathlib import Path

import click

from thibaud_cli.cli import output
from thibaud_cli.cli.options import data_option, dry_run_option, trust_option


@click.command()
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--template",
    metavar="SRC",
    help="A local copier template directory or a git URL (default: the bundled template).",
)
@data_option(others="the rest take their defaults")
@dry_run_option(shows="List the files that would be written")
@trust_option()
def startproject(
    name: str,
    directory: Path | None,
    template: str | None,
    data_pairs: tuple[str, ...],
    dry_run: bool,
    trust: bool,
) -> None:
    """Create a Thibaud project NAME in ./NAME, or in DIRECTORY."""
    from thibaud_cli.operations.startproject import start_project
    from thibaud_cli.template.data import parse_data

    result = start_project(
        name,
        directory,
        template=template,
        data=parse_data(data_pairs),
        dry_run=dry_run,
        trust=trust,
    )
    output.show_started_project(result)
