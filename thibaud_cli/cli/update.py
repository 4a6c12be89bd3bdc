"""``thibaud-admin update``: take in a newer version of the project's template."""

from __future__ import annotations

from pathlib import Path

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.failures import CommandFailed, CommandMisused
from thibaud_cli.cli.options import (
    data_option,
    dry_run_option,
    format_option,
    project_dir_option,
    skip_tasks_option,
    trust_option,
)

#: ``update --check``: an update is available. Not 2, which is a usage error, so that CI
#: can tell a drifted project from a broken command line.
UPDATE_AVAILABLE_EXIT_CODE = 3


def _refuse_mixed_flags(
    *, check: bool, to: str | None, data_pairs: tuple[str, ...], dry_run: bool, output_format: str
) -> None:
    # --check reports and exits; the options of an actual update mean nothing to it.
    if check and (to or data_pairs or dry_run):
        raise CommandMisused("--check takes no --to, --data or --dry-run.")
    if not check and output_format != "text":
        raise CommandMisused("--format is for --check only.")


@click.command("update", cls=ThibaudCommand)
@click.option(
    "--to",
    "--vcs-ref",
    "to",
    metavar="VERSION|REF",
    help="The template version to update to: a bundled version, or a git tag or commit "
    "(default: the newest).",
)
@data_option(others="new questions otherwise take their defaults")
@dry_run_option(shows="Print the diff of what would change")
@click.option(
    "--conflict",
    type=click.Choice(["refuse", "inline"]),
    default="refuse",
    show_default=True,
    help="refuse: write nothing if any file conflicts. inline: write git-style conflict "
    "markers into the conflicting files and every clean file.",
)
@click.option(
    "--allow-dirty", is_flag=True, help="Update even if the git working tree has changes."
)
@click.option(
    "--check",
    is_flag=True,
    help="Only check: exit 0 if the project is at the newest template version, "
    f"{UPDATE_AVAILABLE_EXIT_CODE} if an update is available, 1 on error, 2 on a usage error.",
)
@format_option(of="the --check report")
@trust_option()
@skip_tasks_option
@project_dir_option()
@click.pass_context
def update(
    ctx: click.Context,
    to: str | None,
    data_pairs: tuple[str, ...],
    dry_run: bool,
    conflict: str,
    allow_dirty: bool,
    check: bool,
    output_format: str,
    trust: bool,
    skip_tasks: bool,
    project_dir: Path,
) -> None:
    """Bring the project up to a newer version of its template, keeping your edits.

    Every file is merged three ways: the project as its recorded template version
    rendered it, the files on disk, and the newer version's render.
    """
    _refuse_mixed_flags(
        check=check, to=to, data_pairs=data_pairs, dry_run=dry_run, output_format=output_format
    )
    from thibaud_cli.operations.update import check_for_update, update_project
    from thibaud_cli.template.data import parse_data

    if check:
        plan = check_for_update(project_dir, trust=trust)
        output.show_update_check(plan, output_format=output_format)
        ctx.exit(0 if plan.up_to_date else UPDATE_AVAILABLE_EXIT_CODE)
    result = update_project(
        project_dir,
        to=to,
        data=parse_data(data_pairs),
        dry_run=dry_run,
        conflict="inline" if conflict == "inline" else "refuse",
        allow_dirty=allow_dirty,
        trust=trust,
        skip_tasks=skip_tasks,
        on_message=output.template_message_sink(common.current(ctx).verbosity),
    )
    output.show_recovery(result.recovery)
    output.show_update(result.plan, dry_run=dry_run, verbosity=common.current(ctx).verbosity)
    if result.plan.conflicts:
        raise CommandFailed(output.update_conflicts_left(result.plan, dry_run=dry_run))
