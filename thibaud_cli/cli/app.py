"""The ``thibaud-admin`` entry point: the command group and its one error handler.

Each command (a module per family beside this one) parses its arguments, calls one
library function and hands the result to :mod:`thibaud_cli.cli.output`. Library
errors become messages and exit codes in one place (:meth:`ThibaudAdmin.invoke`).
Commands that are not ours go to Thibaud (:mod:`thibaud_cli.cli.forwarding`).
Nothing heavy (copier, jinja2, thibaud) is imported at start-up, so ``--help`` and
shell completion stay fast.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from thibaud_cli.cli import output, script_check
from thibaud_cli.cli.common import current
from thibaud_cli.cli.failures import CommandFailed, failure
from thibaud_cli.cli.forwarding import forwarded_command, help_command
from thibaud_cli.cli.middleware_commands import (
    add_asgi_middleware,
    add_middleware,
    list_asgi_middleware,
    list_middleware,
    regenerate_asgi,
    remove_asgi_middleware,
    remove_middleware,
)
from thibaud_cli.cli.options import version_option
from thibaud_cli.cli.startproject import startproject
from thibaud_cli.cli.update import update
from thibaud_cli.cli.validate import merge_reports, validate_template
from thibaud_cli.errors import MergeConflictError, ThibaudCliError

ISSUES_URL = "https://github.com/thibaud-cli/thibaud-cli/issues"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
        return forwarded_command(cmd_name)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(output.SCRIPT_NAMES_NOTE)
        warning = _taken_back_warning()
        if warning is not None:
            # Unwrapped: the command in it is copied and pasted whole.
            formatter.write_paragraph()
            formatter.write(f"{'':>{formatter.current_indent + 2}}{warning}\n")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MergeConflictError as error:
            click.echo(error.conflicts, err=True, nl=False)
            _traceback_if_asked(ctx, error, error.exit_code)
            raise failure(str(error), error.exit_code) from error
        except ThibaudCliError as error:
            _traceback_if_asked(ctx, error, error.exit_code)
            raise failure(str(error), error.exit_code) from error
        except BrokenPipeError as error:
            if not _output_closed():
                raise CommandFailed(f"{error.strerror or error}.") from error
            # The reader went away (`| head`): nothing to say, and nowhere to say it.
            # click's own handler exits 1 quietly, as Python's documentation advises.
            raise
        except OSError as error:
            _traceback_if_asked(ctx, error, 1)
            # The file system said no (disk full, permission...): not a bug of ours.
            # Every multi-file change is one transaction (fs.transaction), undone before
            # the error reaches here, so the project is as it was.
            target = f": {error.filename}" if error.filename else ""
            reason = error.strerror or str(error).splitlines()[0]
            raise CommandFailed(f"{reason}{target}.") from error
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - the one place that reports bugs
            _traceback_if_asked(ctx, error, 1)
            _internal_error(error)


def _output_closed() -> bool:
    """Whether standard output or error is a pipe whose reader has gone: poll reports
    an error condition on the write end (a broken pipe to git, say, is not that)."""
    import select
    import sys

    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        try:
            poller.register(stream.fileno(), 0)
        except (AttributeError, OSError, ValueError):
            continue
    gone = select.POLLERR | select.POLLHUP  # Linux says ERR, some systems HUP
    return any(events & gone for _fd, events in poller.poll(0))


def _traceback_if_asked(ctx: click.Context, error: BaseException, exit_code: int) -> None:
    """With ``--traceback``: the full stack trace on standard error instead of one line.

    As Thibaud's commands do, for every failure of the command (not for a command
    line click refused: that one has no stack worth showing).
    """
    if not current(ctx).traceback:
        return
    import traceback

    click.echo("".join(traceback.format_exception(error)), err=True, nl=False)
    raise click.exceptions.Exit(exit_code) from error


@click.group(
    cls=ThibaudAdmin,
    context_settings=CONTEXT_SETTINGS,
    epilog=(
        "Every Thibaud management command works too (startapp, runserver, check, migrate, "
        "shell, ...): 'thibaud-cli help' lists them. Shell completion: "
        'eval "$(_THIBAUD_ADMIN_COMPLETE=bash_source thibaud-admin)" (zsh_source, fish_source).'
    ),
)
@version_option()
def main() -> None:
    """Create Thibaud projects and manage their ASGI entry point."""
    warning = _taken_back_warning()
    if warning is not None:
        click.echo(warning, err=True)


def _taken_back_warning() -> str | None:
    """Run through `thibaud-cli` or `python -m thibaud_cli`: the warning that the
    `thibaud-admin` name went back to Thibaud (see script_check), if it did."""
    if script_check.invoked_as_thibaud_admin():
        return None
    taken = script_check.script_taken_back()
    if taken is None:
        return None
    # Only now: reading the install record imports importlib.metadata.
    from thibaud_cli.project.installed import reinstall_command

    return output.script_taken_back(taken, reinstall_command())


for _command in (
    startproject,
    add_asgi_middleware,
    remove_asgi_middleware,
    list_asgi_middleware,
    regenerate_asgi,
    add_middleware,
    remove_middleware,
    list_middleware,
    update,
    validate_template,
    merge_reports,
    help_command,
):
    main.add_command(_command)
