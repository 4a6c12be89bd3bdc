"""The ``thibaud-admin`` command line: a thin click layer over the library.

Each command parses its arguments, calls one library function and prints the
result. Library errors become messages and exit codes in one place
(:meth:`ThibaudAdmin.invoke`). Commands that are not ours go to Thibaud.
Nothing heavy (copier, jinja2, thibaud) is imported here, so ``--help`` and
shell completion stay fast.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from thibaud_cli.cli.template_options import (
    list_variants_option,
    python_option,
    skip_tasks_option,
    variant_option,
    vcs_ref_option,
)
from thibaud_cli.errors import MergeConflictError, ThibaudCliError
from thibaud_cli.project import installed

ISSUES_URL = "https://github.com/thibaud-cli/thibaud-cli/issues"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class CommandFailed(click.ClickException):
    """The operation failed: one line, exit code 1."""

    exit_code = 1


class CommandMisused(click.ClickException):
    """The command line asked for something invalid: one line, exit code 2.

    Unlike click.UsageError it prints no usage block: the message says what to do.
    """

    exit_code = 2


def _failure(message: str, exit_code: int) -> click.ClickException:
    return CommandMisused(message) if exit_code == 2 else CommandFailed(message)


def _internal_error(error: BaseException) -> NoReturn:
    # Imported here, not at the top: only a bug needs them, and --help should not pay.
    import tempfile
    import traceback

    where = ""
    try:
        # A private file of its own: never a fixed name another user could plant.
        descriptor, log = tempfile.mkstemp(prefix="thibaud-admin-error-", suffix=".log")
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write("".join(traceback.format_exception(error)))
        where = f" The details are in {log}."
    except OSError:
        pass
    raise CommandFailed(
        f"thibaud-admin hit an unexpected internal error ({type(error).__name__}: {error})."
        f"{where} Please report it at {ISSUES_URL} with the command you ran."
    ) from error


class ThibaudAdmin(click.Group):
    """Our commands, and every other one forwarded to Thibaud's management utility."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _forwarded_command(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MergeConflictError as error:
            click.echo(error.conflicts, err=True, nl=False)
            raise _failure(str(error), error.exit_code) from error
        except ThibaudCliError as error:
            raise _failure(str(error), error.exit_code) from error
        except OSError as error:
            # The file system said no (disk full, permission...): not a bug of ours.
            # Writes are atomic, and an interrupted middleware change is repaired by
            # the next command, so the project is consistent either way.
            target = f": {error.filename}" if error.filename else ""
            reason = error.strerror or str(error).splitlines()[0]
            raise CommandFailed(f"{reason}{target}.") from error
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - the one place that reports bugs
            _internal_error(error)


def _forwarded_command(name: str) -> click.Command:
    @click.pass_context
    def forward(ctx: click.Context) -> None:
        from thibaud_cli.cli.forwarding import forward_to_thibaud

        try:
            code = forward_to_thibaud([name, *ctx.args])
        except Exception:  # noqa: BLE001 - the command's own error, shown as Thibaud does
            import traceback

            traceback.print_exc()
            code = 1
        ctx.exit(code)

    return click.Command(
        name,
        callback=forward,
        help=f"Thibaud's '{name}' command.",
        context_settings={
            "ignore_unknown_options": True,
            "allow_extra_args": True,
            # --help belongs to Thibaud's command, not to this stand-in.
            "help_option_names": [],
        },
    )


def _version_message() -> str:
    thibaud = installed.thibaud_version() or "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"thibaud-admin {installed.thibaud_cli_version()} (Thibaud {thibaud}, Python {python})"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit()


trust_option = click.option(
    "--trust",
    is_flag=True,
    help="Allow the project's template to use Jinja extensions when asgi.py is rendered again.",
)

project_dir_option = click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project's root directory (where .thibaud-answers.yml is).",
)


@click.group(
    cls=ThibaudAdmin,
    context_settings=CONTEXT_SETTINGS,
    epilog=(
        "Every Thibaud management command works too (startapp, runserver, check, migrate, "
        "shell, ...): 'thibaud-admin help' lists them. Shell completion: "
        'eval "$(_THIBAUD_ADMIN_COMPLETE=bash_source thibaud-admin)" (zsh_source, fish_source).'
    ),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show thibaud-admin's and Thibaud's versions and exit.",
)
def main() -> None:
    """Create Thibaud projects and manage their ASGI entry point."""


@main.command()
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--template",
    metavar="SRC",
    help="A local copier template directory or a git URL (default: the bundled template).",
)
@click.option(
    "--data",
    "data_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a template question (repeatable); the rest take their defaults.",
)
@click.option(
    "--dry-run", is_flag=True, help="List the files that would be written; write nothing."
)
@click.option(
    "--trust",
    is_flag=True,
    help="Allow a template that runs code (tasks, migrations, Jinja extensions).",
)
@vcs_ref_option
@skip_tasks_option
def startproject(
    name: str,
    directory: Path | None,
    template: str | None,
    data_pairs: tuple[str, ...],
    dry_run: bool,
    trust: bool,
    vcs_ref: str | None,
    skip_tasks: bool,
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
        vcs_ref=vcs_ref,
        skip_tasks=skip_tasks,
    )
    if result.dry_run:
        click.echo(f"Would create project '{result.name}' in {result.directory}:")
        for path in result.files:
            click.echo(f"  {path}")
        return
    click.echo(
        f"Created project '{result.name}' in {result.directory} ({len(result.files)} files)."
    )
    if result.entry_points.asgi is not None:
        where = result.entry_points.root_dir(result.directory)
        asgi = result.entry_points.asgi
        click.echo(f"Serve it: cd {where} && uvicorn {asgi}:application")


