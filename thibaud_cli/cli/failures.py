"""The two ways a command fails, as click exceptions: what it did wrong, then the exit code.

Library errors become these in one place (:meth:`thibaud_cli.cli.app.ThibaudAdmin.invoke`);
a command raises them directly only for what the command line alone can tell.
"""

from __future__ import annotations

import click


class _StyledError(click.ClickException):
    def format_message(self) -> str:
        # Thibaud's ERROR style. click strips it where colour is off: not a terminal
        # (unless --force-color), or --no-color.
        return click.style(self.message, fg="red", bold=True)


class CommandFailed(_StyledError):
    """The operation failed: one line, exit code 1."""

    exit_code = 1


class CommandMisused(_StyledError):
    """The command line asked for something invalid: one line, exit code 2.

    Unlike click.UsageError it prints no usage block: the message says what to do.
    """

    exit_code = 2


def failure(message: str, exit_code: int) -> click.ClickException:
    """The click exception for a library error's *message* and *exit_code*."""
    return CommandMisused(message) if exit_code == 2 else CommandFailed(message)
