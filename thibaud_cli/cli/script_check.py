"""Whether ``thibaud-admin`` is still ours, for the entry points that do not depend on it.

Thibaud installs a console script named ``thibaud-admin`` too. pip lets the last
package installed own the name, so reinstalling or upgrading Thibaud silently puts
the stock script back, and our commands vanish under that name ("Unknown command").
``thibaud-cli`` (our second script, which nothing else installs) and ``python -m
thibaud_cli`` keep working whatever happens, and they say so when they find the name
taken back, with the command that restores it.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPT_NAME = "thibaud-admin"
#: What pip writes into a console script generated from our entry point.
_OUR_ENTRY_POINT = "thibaud_cli"
#: How much of a script is read: pip's wrappers are a few hundred bytes.
_READ_LIMIT = 4096


def installed_script() -> Path:
    """Where this environment's ``thibaud-admin`` script lives (beside its python)."""
    return Path(sys.executable).parent / SCRIPT_NAME


def script_taken_back(script: Path | None = None) -> Path | None:
    """The ``thibaud-admin`` script of this environment if it is not ours, else None.

    Only a script that exists and names another entry point counts: a missing one (a
    system-wide install, a checkout run with ``python -m``) is nobody's business here.
    """
    path = installed_script() if script is None else script
    try:
        with path.open("rb") as handle:
            head = handle.read(_READ_LIMIT)
    except OSError:
        return None
    if head.startswith(b"\x7fELF") or _OUR_ENTRY_POINT.encode() in head:
        # A compiled launcher (we cannot tell), or ours.
        return None
    return path


def invoked_as_thibaud_admin(argv0: str | None = None) -> bool:
    """Whether this process was started through the ``thibaud-admin`` script."""
    return Path(sys.argv[0] if argv0 is None else argv0).name == SCRIPT_NAME
