"""Where a template comes from: the one place that interprets ``--template``.

Every command asks :func:`resolve_template` what a ``--template`` value (or the
source recorded in an answers file) names: the bundled template, a local
directory, or a git repository. What copier is handed, what the answers file
records, and whether there is a local directory to read are decided here alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from thibaud_cli.errors import TemplateError, UsageError
from thibaud_cli.template.config import CONFIG_FILENAMES, read_template_config

#: How the bundled template is named on the command line and in answers files: a
#: stable name rather than a site-packages path that changes with every install.
BUNDLED_TEMPLATE = "bundled"

_GIT_URL_PREFIXES = ("git@", "git+", "gh:", "gl:", "https://", "http://", "ssh://", "file://")


class SourceKind(StrEnum):
    """What kind of place a template comes from."""

    BUNDLED = "bundled"
    LOCAL = "local"
    GIT = "git"


@dataclass(frozen=True)
class TemplateSource:
    """A resolved template source."""

    kind: SourceKind
    #: What copier is given (a directory path, or a URL it can clone).
    copier_source: str
    #: How the answers file records it: ``bundled``, an absolute path, or the URL.
    recorded_as: str
    #: The template's directory on this machine, when it is one.
    local_path: Path | None = None


def bundled_template_path() -> Path:
    """Where the bundled template lives: inside the wheel, or at the repository root."""
    package_dir = Path(__file__).resolve().parents[1]
    installed = package_dir / "templates" / "project"
    if installed.is_dir():
        return installed
    return package_dir.parent / "templates" / "project"


def is_git_url(source: str) -> bool:
    """Whether *source* names a git repository rather than a local directory."""
    return source.startswith(_GIT_URL_PREFIXES) or source.endswith(".git")


def has_template_config(directory: Path) -> bool:
    """Whether *directory* holds a ``copier.yml`` (valid or not)."""
    return any((directory / name).is_file() for name in CONFIG_FILENAMES)


def resolve_template(template: str | None, *, read_config: bool = True) -> TemplateSource:
    """What *template* names. ``None`` and ``"bundled"`` mean the bundled template.

    A local directory must exist and hold a copier.yml; with *read_config* that file
    must also parse (a broken one raises :class:`TemplateError` naming its line).
    Anything URL-like is left for git to fetch.
    """
    if template is None or template == BUNDLED_TEMPLATE:
        path = bundled_template_path()
        return TemplateSource(SourceKind.BUNDLED, str(path), BUNDLED_TEMPLATE, path)
    path = Path(template).expanduser()
    if path.exists():
        if not path.is_dir():
            raise TemplateError(
                f"Template '{template}' is a file, not a template directory: "
                "give a directory with a copier.yml, or a git URL."
            )
        if read_config or not has_template_config(path):
            read_template_config(path)  # raises if it is not a (valid) copier template
        # Recorded absolute: the answers must not depend on where the command ran.
        resolved = path.resolve()
        return TemplateSource(SourceKind.LOCAL, str(resolved), str(resolved), resolved)
    if template.startswith("file://"):
        # copier reads a file:// URL as a git repository only with the git+ prefix.
        return TemplateSource(SourceKind.GIT, f"git+{template}", template)
    if is_git_url(template):
        return TemplateSource(SourceKind.GIT, template, template)
    raise TemplateError(
        f"Template '{template}' does not exist: give a directory with a copier.yml, "
        "a git URL, or leave --template out to use the bundled template."
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
