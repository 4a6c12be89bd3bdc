"""Which ``--template`` values are Django-style templates, and getting them on disk.

A Django-style template (no ``copier.yml``) is a local directory, an archive by
path (``file://`` allowed) or an ``http(s)`` URL whose path names an archive
(GitHub's ``.../archive/main.zip``). Everything else (the bundled template, a
copier directory, a git URL) is left to copier; a git repository turns out to be
Django-style only once fetched, and is then cloned again here (see
:func:`git_source`).
"""

from __future__ import annotations

import os
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidDataError, TemplateError
from .archive import archive_suffix, extract_archive, is_archive_url
from .classic import (
    ClassicOptions,
    is_classic_template,
    refuse_options_for_copier,
    render_classic,
)

#: Seconds a git clone (and checkout) of a template may take.
GIT_TIMEOUT = 300.0
#: copier's URL shortcuts, which a Django-style git template may be given with too.
_GIT_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class ClassicSource:
    """A Django-style template: a directory, an archive file, or an archive URL."""

    template: str
    kind: str  # "directory", "archive", "url" or "git"
    location: str


def classic_source(template: str | None) -> ClassicSource | None:
    """The Django-style template *template* names, or ``None`` if it is copier's to render."""
    if template is None:
        return None
    if is_archive_url(template):
        return ClassicSource(template, "url", template)
    local = template
    if template.startswith("file://"):
        local = urllib.parse.unquote(urllib.parse.urlsplit(template).path)
        if archive_suffix(local) is None:
            return None  # a git repository: copier's
    path = Path(local).expanduser()
    if path.is_file() and archive_suffix(path.name) is not None:
        return ClassicSource(template, "archive", str(path.resolve()))
    if is_classic_template(path):
        return ClassicSource(template, "directory", str(path.resolve()))
    return None


def check_classic_options(
    classic: ClassicSource | None,
    options: ClassicOptions,
    data: Mapping[str, str],
    *,
    git: bool,
) -> None:
    """-e/-n/-x are for Django-style templates, ``--data`` for copier ones.

    Whether a git repository is Django-style is known only once it is fetched
    (*git*): its -e/-n/-x are checked then.
    """
    if classic is None and not git:
        refuse_options_for_copier(options)
    elif classic is not None and data:
        raise InvalidDataError(
            f"--data {next(iter(data))}: a Django-style template (no copier.yml) asks no "
            "questions; its context is fixed (project_name, project_directory, secret_key...)."
        )


def git_source(template: str) -> ClassicSource:
    """A git repository found to have no copier.yml, to render as a Django-style template."""
    url = template.removeprefix("git+")
    for shortcut, base in _GIT_SHORTCUTS.items():
        if url.startswith(shortcut):
            url = base + url.removeprefix(shortcut)
    return ClassicSource(template, "git", url)


def render_classic_source(
    source: ClassicSource,
    destination: Path,
    *,
    name: str,
    project_directory: str,
    options: ClassicOptions,
    scratch: Path,
    user_agent: str,
    render_guard: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> None:
    """Fetch and extract *source* under *scratch* if need be, then render it into *destination*."""
    template_dir = Path(source.location)
    if source.kind == "git":
        scratch.mkdir()
        template_dir = scratch / "checkout"
        _git_checkout(source.location, template_dir)
    elif source.kind != "directory":
        scratch.mkdir()
        archive = Path(source.location)
        if source.kind == "url":
            from .download import download  # urllib.request: only when downloading

            downloads = scratch / "download"
            downloads.mkdir()
            archive = download(source.location, downloads, user_agent=user_agent)
        template_dir = scratch / "template"
        template_dir.mkdir()
        extract_archive(archive, template_dir)
        if any((template_dir / name).is_file() for name in ("copier.yml", "copier.yaml")):
            # Rendered Django-style, its .jinja files would be copied as they are.
            raise TemplateError(
                f"'{source.template}' holds a copier template (copier.yml): give its "
                "directory once extracted, or its git URL, to --template."
            )
    # Fetching has its own bounds; the guard (a deadline) is for the render alone.
    with render_guard():
        render_classic(
            template_dir,
            destination,
            name=name,
            project_directory=project_directory,
            template=source.template,
            options=options,
        )


def _git_checkout(url: str, directory: Path) -> None:
    """Clone *url* at its newest tag, as copier renders a git template, else its HEAD."""
    _git("clone", "--quiet", "--", url, str(directory), url=url)
    tags = _git("-C", str(directory), "tag", "--list", "--sort=-v:refname", url=url).split()
    if tags:
        _git("-C", str(directory), "checkout", "--quiet", tags[0], url=url)


def _git(*args: str, url: str) -> str:
    # Never prompt for credentials: there is no terminal to answer on.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=GIT_TIMEOUT, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TemplateError(f"git could not fetch the template {url}: {error}.") from error
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"git exited with status {done.returncode}"
        raise TemplateError(f"git could not fetch the template {url}: {reason}.")
    return done.stdout
