"""Where a template comes from: the one place that interprets ``--template``.

Every command asks :func:`resolve_template` what a ``--template`` value (or the
source recorded in an answers file) names: the bundled template, a copier template
in a local directory or a git repository, or a Django-style template (no
``copier.yml``: a directory, an archive, or an http(s) URL of one, rendered as
Thibaud's own ``startproject`` renders it). What copier is handed, what the answers
file records, and whether there is a local directory to read are decided here alone,
with the checks that tell the kinds apart (an archive's suffix, a Django-style
directory). A git repository turns out to be Django-style only once fetched (the
engine refuses its clone: ``engine/config.py``); see :meth:`TemplateSource.as_classic_git`.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from thibaud_cli.errors import TemplateSourceError, UsageError
from thibaud_cli.template.engine.config import has_template_config, read_template_config

#: How the bundled template is named on the command line and in answers files: a
#: stable name rather than a site-packages path that changes with every install.
BUNDLED_TEMPLATE = "bundled"

#: The archive suffixes recognised, as Thibaud's ``thibaud.utils.archive`` knows them.
ARCHIVE_SUFFIXES = (
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tbz",
    ".tar.xz",
    ".txz",
)
#: The entry of a Django-style template renamed after the project, as Thibaud names it.
CLASSIC_BASE_NAME = "project_name"

#: What a --template value may name, said where one names nothing we render.
_WHAT_TO_GIVE = (
    "a copier template (a directory with a copier.yml, or a git URL) or a Django-style "
    "one (a directory or an archive, as Thibaud's startproject takes)"
)
#: What marks a cookiecutter template: another tool's, with its own syntax.
_COOKIECUTTER_CONFIG = "cookiecutter.json"

_GIT_URL_PREFIXES = ("git@", "git+", "gh:", "gl:", "https://", "http://", "ssh://", "file://")


class SourceKind(StrEnum):
    """What kind of place a template comes from."""

    BUNDLED = "bundled"
    #: A copier template in a local directory.
    LOCAL = "local"
    #: A git repository: copier's, unless it has no copier.yml (then CLASSIC_GIT).
    GIT = "git"
    #: Django-style: a local directory without copier.yml.
    CLASSIC = "classic"
    #: Django-style: an archive file (``.zip``, ``.tar.gz``...).
    ARCHIVE = "archive"
    #: Django-style: an http(s) URL of an archive.
    ARCHIVE_URL = "archive-url"
    #: Django-style: a git repository without copier.yml.
    CLASSIC_GIT = "classic-git"


_CLASSIC_KINDS = frozenset(
    {SourceKind.CLASSIC, SourceKind.ARCHIVE, SourceKind.ARCHIVE_URL, SourceKind.CLASSIC_GIT}
)
#: copier's URL shortcuts, expanded when git itself is run on the URL.
_GIT_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class TemplateSource:
    """A resolved template source."""

    kind: SourceKind
    #: What copier is given (a directory path, or a URL it can clone); for a
    #: Django-style template, where to get it (a path, an archive URL, a git URL).
    copier_source: str
    #: How the answers file records it: ``bundled``, an absolute path, or the URL.
    recorded_as: str
    #: The template's directory or archive file on this machine, when it is one.
    local_path: Path | None = None

    @property
    def is_classic(self) -> bool:
        """Whether it is rendered as Thibaud renders templates, not by copier."""
        return self.kind in _CLASSIC_KINDS

    @property
    def git_url(self) -> str:
        """What git itself is given for this git repository: copier's ``git+`` prefix
        dropped, its ``gh:``/``gl:`` shortcuts expanded."""
        url = self.copier_source.removeprefix("git+")
        for shortcut, base in _GIT_SHORTCUTS.items():
            if url.startswith(shortcut):
                url = base + url.removeprefix(shortcut)
        return url

    def as_classic_git(self) -> TemplateSource:
        """This git repository, found to have no copier.yml, as a Django-style one."""
        return replace(self, kind=SourceKind.CLASSIC_GIT, copier_source=self.git_url)


def bundled_template_path() -> Path:
    """Where the bundled template lives: inside the wheel, or at the repository root."""
    package_dir = Path(__file__).resolve().parents[1]
    installed = package_dir / "templates" / "project"
    if installed.is_dir():
        return installed
    return package_dir.parent / "templates" / "project"


def app_template_path() -> Path:
    """The app template ``startapp`` renders in a project we generated (Thibaud's own,
    less what the project's ruff refuses): beside the bundled project template."""
    return bundled_template_path().parent / "app"


def is_git_url(source: str) -> bool:
    """Whether *source* names a git repository rather than a local directory."""
    return source.startswith(_GIT_URL_PREFIXES) or source.endswith(".git")


def archive_suffix(name: str) -> str | None:
    """The archive suffix *name* ends with (longest first), if any."""
    lowered = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return suffix
    return None


def is_archive_url(source: str) -> bool:
    """An ``http(s)`` URL whose path names an archive (``.../archive/main.zip``)."""
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme.lower() not in ("http", "https"):
        return False
    return archive_suffix(parsed.path.rstrip("/")) is not None


def is_classic_template(directory: Path) -> bool:
    """A Django-style template directory: no ``copier.yml``, and at its top a
    ``project_name`` entry, a ``*-tpl`` or a ``.py`` file.

    Thibaud would copy any directory; one with none of these (a typo, a README
    alone) is more likely a mistake, and is refused as no template at all.
    """
    if not directory.is_dir() or has_template_config(directory):
        return False
    return any(
        CLASSIC_BASE_NAME in entry.name or entry.name.endswith(("-tpl", ".py"))
        for entry in directory.iterdir()
    )


def resolve_template(template: str | None, *, read_config: bool = True) -> TemplateSource:
    """What *template* names. ``None`` and ``"bundled"`` mean the bundled template.

    A local directory must exist and hold a copier.yml (with *read_config*, one that
    parses: a broken one raises :class:`TemplateError` naming its line) or be a
    Django-style template; an archive is one by path, ``file://`` URL or http(s) URL.
    Anything else URL-like is a git repository, left for git to fetch.
    """
    if template is None or template == BUNDLED_TEMPLATE:
        path = bundled_template_path()
        return TemplateSource(SourceKind.BUNDLED, str(path), BUNDLED_TEMPLATE, path)
    try:
        urllib.parse.urlsplit(template)
    except ValueError as error:  # "http://[::1/x.zip": a malformed IPv6 host
        raise TemplateSourceError(
            f"Template '{template}' is not a valid URL ({error}): check it, or give a directory."
        ) from error
    if is_archive_url(template):
        return TemplateSource(SourceKind.ARCHIVE_URL, template, template)
    local = template
    if template.startswith("file://"):
        local = urllib.parse.unquote(urllib.parse.urlsplit(template).path)
        if archive_suffix(local) is None:
            # copier reads a file:// URL as a git repository only with the git+ prefix.
            return TemplateSource(SourceKind.GIT, f"git+{template}", template)
    path = Path(local).expanduser()
    if path.exists():
        return _local_source(template, path.resolve(), read_config=read_config)
    if is_git_url(template):
        return TemplateSource(SourceKind.GIT, template, template)
    raise TemplateSourceError(
        f"Template '{template}' does not exist: give {_WHAT_TO_GIVE}, or leave --template "
        "out to use the bundled template."
    )


def _local_source(template: str, path: Path, *, read_config: bool) -> TemplateSource:
    # Recorded absolute: the answers must not depend on where the command ran.
    if path.is_file():
        if archive_suffix(path.name) is not None:
            return TemplateSource(SourceKind.ARCHIVE, str(path), str(path), path)
        raise TemplateSourceError(
            f"Template '{template}' is a file, not a template directory or archive: "
            f"give {_WHAT_TO_GIVE}."
        )
    if not has_template_config(path):
        _refuse_cookiecutter(template, path)
        if is_classic_template(path):
            return TemplateSource(SourceKind.CLASSIC, str(path), str(path), path)
        raise TemplateSourceError(
            f"Template '{template}' is neither a copier template (it has no copier.yml) nor a "
            f"Django-style one (no {CLASSIC_BASE_NAME} entry, *-tpl or .py file at its top): "
            f"give {_WHAT_TO_GIVE}."
        )
    if read_config:
        read_template_config(path)  # raises if its copier.yml is not valid
    return TemplateSource(SourceKind.LOCAL, str(path), str(path), path)


def _refuse_cookiecutter(template: str, path: Path) -> None:
    """A cookiecutter template (its ``{{cookiecutter.x}}`` syntax is neither copier's nor
    the framework's) would render as a Django-style one into a broken project."""
    if (path / _COOKIECUTTER_CONFIG).is_file():
        raise TemplateSourceError(
            f"Template '{template}' is a cookiecutter template ({_COOKIECUTTER_CONFIG}), "
            f"which thibaud-admin does not render: give {_WHAT_TO_GIVE}."
        )


def refuse_vcs_ref_without_git(source: TemplateSource, vcs_ref: str | None) -> None:
    """A ``--vcs-ref`` names a tag or commit: the template must be a git repository."""
    if vcs_ref is None or source.kind is SourceKind.GIT:
        return
    if source.kind is SourceKind.BUNDLED:
        raise UsageError(f"--vcs-ref {vcs_ref}: the bundled template has no git history.")
    if source.local_path is not None and not (source.local_path / ".git").exists():
        raise UsageError(
            f"--vcs-ref {vcs_ref}: '{source.recorded_as}' is not a git repository, so it has "
            "no tags or commits to pick from."
        )
