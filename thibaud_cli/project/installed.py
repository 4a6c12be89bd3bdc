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


@cache
def reinstall_command() -> str | None:
    """The shell command that puts this thibaud-cli back where it was installed from.

    pip records where a distribution came from in its ``direct_url.json`` (PEP 610): a
    local directory (editable or not), a local or remote archive, or a git URL with the
    commit it installed. The command reinstalls exactly that, with this interpreter's
    pip (or uv's, when uv installed it: a ``uv tool`` environment has no pip), and
    ``--no-deps`` so that Thibaud itself is left alone. None when nothing says where it
    came from (an index): the name ``thibaud-cli`` is not published, so advising it
    would install whatever someone else published under it.
    """
    import json
    import shlex
    import sys
    from importlib import metadata

    try:
        distribution = metadata.distribution("thibaud-cli")
        recorded = distribution.read_text("direct_url.json")
        installer = (distribution.read_text("INSTALLER") or "pip").strip()
    except metadata.PackageNotFoundError:
        return None
    if not recorded:
        return None
    try:
        origin = json.loads(recorded)
        spec = _install_spec(origin)
    except (ValueError, TypeError, AttributeError):
        return None  # a damaged record: no advice rather than a wrong one
    if spec is None:
        return None
    if installer == "uv":
        command = ["uv", "pip", "install", "--python", sys.executable, "--reinstall", "--no-deps"]
    else:
        command = [sys.executable, "-m", "pip", "install", "--force-reinstall", "--no-deps"]
    return shlex.join([*command, *spec])


def _install_spec(origin: dict[str, object]) -> list[str] | None:
    """The arguments that name what *origin* (a parsed ``direct_url.json``) installed."""
    from urllib.parse import unquote, urlsplit

    url = origin["url"]
    if not isinstance(url, str):
        return None
    vcs_info = origin.get("vcs_info")
    if isinstance(vcs_info, dict):
        if vcs_info.get("vcs") != "git":
            return None
        commit = vcs_info.get("commit_id")
        subdirectory = origin.get("subdirectory")
        pinned = f"git+{url}@{commit}" if commit else f"git+{url}"
        if subdirectory:
            pinned += f"#subdirectory={subdirectory}"
        return [pinned]
    parts = urlsplit(url)
    if parts.scheme == "file":
        location = unquote(parts.path)
        if origin.get("subdirectory"):
            location = f"{location.rstrip('/')}/{origin['subdirectory']}"
        dir_info = origin.get("dir_info")
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
        return ["-e", location] if editable else [location]
    if parts.scheme in ("http", "https") and "archive_info" in origin:
        return [url]
    return None