def _report_change(change: Any, *, dry_run: bool, done: str) -> None:
    if change.recovery:
        click.echo(change.recovery, err=True)
    if dry_run:
        click.echo(change.diff, nl=False)
        return
    click.echo(done)


@main.command("add-asgi-middleware")
@click.argument("spec")
@click.option(
    "--option",
    "-o",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A keyword argument: a Python literal, or @pkg.module.name for an object.",
)
@click.option("--dry-run", is_flag=True, help="Print the diff of asgi.py; write nothing.")
@click.option("--no-verify", is_flag=True, help="Do not check that the middleware can be imported.")
@click.option(
    "--allow-duplicate", is_flag=True, help="Wrap again a middleware already in the chain."
)
@project_dir_option
@trust_option
def add_asgi_middleware(
    spec: str,
    options: tuple[str, ...],
    dry_run: bool,
    no_verify: bool,
    allow_duplicate: bool,
    project_dir: Path,
    trust: bool,
) -> None:
    """Wrap the project's ASGI application in middleware SPEC (pkg.mod.Name or pkg.mod:Name).

    The last middleware added is the outermost. Your own edits to asgi.py are kept.
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
    )
    _report_change(
        change, dry_run=dry_run, done=f"Added {change.chain[-1].target} to {change.relative_path}."
    )


@main.command("remove-asgi-middleware")
@click.argument("spec")
@click.option("--dry-run", is_flag=True, help="Print the diff of asgi.py; write nothing.")
@project_dir_option
@trust_option
def remove_asgi_middleware(spec: str, dry_run: bool, project_dir: Path, trust: bool) -> None:
    """Take middleware SPEC out of the project's ASGI application."""
    from thibaud_cli.operations.asgi_chain import remove_asgi_middleware as remove

    change = remove(project_dir, spec, dry_run=dry_run, trust=trust)
    _report_change(change, dry_run=dry_run, done=f"Removed {spec} from {change.relative_path}.")


@main.command("list-asgi-middleware")
@project_dir_option
@trust_option
def list_asgi_middleware(project_dir: Path, trust: bool) -> None:
    """List the ASGI middleware chain, innermost first."""
    from thibaud_cli.asgi.spec import describe_chain
    from thibaud_cli.operations.asgi_chain import list_asgi_middleware as list_chain

    listing = list_chain(project_dir, trust=trust)
    if listing.recovery:
        click.echo(listing.recovery, err=True)
    lines = describe_chain(listing.chain)
    click.echo("\n".join(lines) if lines else "No ASGI middleware.")


@main.command("regenerate-asgi")
@click.option("--dry-run", is_flag=True, help="Print the diff of asgi.py; write nothing.")
@project_dir_option
@trust_option
def regenerate_asgi(dry_run: bool, project_dir: Path, trust: bool) -> None:
    """Render asgi.py again from the template and the recorded answers, keeping your edits."""
    from thibaud_cli.operations.asgi_chain import regenerate_asgi as regenerate

    change = regenerate(project_dir, dry_run=dry_run, trust=trust)
    done = (
        f"Regenerated {change.relative_path}."
        if change.changed
        else f"{change.relative_path} is up to date."
    )
    _report_change(change, dry_run=dry_run, done=done)


