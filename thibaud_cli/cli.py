"""The ``thibaud-admin`` command line: a thin click layer over the library.

Each command parses its arguments, calls one library function and prints the
result. Library errors become messages and exit codes in one place
(:meth:`ThibaudAdmin.invoke`). Commands that are not ours go to Thibaud.
Nothing heavy (copier, jinja2, thibaud) is imported here, so ``--help`` and
shell completion stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import versions
from .errors import MergeConflictError, ThibaudCliError

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

    log = Path(tempfile.gettempdir()) / "thibaud-admin-error.log"
    try:
        log.write_text("".join(traceback.format_exception(error)), "utf-8")
        where = f" The details are in {log}."
    except OSError:
        where = ""
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
            target = f" ({error.filename})" if error.filename else ""
            raise CommandFailed(
                f"{error.strerror or error}{target}. Nothing was changed."
            ) from error
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - the one place that reports bugs
            _internal_error(error)


def _forwarded_command(name: str) -> click.Command:
    @click.pass_context
    def forward(ctx: click.Context) -> None:
        from .forwarding import forward_to_thibaud

        ctx.exit(forward_to_thibaud([name, *ctx.args]))

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
    thibaud = versions.thibaud_version() or "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"thibaud-admin {versions.thibaud_cli_version()} (Thibaud {thibaud}, Python {python})"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit()


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
def startproject(
    name: str,
    directory: Path | None,
    template: str | None,
    data_pairs: tuple[str, ...],
    dry_run: bool,
    trust: bool,
) -> None:
    """Create a Thibaud project NAME in ./NAME, or in DIRECTORY."""
    from .project import parse_data, start_project

    result = start_project(
        name,
        directory,
        template=template,
        data=parse_data(data_pairs),
        dry_run=dry_run,
        trust=trust,
    )
    if result.dry_run:
        click.echo(f"Would create project '{result.name}' in {result.directory}:")
        for path in result.files:
            click.echo(f"  {path}")
        return
    click.echo(
        f"Created project '{result.name}' in {result.directory} ({len(result.files)} files)."
    )
    click.echo(f"Serve it: cd {result.directory} && uvicorn {result.name}.asgi:application")


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
def add_asgi_middleware(
    spec: str,
    options: tuple[str, ...],
    dry_run: bool,
    no_verify: bool,
    allow_duplicate: bool,
    project_dir: Path,
) -> None:
    """Wrap the project's ASGI application in middleware SPEC (pkg.mod.Name or pkg.mod:Name).

    The last middleware added is the outermost. Your own edits to asgi.py are kept.
    """
    from .entrypoint import add_asgi_middleware as add

    change = add(
        project_dir,
        spec,
        options=options,
        dry_run=dry_run,
        verify=not no_verify,
        allow_duplicate=allow_duplicate,
    )
    _report_change(
        change, dry_run=dry_run, done=f"Added {change.chain[-1].target} to {change.relative_path}."
    )


@main.command("remove-asgi-middleware")
@click.argument("spec")
@click.option("--dry-run", is_flag=True, help="Print the diff of asgi.py; write nothing.")
@project_dir_option
def remove_asgi_middleware(spec: str, dry_run: bool, project_dir: Path) -> None:
    """Take middleware SPEC out of the project's ASGI application."""
    from .entrypoint import remove_asgi_middleware as remove

    change = remove(project_dir, spec, dry_run=dry_run)
    _report_change(change, dry_run=dry_run, done=f"Removed {spec} from {change.relative_path}.")


@main.command("list-asgi-middleware")
@project_dir_option
def list_asgi_middleware(project_dir: Path) -> None:
    """List the ASGI middleware chain, innermost first."""
    from .entrypoint import list_asgi_middleware as list_chain
    from .middleware import describe_chain

    lines = describe_chain(list_chain(project_dir))
    click.echo("\n".join(lines) if lines else "No ASGI middleware.")


@main.command("regenerate-asgi")
@click.option("--dry-run", is_flag=True, help="Print the diff of asgi.py; write nothing.")
@project_dir_option
def regenerate_asgi(dry_run: bool, project_dir: Path) -> None:
    """Render asgi.py again from the template and the recorded answers, keeping your edits."""
    from .entrypoint import regenerate_asgi as regenerate

    change = regenerate(project_dir, dry_run=dry_run)
    done = (
        f"Regenerated {change.relative_path}."
        if change.changed
        else f"{change.relative_path} is up to date."
    )
    _report_change(change, dry_run=dry_run, done=done)
