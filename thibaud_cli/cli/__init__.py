"""The command line: ``thibaud-admin``'s click layer, over :mod:`thibaud_cli.operations`.

Nothing heavy is imported here, so ``--help`` and shell completion stay fast.
"""

from thibaud_cli.cli.app import main

__all__ = ["main"]