@main.command("update")
@click.option(
    "--to",
    "--vcs-ref",
    "to",
    metavar="VERSION|REF",
    help="The template version to update to: a bundled version, or a git tag or commit "
    "(default: the newest).",
)
@click.option(
    "--data",
    "data_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a question (repeatable); new questions otherwise take their defaults.",
)
@click.option("--dry-run", is_flag=True, help="Print the diff of what would change; write nothing.")
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
    help="Only check: exit 0 if the project is at the newest template version, 2 if an "
    "update is available, 1 on error.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="The report format of --check.",
)
@click.option("--trust", is_flag=True, help="Allow a template that runs code.")
@project_dir_option
@skip_tasks_option
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
    project_dir: Path,
    skip_tasks: bool,
) -> None:
    """Bring the project up to a newer version of its template, keeping your edits.

    Every file is merged three ways: the project as its recorded template version
    rendered it, the files on disk, and the newer version's render.
    """
    from thibaud_cli.operations.update import check_for_update, update_project

    if check:
        if to or data_pairs or dry_run:
            raise CommandMisused("--check takes no --to, --data or --dry-run.")
        plan = check_for_update(project_dir, trust=trust)
        if output_format == "json":
            import json

            click.echo(json.dumps(plan.to_json(), indent=2))
        elif plan.up_to_date:
            click.echo(f"Up to date: template version {plan.current}.")
        else:
            click.echo(f"Update available: template version {plan.current} -> {plan.target}.")
            click.echo("\n".join(plan.summary()))
        ctx.exit(0 if plan.up_to_date else 2)
    if output_format != "text":
        raise CommandMisused("--format is for --check only.")
    from thibaud_cli.template.data import parse_data

    result = update_project(
        project_dir,
        to=to,
        data=parse_data(data_pairs),
        dry_run=dry_run,
        conflict="inline" if conflict == "inline" else "refuse",
        allow_dirty=allow_dirty,
        trust=trust,
        skip_tasks=skip_tasks,
    )
    plan = result.plan
    if plan.up_to_date and not plan.changes:
        click.echo(f"Already up to date: template version {plan.current}.")
        return
    if dry_run:
        click.echo(plan.diff(), nl=False)
    else:
        click.echo(f"Updated from template version {plan.current} to {plan.target}:")
        click.echo("\n".join(plan.summary()))
    if plan.conflicts:
        click.echo(plan.describe_conflicts(), err=True, nl=False)
        if dry_run:
            raise CommandFailed(f"{len(plan.conflicts)} file(s) would get conflict markers.")
        raise CommandFailed(
            f"{len(plan.conflicts)} file(s) have conflicts: resolve the <<<<<<< ours / "
            ">>>>>>> template markers in them, then commit."
        )


def _report_path(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    # Refused before the run, not after minutes of validation.
    if value is not None and not value.absolute().parent.is_dir():
        raise click.BadParameter(
            f"the directory '{value.absolute().parent}' does not exist: create it first."
        )
    return value


@main.command("validate-template")
@click.argument("template", required=False, metavar="[TEMPLATE]")
@click.option(
    "--data",
    "data_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a template question in every variant (repeatable).",
)
@click.option(
    "--matrix",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML or JSON list of answer sets, one variant each (default: every combination "
    "of the choice and boolean questions, or a pairwise set past 12).",
)
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "hypercorn", "daphne"]),
    help="Also serve each variant with this ASGI server on 127.0.0.1 and GET /.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="The report on standard output.",
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=_report_path,
    help="Also write a JUnit XML report (a testcase per check per variant) to this file.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="How many variants to boot at once (default: the number of CPUs).",
)
@click.option(
    "--trust",
    is_flag=True,
    help="Allow a template that runs code (tasks, migrations, Jinja extensions).",
)
@click.option("--verbose", "-v", is_flag=True, help="List every check, not only failures.")
@vcs_ref_option
@list_variants_option
@variant_option
@python_option
@skip_tasks_option
@click.pass_context
def validate_template(
    ctx: click.Context,
    template: str | None,
    data_pairs: tuple[str, ...],
    matrix: Path | None,
    server: str | None,
    output_format: str,
    junit_xml: Path | None,
    jobs: int | None,
    trust: bool,
    verbose: bool,
    vcs_ref: str | None,
    list_variants: bool,
    variant: str | None,
    python: Path | None,
    skip_tasks: bool,
) -> None:
    """Render TEMPLATE (default: the bundled one) for each variant and boot the result.

    Each variant is rendered with StrictUndefined, compiled, and booted in a fresh
    interpreter through ASGI and WSGI (GET /) and manage.py check. Exit status 0 when
    every check passes, 1 when one fails.
    """
    from thibaud_cli.checks.reports import json_report, text_report
    from thibaud_cli.checks.reports import junit_xml as junit_report
    from thibaud_cli.fs.atomic import write_text_atomic
    from thibaud_cli.operations.validate import validate_template as validate
    from thibaud_cli.template.data import parse_data

    data = parse_data(data_pairs)
    if list_variants:
        _list_variants(template, data, matrix, json_format=output_format == "json")
        return
    with contextlib.ExitStack() as stack:
        # A progress bar is for a person watching a terminal, never for a CI log or a pipe.
        show_progress = sys.stdout.isatty() and output_format == "text"
        bars: list[Any] = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label="Validating variants", file=sys.stdout)
                bars.append(stack.enter_context(bar))
            if done:
                bars[0].update(1)

        report = validate(
            template,
            data=data,
            matrix=matrix,
            server=server,
            jobs=jobs,
            trust=trust,
            on_progress=progress if show_progress else None,
            vcs_ref=vcs_ref,
            variant=variant,
            python=str(python) if python is not None else None,
            skip_tasks=skip_tasks,
        )
    if junit_xml is not None:
        write_text_atomic(junit_xml, junit_report(report))
    if output_format == "json":
        click.echo(json_report(report), nl=False)
    else:
        click.echo(text_report(report, verbose=verbose), nl=False)
    ctx.exit(0 if report.ok else 1)


def _list_variants(
    template: str | None, data: dict[str, str], matrix: Path | None, *, json_format: bool
) -> None:
    from thibaud_cli.checks.variants import matrix_json
    from thibaud_cli.operations.validate import list_variants

    variants = list_variants(template, data=data, matrix=matrix)
    if json_format:
        click.echo(matrix_json(variants))
    else:
        click.echo("\n".join(variant.name for variant in variants))
