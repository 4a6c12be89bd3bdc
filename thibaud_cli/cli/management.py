"""Thibaud's management utility, told about thibaud-admin's own commands.

Imported only when a command is forwarded (it imports Thibaud), after the settings
module has been chosen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from difflib import get_close_matches
from typing import Any

from thibaud.conf import settings
from thibaud.core.management import ManagementUtility, get_commands
from thibaud.core.management.color import color_style

from thibaud_cli.cli import output


class ThibaudAdminUtility(ManagementUtility):  # type: ignore[misc]  # Thibaud is untyped
    """``ManagementUtility`` whose ``help`` lists our commands and whose typos suggest them."""

    def __init__(self, argv: list[str], *, own_commands: Collection[str]) -> None:
        super().__init__(argv)
        self.own_commands = frozenset(own_commands)

    def main_help_text(self, commands_only: bool = False) -> str:
        if commands_only:
            return "\n".join(sorted(self.own_commands | set(get_commands())))
        thibaud_help: str = super().main_help_text()
        return output.main_help_with_own_commands(
            thibaud_help, self.own_commands, notice=color_style().NOTICE
        )

    def fetch_command(self, subcommand: str) -> Any:
        commands = get_commands()
        if subcommand in commands:
            return super().fetch_command(subcommand)
        # Thibaud's own handling of an unknown command, but the suggestion is drawn
        # from thibaud-admin's commands too: 'add-asgi-midleware' finds its match.
        if os.environ.get("THIBAUD_SETTINGS_MODULE"):
            # Raises the ImproperlyConfigured that get_commands() swallowed, if any:
            # the command may be missing only because the settings are broken.
            settings.INSTALLED_APPS  # noqa: B018
        elif not settings.configured:
            sys.stderr.write("No Thibaud settings specified.\n")
        matches = get_close_matches(subcommand, sorted(self.own_commands | set(commands)))
        sys.stderr.write(
            output.unknown_command(
                subcommand, matches[0] if matches else None, prog_name=self.prog_name
            )
        )
        sys.exit(1)
