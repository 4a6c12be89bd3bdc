"""Thibaud's common command options, and what each means for our commands.

Every Thibaud management command takes ``--version``, ``-v/--verbosity``,
``--settings``, ``--pythonpath``, ``--traceback``, ``--no-color`` and
``--force-color``; scripts written for the stock ``startproject`` pass them, so each of
our commands takes them too (:class:`ThibaudCommand`). They are declared once
(:func:`thibaud_cli.cli.options.common_options`) and decided here, once:

- ``--verbosity`` is handed to :mod:`thibaud_cli.cli.output` by the commands
  (:func:`current`): 0 prints only what was asked for, 2 and 3 what was written;
- ``--traceback`` is read by the one error handler
  (:meth:`thibaud_cli.cli.app.ThibaudAdmin.invoke`);
- ``--no-color``/``--force-color`` set click's colour for the whole command line;
- ``--settings`` and ``--pythonpath`` act as Thibaud's ``handle_default_options``
  does (the settings variable, the front of ``sys.path``), and startproject's name
  check counts the ``--pythonpath`` directories as places modules come from.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from thibaud_cli.cli.failures import CommandMisused
from thibaud_cli.cli.options import common_options

SETTINGS_VARIABLE = "THIBAUD_SETTINGS_MODULE"
_META_KEY = "thibaud_cli.common_options"


@dataclass(frozen=True)
class CommonOptions:
    """The common options of one command line, as given."""

    verbosity: int = 1
    settings: str | None = None
    pythonpath: Path | None = None
    traceback: bool = False
    #: None: click decides (colour on a terminal only).
    color: bool | None = None

    @property
    def python_path(self) -> tuple[Path, ...]:
        """The directories ``--pythonpath`` put first on the Python path."""
        return () if self.pythonpath is None else (self.pythonpath,)

    @classmethod
    def take(cls, params: dict[str, Any]) -> CommonOptions:
        """The common options, taken out of a command's parsed *params*."""
        no_color = params.pop("no_color")
        force_color = params.pop("force_color")
        if no_color and force_color:
            # Thibaud's own message (BaseCommand.execute).
            raise CommandMisused("The --no-color and --force-color options can't be used together.")
        return cls(
            verbosity=params.pop("verbosity"),
            settings=params.pop("settings"),
            pythonpath=params.pop("pythonpath"),
            traceback=params.pop("traceback"),
            color=False if no_color else True if force_color else None,
        )

    def apply(self, ctx: click.Context) -> None:
        """Make the options hold for the rest of this process's command line."""
        if self.color is not None:
            # Every context up to the root: the error handler's messages are the root's.
            context: click.Context | None = ctx
            while context is not None:
                context.color = self.color
                context = context.parent
        # As Thibaud's handle_default_options: a forwarded or imported piece of
        # Thibaud, and the subprocesses that import the project's code (the middleware
        # check of add-asgi-middleware), see them as a Thibaud command would.
        if self.settings:
            os.environ[SETTINGS_VARIABLE] = self.settings
        if self.pythonpath is not None:
            sys.path.insert(0, str(self.pythonpath))
        ctx.meta[_META_KEY] = self


def current(ctx: click.Context | None = None) -> CommonOptions:
    """The common options of the running command (the defaults before it runs)."""
    context = ctx if ctx is not None else click.get_current_context(silent=True)
    if context is None:
        return CommonOptions()
    options = context.meta.get(_META_KEY)
    return options if isinstance(options, CommonOptions) else CommonOptions()


def _common_parameters() -> list[click.Parameter]:
    """The common options as click parameters, in the order of their declaration."""

    def placeholder() -> None:
        pass

    declared: list[click.Parameter] = getattr(common_options()(placeholder), "__click_params__", [])
    # click.option appends bottom-up; a command lists them top-down.
    return list(reversed(declared))


class ThibaudCommand(click.Command):
    """One of our commands: its own options first, then Thibaud's common ones.

    The common options never reach the command's function: :meth:`invoke` takes
    them out, checks them and applies them (:class:`CommonOptions`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Last, as Thibaud's help lists them (ThibaudHelpFormatter.show_last).
        self.params.extend(_common_parameters())

    def invoke(self, ctx: click.Context) -> Any:
        CommonOptions.take(ctx.params).apply(ctx)
        return super().invoke(ctx)
