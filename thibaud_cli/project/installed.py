"""Installed versions, read from package metadata (importing nothing heavy)."""

from __future__ import annotations

from functools import cache

# importlib.metadata is imported inside the functions: it pulls in the email
# package (about a third of ``thibaud-admin --help``'s imports) and only
# ``--version`` and generation need it.


@cache
def thibaud_cli_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("thibaud-cli")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@cache
def thibaud_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("Thibaud")
    except metadata.PackageNotFoundError:
        return None
