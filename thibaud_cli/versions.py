"""Installed versions, read from package metadata (importing nothing heavy)."""

from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def thibaud_cli_version() -> str:
    try:
        return metadata.version("thibaud-cli")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@cache
def thibaud_version() -> str | None:
    try:
        return metadata.version("Thibaud")
    except metadata.PackageNotFoundError:
        return None
