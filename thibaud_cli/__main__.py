"""``python -m thibaud_cli``: the same program as ``thibaud-admin``."""

from thibaud_cli.cli.app import main

main(prog_name="thibaud-admin")
