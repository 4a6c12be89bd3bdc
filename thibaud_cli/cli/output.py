"""What thibaud-admin's commands print: every result, as a person (or a pipe) reads it.

The library returns data and never prints; the commands hand that data here. So do
the reports that come with a failure (an update's conflicts, an unknown command).
The one-line message of a library error or a bug is made where it becomes an exit
code (:meth:`thibaud_cli.cli.app.ThibaudAdmin.invoke`).

``verbosity`` is Thibaud's ``-v``: at 0, only what the command was asked for (a
listing, a report, a dry run's diff) reaches standard output, never the confirmation
of what it did; at 1, today's output; at 2 and 3, also what was written (each file of
a new project, the diff of a change). Warnings and errors go to standard error at
every level.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING

import click

from thibaud_cli.project import installed

if TYPE_CHECKING:
    from pathlib import Path

    from thibaud_cli.checks.results import ValidationReport, VariantResult
    from thibaud_cli.checks.variants import Variant
    from thibaud_cli.errors import OtherKindOfMiddleware
    from thibaud_cli.operations.asgi_chain import EntryPointChange
    from thibaud_cli.operations.asgi_listing import ChainListing
    from thibaud_cli.operations.middleware_setting import SettingChange, SettingListing
    from thibaud_cli.operations.startproject import StartedProject
    from thibaud_cli.operations.update import UpdatePlan
    from thibaud_cli.project.dependencies import DependencyChange

ProgressCallback = Callable[[int, int, "VariantResult | None"], None]


def version_line() -> str:
    thibaud = installed.thibaud_version() or "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"thibaud-admin {installed.thibaud_cli_version()} (Thibaud {thibaud}, Python {python})"


def show_recovery(recovery: str | None) -> None:
    """What was rolled back of an earlier, killed command, before this one ran."""
    if recovery:
        click.echo(recovery, err=True)


def show_started_project(result: StartedProject, *, verbosity: int = 1) -> None:
    show_recovery(result.recovery)
    if result.dry_run:
        click.echo(f"Would create project '{result.name}' in {result.directory}:")
        for path in result.files:
            click.echo(f"  {path}")
        _show_kept(result, would=True)
        return
    if verbosity >= 2:
        # Thibaud's startproject says the same of each file, at the same verbosity.
        for path in result.files:
            click.echo(f"Creating {result.directory / path}")
    if verbosity < 1:
        return
    click.echo(
        f"Created project '{result.name}' in {result.directory} ({len(result.files)} files)."
    )
    _show_kept(result, would=False)
    if not result.named_package:
        click.echo(
            f"Note: no question of the template names its package, so '{result.name}' "
            "names only the project's directory; the template's own defaults name the "
            "rest. A template says which question the name answers with "
            "_thibaud: {name_question: QUESTION} in its copier.yml.",
            err=True,
        )
    hint = serve_hint(result)
    if hint:
        click.echo(f"Serve it: {hint}")


def _show_kept(result: StartedProject, *, would: bool) -> None:
    if result.kept:
        names = ", ".join(path.as_posix() for path in result.kept)
        if would:
            click.echo(f"Would keep your own {names}: the template's version would not be written.")
        else:
            click.echo(f"Kept your own {names}: the template's version was not written.")


def serve_hint(result: StartedProject) -> str | None:
    """The shell command that serves a new project, from where the user is: into its
    directory (unless it is this one), a virtual environment with the project and a
    server installed, then Uvicorn."""
    import shlex
    from pathlib import Path

    entry_points = result.entry_points
    if entry_points is None or entry_points.asgi is None:
        return None
    steps = []
    if result.directory.resolve() != Path.cwd().resolve():
        steps.append(f"cd {shlex.quote(str(result.directory))}")
    steps.append("python3 -m venv .venv")
    install = list(result.install)
    install += [name for name in ("Thibaud", "uvicorn") if name.lower() not in result.requirements]
    steps.append(shlex.join([".venv/bin/pip", "install", *install]))
    app_dir = [] if entry_points.root == "." else ["--app-dir", entry_points.root]
    steps.append(shlex.join([".venv/bin/uvicorn", *app_dir, f"{entry_points.asgi}:application"]))
    return " && ".join(steps)


def template_message_sink(verbosity: int) -> Callable[[str], None]:
    """Where a template's own messages (copier's ``_message_before_copy`` and the
    like) go: standard error, as copier shows them; nowhere at verbosity 0."""

    def show(message: str) -> None:
        if verbosity >= 1:
            click.echo(message, err=True)

    return show


def _show_change(
    change: EntryPointChange | SettingChange, *, dry_run: bool, done: str, verbosity: int
) -> None:
    if change.recovery:
        click.echo(change.recovery, err=True)
    notice = getattr(change, "notice", None)
    if notice:
        click.echo(notice, err=True)
    if dry_run:
        click.echo(change.diff, nl=False)
        return
    if verbosity >= 1:
        click.echo(done)
    if verbosity >= 2:
        click.echo(change.diff, nl=False)


def show_added_middleware(change: EntryPointChange, *, dry_run: bool, verbosity: int = 1) -> None:
    done = f"Added {change.chain[-1].target} to {change.relative_path}."
    _show_change(change, dry_run=dry_run, done=done, verbosity=verbosity)
    _show_dependencies(change.dependencies, dry_run=dry_run, verbosity=verbosity)


def _show_dependencies(
    dependencies: Sequence[DependencyChange], *, dry_run: bool, verbosity: int
) -> None:
    for dependency in dependencies:
        if dependency.not_added:
            # Not a failure: the middleware runs here; a fresh install would miss it.
            click.echo(
                f"Add {dependency.requirement} to the project's dependencies yourself: "
                f"{dependency.not_added}.",
                err=True,
            )
        elif not dry_run and verbosity >= 1:  # a dry run's patch shows it
            click.echo(f"Added {dependency.requirement} to the dependencies in pyproject.toml.")


def show_sent_elsewhere(error: OtherKindOfMiddleware) -> None:
    """A middleware given to the command for the other kind: the other one is run."""
    click.echo(f"{error} Doing that.", err=True)


def show_setting_change(
    change: SettingChange, *, dry_run: bool, verbosity: int = 1, added: bool
) -> None:
    done = (
        f"Added {change.middleware} to MIDDLEWARE in {change.relative_path}."
        if added
        else f"Removed {change.middleware} from MIDDLEWARE in {change.relative_path}."
    )
    _show_change(change, dry_run=dry_run, done=done, verbosity=verbosity)
    if added:
        _show_dependencies(change.dependencies, dry_run=dry_run, verbosity=verbosity)


def show_setting(listing: SettingListing) -> None:
    lines = [f"{index}. {entry}" for index, entry in enumerate(listing.entries, start=1)]
    click.echo("\n".join(lines) if lines else "No middleware in MIDDLEWARE.")
    # Where it is written, on standard error: standard output stays the list alone.
    click.echo(f"(MIDDLEWARE in {listing.relative_path}, line {listing.line})", err=True)


def show_removed_middleware(
    change: EntryPointChange, spec: str, *, dry_run: bool, verbosity: int = 1
) -> None:
    done = f"Removed {spec} from {change.relative_path}."
    _show_change(change, dry_run=dry_run, done=done, verbosity=verbosity)


def show_regenerated_asgi(change: EntryPointChange, *, dry_run: bool, verbosity: int = 1) -> None:
    done = (
        f"Regenerated {change.relative_path}."
        if change.changed
        else f"{change.relative_path} is up to date."
    )
    _show_change(change, dry_run=dry_run, done=done, verbosity=verbosity)


def show_chain(listing: ChainListing) -> None:
    from thibaud_cli.asgi.spec import describe_chain

    if listing.recovery:
        click.echo(listing.recovery, err=True)
    lines = describe_chain(listing.chain)
    click.echo("\n".join(lines) if lines else "No ASGI middleware.")
    if listing.drift:
        click.echo(f"Warning: {listing.drift}", err=True)


def update_summary(plan: UpdatePlan) -> list[str]:
    """One line per file: what the update does (or did) to it, and why a file is kept."""
    from thibaud_cli.merge.tree import Action

    verbs = {
        Action.UPDATE: ("updated", ""),
        Action.ADD: ("added", ""),
        Action.DELETE: ("removed", ""),
        Action.CONFLICT: ("CONFLICT", ""),
        Action.KEEP_DELETED: ("kept", " (you deleted it: it stays deleted)"),
        Action.KEEP_CHANGED: ("kept", " (the template dropped it, but you had changed it)"),
    }
    lines = []
    for change in plan.changes:
        verb, why = verbs[change.action]
        lines.append(f"  {verb:<9} {change.path}{why}")
    return lines


def show_update_check(plan: UpdatePlan, *, output_format: str) -> None:
    if output_format == "json":
        import json

        click.echo(json.dumps(plan.to_json(), indent=2))
    elif plan.up_to_date:
        click.echo(f"Up to date: template version {plan.current}.")
    else:
        click.echo(f"Update available: template version {plan.current} -> {plan.target}.")
        if plan.unplanned:
            click.echo(f"The files it changes are not listed: {plan.unplanned}.")
        else:
            click.echo("\n".join(update_summary(plan)))


def show_update(plan: UpdatePlan, *, dry_run: bool, verbosity: int = 1) -> None:
    """What the update did (or, in a dry run, its diff); its conflicts on standard error."""
    if plan.up_to_date and not plan.changes:
        if verbosity >= 1:
            click.echo(f"Already up to date: template version {plan.current}.")
        return
    if dry_run:
        click.echo(plan.diff(), nl=False)
    else:
        if verbosity >= 1:
            click.echo(f"Updated from template version {plan.current} to {plan.target}:")
            click.echo("\n".join(update_summary(plan)))
        if verbosity >= 2:
            click.echo(plan.diff(), nl=False)
    if plan.conflicts:
        # Only an inline update gets here: the markers are (or would be) in the files.
        click.echo(plan.describe_conflicts(with_markers=True), err=True, nl=False)


def update_conflicts_left(plan: UpdatePlan, *, dry_run: bool) -> str:
    """Why an update with conflict markers exits 1, and what to do."""
    if dry_run:
        return f"{len(plan.conflicts)} file(s) would get conflict markers."
    return (
        f"{len(plan.conflicts)} file(s) have conflicts: resolve the <<<<<<< ours / "
        ">>>>>>> template markers in them, then commit."
    )


@contextlib.contextmanager
def variant_progress(
    *, output_format: str, verbosity: int = 1
) -> Iterator[ProgressCallback | None]:
    """A line per variant as it finishes (an ``on_progress`` callback), or None.

    Progress is for a person watching a terminal, never for a CI log or a pipe (where
    the report says it all at the end), nor for someone who asked for quiet (``-v 0``).
    """
    if not (sys.stdout.isatty() and output_format == "text" and verbosity >= 1):
        yield None
        return

    def progress(done: int, total: int, variant: VariantResult | None = None) -> None:
        if variant is None:
            click.echo(f"Validating variants: {total} to run.")
            return
        from thibaud_cli.checks.reports import variant_progress_line

        click.echo(f"[{done}/{total}] {variant_progress_line(variant)}")

    yield progress


def show_variants(variants: Sequence[Variant], *, output_format: str) -> None:
    """``--list-variants``: their names, or a GitHub Actions ``strategy.matrix``."""
    from thibaud_cli.checks.variants import github_matrix, matrix_json

    if output_format == "github-matrix":
        click.echo(github_matrix(list(variants)))
    elif output_format == "json":
        click.echo(matrix_json(list(variants)))
    else:
        click.echo("\n".join(variant.name for variant in variants))


def show_validation(report: ValidationReport, *, output_format: str, verbosity: int = 1) -> None:
    """The report, at every verbosity (it is what the command is for); from 2, every
    check is listed, not only the failures."""
    from thibaud_cli.checks.reports import json_report, junit_xml, text_report

    if output_format == "json":
        click.echo(json_report(report), nl=False)
    elif output_format == "junit":
        click.echo(junit_xml(report), nl=False)
    else:
        click.echo(text_report(report, verbose=verbosity >= 2), nl=False)


def main_help_with_own_commands(
    thibaud_help: str, own_commands: Collection[str], *, notice: Callable[[str], str]
) -> str:
    """Thibaud's ``help`` text with a section for thibaud-admin's commands, first.

    Thibaud lists its commands grouped by app, each group headed ``[app]`` (styled
    by *notice*) and indented four spaces; ours is one more such group.
    """
    lines = thibaud_help.split("\n")
    section = ["", notice("[thibaud-admin]"), *(f"    {name}" for name in sorted(own_commands))]
    heading = "Available subcommands:"
    at = lines.index(heading) + 1 if heading in lines else len(lines)
    return "\n".join([*lines[:at], *section, *lines[at:]])


def unknown_command(name: str, suggestion: str | None, *, prog_name: str) -> str:
    """Thibaud's message for a command that does not exist, word for word."""
    did_you_mean = f". Did you mean {suggestion}?" if suggestion else ""
    return f"Unknown command: {name!r}{did_you_mean}\nType '{prog_name} help' for usage.\n"


