"""
The drivers the settings choose, checked when the settings are read.

Thibaud imports a database or cache driver only when it first connects: without
it, `migrate` ends in a long traceback, and a server starts, then fails its first
request that needs it. settings.py calls `require()` for each driver it selects,
so that every command and every server stops at once with one line saying what
to install:

    The database needs psycopg, which is not installed: pip install "psycopg[binary,pool]"
"""

import importlib.util
import sys
from typing import NoReturn

#: The command that installs each driver the settings may select.
INSTALL = {
    "psycopg": 'pip install "psycopg[binary,pool]"',
    "psycopg_pool": 'pip install "psycopg[binary,pool]"',
    "redis": "pip install redis",
}

#: Gunicorn's exit status for "the application failed to load": its master then
#: stops with that reason, instead of starting a new worker that fails the same way,
#: for ever.
GUNICORN_APP_LOAD_ERROR = 4


def require(module: str, needed_by: str) -> None:
    """Stop the process with one line if *module* cannot be imported."""
    if importlib.util.find_spec(module) is None:
        stop(f"{needed_by} needs {module}, which is not installed: {INSTALL[module]}")


def stop(message: str) -> NoReturn:
    """Print *message* alone (no traceback) and exit: 1, or in a Gunicorn worker 4."""
    print(message, file=sys.stderr)
    sys.stderr.flush()
    in_gunicorn_worker = "gunicorn.arbiter" in sys.modules
    raise SystemExit(GUNICORN_APP_LOAD_ERROR if in_gunicorn_worker else 1)
