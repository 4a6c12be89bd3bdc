"""Which ``--template`` values are Django-style templates, and getting them on disk.

A Django-style template (no ``copier.yml``) is a local directory, an archive by
path (``file://`` allowed) or an ``http(s)`` URL whose path names an archive
(GitHub's ``.../archive/main.zip``). Everything else (the bundled template, a
copier directory, a git URL) is left to copier.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .archive import archive_suffix, extract_archive, is_archive_url
from .classic import ClassicOptions, is_classic_template, render_classic


@dataclass(frozen=True)
class ClassicSource:
    """A Django-style template: a directory, an archive file, or an archive URL."""

    template: str
    kind: str  # "directory", "archive" or "url"
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


def render_classic_source(
    source: ClassicSource,
    destination: Path,
    *,
    name: str,
    project_directory: str,
    options: ClassicOptions,
    scratch: Path,
    user_agent: str,
) -> None:
    """Fetch and extract *source* under *scratch* if need be, then render it into *destination*."""
    template_dir = Path(source.location)
    if source.kind != "directory":
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
    render_classic(
        template_dir,
        destination,
        name=name,
        project_directory=project_directory,
        template=source.template,
        options=options,
    )
