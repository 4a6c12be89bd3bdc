"""``python -m thibaud_cli``: the same program as ``thibaud-admin``."""

from .cli import main

main(prog_name="thibaud-admin")
