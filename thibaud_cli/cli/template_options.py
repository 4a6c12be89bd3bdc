"""Options added for real-world templates (the template-authors work), declared once.

Shared by startproject, update and validate-template, so their help cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import click

vcs_ref_option = click.option(
    "--vcs-ref",
    metavar="REF",
    help="The git tag or commit of the template to use (default: startproject and update, "
    "the newest tag; validate-template, the working tree, uncommitted changes included).",
)

skip_tasks_option = click.option(
    "--skip-tasks", is_flag=True, help="Do not run the template's tasks (copier's _tasks)."
)

list_variants_option = click.option(
    "--list-variants",
    is_flag=True,
    help="Print the variants and exit, validating nothing; with --format json, as a "
    'GitHub Actions strategy.matrix ({"variant": [...]}).',
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
