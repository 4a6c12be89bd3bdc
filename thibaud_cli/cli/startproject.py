"""``thibaud-admin startproject``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.options import (
    data_option,
    dry_run_option,
    skip_tasks_option,
    trust_option,
    vcs_ref_option,
)


@click.command(cls=ThibaudCommand)
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--template",
    metavar="SRC",
    help="A copier template (directory or git URL), or a Django-style directory, archive or "
    "archive URL (default: the bundled template).",
)
@data_option(
    others="on a terminal the others are asked, unless --defaults; otherwise they take "
    "their defaults"
)
@click.option(
    "--defaults",
    is_flag=True,
    help="Ask no questions, even on a terminal: the unanswered ones take their defaults.",
)
@dry_run_option(shows="List the files that would be written")
@trust_option()
@vcs_ref_option
@skip_tasks_option
# Thibaud's own startproject options, for Django-style templates.
@click.option(
    "--extension",
    "-e",
    "extensions",
    multiple=True,
    metavar="EXT",
    help="Django-style template: also render files with these extensions (default: py).",
)
@click.option(
    "--name",
    "-n",
    "files",
    multiple=True,
    metavar="FILE",
    help="Django-style template: also render the files with these names.",
)
@click.option(
    "--exclude",
    "-x",
    multiple=True,
    is_flag=False,
    flag_value="",
    metavar="DIR",
    help="Django-style template: skip these directories besides .git and __pycache__ "
    "(given at all, hidden directories are no longer skipped).",
)
def startproject(
    name: str,
    directory: Path | None,
    template: str | None,
    data_pairs: tuple[str, ...],
    defaults: bool,
    dry_run: bool,
    trust: bool,
    extensions: tuple[str, ...],
    files: tuple[str, ...],
    exclude: tuple[str, ...],
    vcs_ref: str | None,
    skip_tasks: bool,
) -> None:
    """Create a Thibaud project NAME in ./NAME, or in DIRECTORY.

    --template takes a copier template (a directory or git URL) or, as Thibaud's own
    startproject does, a Django-style one: a directory without copier.yml, an archive
    (.zip, .tar.gz, .tgz, .tar.bz2, .tar.xz) or an http(s) URL of one.

    On a terminal, the template's questions not answered with --data are asked.
    """
    from thibaud_cli.operations.startproject import start_project
    from thibaud_cli.template.classic.render import ClassicOptions
    from thibaud_cli.template.data import parse_data

    options = common.current()
    classic = ClassicOptions(extensions, files, exclude or None)
    result = start_project(
        name,
        directory,
        template=template,
        data=parse_data(data_pairs),
        dry_run=dry_run,
        trust=trust,
        interactive=not defaults and _on_a_terminal(),
        vcs_ref=vcs_ref,
        skip_tasks=skip_tasks,
        python_path=options.python_path,
        on_message=output.template_message_sink(options.verbosity),
        # Only when given: copier templates refuse them.
        **({"classic_options": classic} if classic.given else {}),
    )
    output.show_started_project(result, verbosity=options.verbosity)


def _on_a_terminal() -> bool:
    """Whether a person can answer questions: standard input and output are terminals.

    Either one redirected (CI, a pipe, a closed standard input) means nobody is there
    to answer, or to see the question.
    """
    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))
