"""copier's private surface: every name of copier's we use that copier does not
export, listed in this one place.

The engine renders with copier's ``Worker`` (its Jinja environment set up as ours,
its walk, path rendering and file writing adjusted: ``worker.py``) and runs the
template's tasks and an update's migrations as copier does (``tasks.py``,
``copier_support.py``). Those lean on
names copier keeps private, which any copier release may rename. An override whose
method was renamed would not fail: it would stop being called, and the files it
charges to the render's budget would go uncounted. So the names are listed here,
:func:`missing_names` tells which the installed copier lacks, the engine refuses to
render with such a copier (:func:`require_copier_surface`), and a test checks the
list against the installed copier and against the overrides themselves
(``tests/template/test_copier_surface.py``, run on the oldest and newest copier
our requirement allows: ``nox -s copier``).
"""

from __future__ import annotations

import importlib
from functools import cache

from thibaud_cli.errors import ThibaudCliError

#: The methods and properties of ``copier._main.Worker`` that ``worker.py`` overrides
#: (each calls copier's own), and those it calls or reads that copier keeps private.
WORKER_OVERRIDES = (
    "_ask",
    "_sync_git_index_executable_bit",
    "template",
    "answers_relpath",
    "_render_string",
    "_render_template",
    "_render_path",
    "_render_file",
    "_render_folder",
    "_render_symlink",
    "_render_context",
)
WORKER_USES = (
    "_check_unsafe",
    "_render_value",
    "subproject",
    "all_exclusions",
    "template_copy_root",
    "jinja_env",
    "answers",
    "run_copy",
    "settings",
)
#: Private module-level names, by module.
MODULE_NAMES = {
    "copier._main": ("Worker", "scantree"),
    "copier._jinja_ext": ("get_yield_context",),
    "copier._settings": ("SettingsModel",),
    "copier._template": ("Template", "load_template_config"),
    "copier._types": ("Phase", "MISSING"),
    "copier._user_data": ("Question",),
    "copier._tools": ("cast_to_bool",),
}


@cache
def missing_names() -> tuple[str, ...]:
    """The names above that the installed copier does not have."""
    missing = []
    for module_name, names in MODULE_NAMES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        missing.extend(f"{module_name}.{name}" for name in names if not hasattr(module, name))
    from copier._main import Worker

    for name in (*WORKER_OVERRIDES, *WORKER_USES):
        if not hasattr(Worker, name) and name not in getattr(Worker, "__dataclass_fields__", {}):
            missing.append(f"copier._main.Worker.{name}")
    return tuple(missing)


def require_copier_surface() -> None:
    """Refuse, in one line, to render with a copier that lacks a name we rely on."""
    missing = missing_names()
    if missing:
        from importlib.metadata import version

        raise ThibaudCliError(
            f"The installed copier {version('copier')} lacks {', '.join(missing[:3])}, which "
            "thibaud-admin renders with: install the copier it supports "
            "(pip install 'copier>=9.19.1,<9.20'), then run the command again."
        )