def script_taken_back(script: Path, restore: str | None) -> str:
    """The warning shown when Thibaud's own ``thibaud-admin`` replaced ours, with the
    command that reinstalls thibaud-cli from where it came (*restore*), if known."""
    how = (
        f"Restore it: {restore}"
        if restore
        else "Restore it by reinstalling thibaud-cli from where you installed it "
        "(a checkout or its git URL) with --force-reinstall --no-deps."
    )
    return (
        f"Note: {script} is Thibaud's own script again (reinstalling or upgrading Thibaud "
        "replaces it), so 'thibaud-admin startproject', 'add-asgi-middleware' and the other "
        "thibaud-cli commands are not available under that name; 'thibaud-cli' and "
        f"'python -m thibaud_cli' still are. {how}"
    )


#: Part of ``--help``: why both names exist, and which one to type in a project's venv.
SCRIPT_NAMES_NOTE = (
    "thibaud-cli and thibaud-admin are the same program. A project's own virtual "
    "environment has Thibaud's thibaud-admin, and reinstalling or upgrading Thibaud "
    "takes the name back wherever both are installed: type thibaud-cli for these "
    "commands (install it with pipx or 'uv tool install', outside the project's venv), "
    "'python manage.py' for Thibaud's. thibaud-cli says when the name was taken back, "
    "with the command that restores it."
)
