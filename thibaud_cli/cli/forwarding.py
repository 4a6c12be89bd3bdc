"""Forwarding every command that is not thibaud-admin's own to Thibaud's utility.

``thibaud-admin`` replaces the framework's script of the same name, so ``startapp``,
``runserver``, ``check``, ``migrate``... must keep working exactly as before, and
``help`` lists (and describes) both its commands and Thibaud's.

Thibaud is imported only when a command is forwarded: this module is part of every
start-up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

import click

SETTINGS_VARIABLE = "THIBAUD_SETTINGS_MODULE"
DJANGO_SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"

_FORWARDED_CONTEXT = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    # --help belongs to Thibaud's command, not to this stand-in.
    "help_option_names": [],
}


def _own_commands(ctx: click.Context) -> dict[str, click.Command]:
    """thibaud-admin's own commands (the ones ``thibaud-admin --help`` lists)."""
    group = ctx.find_root().command
    if not isinstance(group, click.Group):
        return {}
    return {name: command for name, command in group.commands.items() if not command.hidden}


def _exit_with_thibaud(ctx: click.Context, argv: list[str]) -> None:
    try:
        code = forward_to_thibaud(argv, own_commands=_own_commands(ctx))
    except Exception:  # noqa: BLE001 - the command's own error, shown as Thibaud does
        import traceback

        traceback.print_exc()
        code = 1
    ctx.exit(code)


def forwarded_command(name: str) -> click.Command:
    """A click stand-in for Thibaud's command *name*: it hands over the whole command line."""

    @click.pass_context
    def forward(ctx: click.Context) -> None:
        _exit_with_thibaud(ctx, [name, *ctx.args])

    return click.Command(
        name,
        callback=forward,
        help=f"Thibaud's '{name}' command.",
        context_settings=_FORWARDED_CONTEXT,
    )


def _help_topic(args: Sequence[str]) -> str | None:
    """The command ``help ARGS`` asks about, read as Thibaud's ``help`` reads it."""
    if "--commands" in args:
        return None
    words = iter(args)
    for word in words:
        if word in ("--settings", "--pythonpath"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


@click.command("help", hidden=True, context_settings=_FORWARDED_CONTEXT)
@click.pass_context
def help_command(ctx: click.Context) -> None:
    """Thibaud's ``help``, which knows thibaud-admin's commands too."""
    topic = _help_topic(ctx.args)
    command = _own_commands(ctx).get(topic or "")
    if topic is None or command is None:
        _exit_with_thibaud(ctx, ["help", *ctx.args])
        return
    root = ctx.find_root()
    # resilient_parsing: the help of a command whose arguments are required.
    with command.make_context(topic, [], parent=root, resilient_parsing=True) as command_ctx:
        click.echo(command_ctx.get_help(), color=command_ctx.color)


def _settings_given(argv: Sequence[str]) -> bool:
    return bool(os.environ.get(SETTINGS_VARIABLE)) or any(
        arg == "--settings" or arg.startswith("--settings=") for arg in argv
    )


def _generated_project(cwd: Path) -> tuple[str | None, Path] | None:
    """The settings module (None when it is not where the answers say) and the
    directory the project is imported from (its recorded entry points), when run at
    the root of a generated project; None anywhere else."""
    from thibaud_cli.errors import ThibaudCliError
    from thibaud_cli.project.answers import ANSWERS_FILENAME, load_answers

    answers_file = cwd / ANSWERS_FILENAME
    if not answers_file.is_file():
        return None
    from thibaud_cli.project.contract import module_file

    try:
        modules = load_answers(cwd).modules
    except ThibaudCliError:
        return None
    root = modules.root_dir(cwd)
    if modules.settings is None or module_file(root, modules.settings) is None:
        return None, root
    return modules.settings, root


def _with_app_template(argv: Sequence[str], cwd: Path) -> list[str]:
    """``startapp`` at the root of a project we generated, without ``--template``:
    with our app template, which the project's CI (ruff check, ruff format --check)
    accepts as it is. Anywhere else, or with a template given, Thibaud's own."""
    if not argv or argv[0] != "startapp":
        return list(argv)
    if any(arg == "--template" or arg.startswith("--template=") for arg in argv):
        return list(argv)
    from thibaud_cli.project.answers import ANSWERS_FILENAME

    if not (cwd / ANSWERS_FILENAME).is_file():
        return list(argv)
    from thibaud_cli.template.source import app_template_path

    return [argv[0], "--template", str(app_template_path()), *argv[1:]]


def forward_to_thibaud(
    argv: Sequence[str], *, prog_name: str = "thibaud-admin", own_commands: Collection[str] = ()
) -> int:
    """Run Thibaud's management utility with *argv*; return its exit code.

    *own_commands* are listed by ``help`` beside Thibaud's and suggested for a typo.
    Exceptions other than Thibaud's own exits propagate: they are the command's (a
    failing migration, a broken settings module), reported as Thibaud reports them,
    not as thibaud-admin's.
    """
    cwd = Path.cwd()
    django_settings = os.environ.get(DJANGO_SETTINGS_VARIABLE)
    if django_settings and not os.environ.get(SETTINGS_VARIABLE):
        # As the generated manage.py does: a deployment configured with Django's
        # name for the variable must not silently run the default settings.
        os.environ[SETTINGS_VARIABLE] = django_settings
    argv = _with_app_template(argv, cwd)
    project = _generated_project(cwd)
    if project is not None:
        # As manage.py does: the project is importable from its root, whichever settings
        # are named (--settings, THIBAUD_SETTINGS_MODULE); unnamed, the project's own.
        settings, root = project
        sys.path.insert(0, str(root))
        if settings is not None and not _settings_given(argv):
            os.environ[SETTINGS_VARIABLE] = settings
    from thibaud_cli.cli.management import ThibaudAdminUtility

    try:
        ThibaudAdminUtility([prog_name, *argv], own_commands=own_commands).execute()
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0
