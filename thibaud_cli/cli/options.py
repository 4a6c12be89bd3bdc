"""Every option that more than one command takes, declared once.

Each factory returns a click decorator. Where an option's effect depends on the
command (what ``--dry-run`` prints), the factory takes that part only, so the rest
of the declaration and its help text cannot drift between commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

#: What an option decorates: the command's function (or, above @click.command, the command).
FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)

#: ``-v/--verbosity``: Thibaud's levels (0 minimal, 1 normal, 2 verbose, 3 very verbose).
VERBOSITY_LEVELS = (0, 1, 2, 3)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from thibaud_cli.cli import output

        click.echo(output.version_line())
        ctx.exit()


def version_option() -> Callable[[FC], FC]:
    """``--version``: thibaud-admin's, on the group and on each of our commands."""
    return click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_show_version,
        help="Show thibaud-admin's and Thibaud's versions and exit.",
    )


def common_options() -> Callable[[FC], FC]:
    """The options every Thibaud management command takes, as Thibaud names them.

    Scripts written for the stock ``startproject`` pass them to any command; what each
    means for ours is decided in one place, :mod:`thibaud_cli.cli.common`, which
    takes their values out before the command's function is called.
    """
    declarations = [
        version_option(),
        click.option(
            "-v",
            "--verbosity",
            type=click.Choice(VERBOSITY_LEVELS),
            default=1,
            show_default=True,
            help="0: only what you asked for (errors still go to standard error); "
            "1: normal output; 2 and 3: each file written, or the diff of what changed.",
        ),
        click.option(
            "--settings",
            metavar="MODULE",
            help="A settings module (THIBAUD_SETTINGS_MODULE for this command), e.g. "
            "mysite.settings. Accepted for compatibility with Thibaud's commands.",
        ),
        click.option(
            "--pythonpath",
            metavar="DIRECTORY",
            type=click.Path(file_okay=False, path_type=Path),
            help="A directory to put first on the Python path; startproject refuses a "
            "name that a module there already has.",
        ),
        click.option(
            "--traceback",
            is_flag=True,
            help="On an error, show the full stack trace instead of one line.",
        ),
        click.option("--no-color", is_flag=True, help="Do not colorize the output."),
        click.option("--force-color", is_flag=True, help="Colorize the output, even in a pipe."),
    ]

    def decorate(command: FC) -> FC:
        for declaration in reversed(declarations):
            command = declaration(command)
        return command

    return decorate


def trust_option() -> Callable[[FC], FC]:
    return click.option(
        "--trust",
        is_flag=True,
        help="Allow a template that runs code (tasks, migrations, Jinja extensions).",
    )


def dry_run_option(*, shows: str) -> Callable[[FC], FC]:
    """``--dry-run``; *shows* is what the command prints instead of writing."""
    return click.option("--dry-run", is_flag=True, help=f"{shows}; write nothing.")


def data_option(*, others: str) -> Callable[[FC], FC]:
    """``--data KEY=VALUE`` (repeatable); *others* says what the unanswered questions get.

    The pairs are parsed by the command (``parse_data``), not here: a library error
    raised while click parses would come before the command's own checks.
    """
    return click.option(
        "--data",
        "data_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help=f"Answer a template question (repeatable); {others}.",
    )


def format_option(*, of: str, more: Sequence[str] = (), also: str = "") -> Callable[[FC], FC]:
    """``--format text|json`` (and the formats *more*) for the report of *of*."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", *more]),
        default="text",
        show_default=True,
        help=f"The format of {of}{also}.",
    )


def project_dir_option() -> Callable[[FC], FC]:
    return click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The project's root directory (where .thibaud-answers.yml is).",
    )


def asgi_module_option() -> Callable[[FC], FC]:
    """``--asgi-module``: the ASGI module, when nothing records it and discovery is unsure."""
    return click.option(
        "--asgi-module",
        metavar="MODULE",
        help="The ASGI module, as a server imports it (e.g. config.asgi), when the project "
        "does not record it: by default, the module that binds application.",
    )


def _servers() -> Sequence[str]:
    from thibaud_cli.checks.server import SERVERS

    return SERVERS


def server_option() -> Callable[[FC], FC]:
    return click.option(
        "--server",
        type=LazyChoice(_servers),
        help="Also serve each variant with this ASGI server on 127.0.0.1 and GET /.",
    )


class LazyChoice(click.ParamType):  # type: ignore[type-arg]  # generic only in click>=8.4
    """A :class:`click.Choice` whose choices are loaded when a command line needs them.

    The servers are listed beside the code that runs them, whose imports (subprocess,
    urllib.request) would double the start-up time of every ``thibaud-admin --help``.
    """

    name = "choice"

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load

    @cached_property
    def _choice(self) -> click.Choice[str]:
        return click.Choice(self._load())

    def get_metavar(self, *args: Any, **kwargs: Any) -> str | None:
        # Whatever click passes: (param) before click 8.2, (param, ctx) since.
        return self._choice.get_metavar(*args, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return self._choice.convert(value, param, ctx)

    def to_info_dict(self) -> Any:
        return self._choice.to_info_dict()

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return self._choice.shell_complete(ctx, param, incomplete)


# Options for real-world templates: startproject, update and validate-template.

vcs_ref_option = click.option(
    "--vcs-ref",
    metavar="REF",
    help="The git tag or commit of the template to use (default: startproject and update, "
    "the newest tag; validate-template, the working tree, uncommitted changes included). "
    "startproject with the bundled template: one of its released versions (e.g. 1).",
)

skip_tasks_option = click.option(
    "--skip-tasks", is_flag=True, help="Do not run the template's tasks (copier's _tasks)."
)

list_variants_option = click.option(
    "--list-variants",
    is_flag=True,
    help="Print the variants and exit, validating nothing; with --format github-matrix, as "
    'a GitHub Actions strategy.matrix ({"include": [{"variant": NAME}, ...]}).',
)

variant_option = click.option(
    "--variant",
    metavar="NAME",
    help="Validate only the variant of that name (as --list-variants prints it).",
)

python_option = click.option(
    "--python",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Boot the variants (the boot probe and manage.py check) with this interpreter, "
    "e.g. the project's own .venv/bin/python (default: the one running thibaud-admin).",
)
