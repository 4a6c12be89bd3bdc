"""Forwarding every command that is not thibaud-admin's own to Thibaud's utility.

``thibaud-admin`` replaces the framework's script of the same name, so ``startapp``,
``runserver``, ``check``, ``migrate``... must keep working exactly as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from thibaud_cli.project.answers import ANSWERS_FILENAME

SETTINGS_VARIABLE = "THIBAUD_SETTINGS_MODULE"
DJANGO_SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"


def _project_settings_default(argv: Sequence[str], cwd: Path) -> tuple[str, Path] | None:
    """The project's settings module and the directory it is imported from (its
    recorded entry points), when run at the root of a generated project.

    Like ``manage.py``, so ``thibaud-admin check`` works there without extra flags;
    an explicit ``--settings`` or THIBAUD_SETTINGS_MODULE still wins.
    """
    if os.environ.get(SETTINGS_VARIABLE) or any(
        arg == "--settings" or arg.startswith("--settings=") for arg in argv
    ):
        return None
    answers_file = cwd / ANSWERS_FILENAME
    if not answers_file.is_file():
        return None
    from thibaud_cli.errors import ThibaudCliError
    from thibaud_cli.project.answers import load_answers
    from thibaud_cli.project.contract import module_file

    try:
        modules = load_answers(cwd).modules
    except ThibaudCliError:
        return None
    root = modules.root_dir(cwd)
    if modules.settings is None or module_file(root, modules.settings) is None:
        return None
    return modules.settings, root


def forward_to_thibaud(argv: Sequence[str], *, prog_name: str = "thibaud-admin") -> int:
    """Run Thibaud's ``execute_from_command_line`` with *argv*; return its exit code.

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
    settings_default = _project_settings_default(argv, cwd)
    if settings_default is not None:
        os.environ[SETTINGS_VARIABLE] = settings_default[0]
        sys.path.insert(0, str(settings_default[1]))
    from thibaud.core.management import execute_from_command_line

    try:
        execute_from_command_line([prog_name, *argv])
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0
