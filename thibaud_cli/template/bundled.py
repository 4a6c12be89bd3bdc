"""Every released version of the bundled template, kept renderable by later releases.

``thibaud-admin update`` merges three ways, and the base must be exactly what the
project's recorded template version rendered. For git templates copier checks the
recorded commit out. The bundled template has no repository the user can reach, so
each version a release shipped is kept in the package, whole, under
``templates/history/<version>/`` (shipped in the wheel beside ``templates/project``).

Why whole copies rather than diffs between versions: the template is a dozen small
text files, so a copy per version costs a few kilobytes, and rendering a copy is
exactly what the release that shipped it did; a chain of diffs would have to be
applied in order, correctly, forever, and one bad diff would silently corrupt the
base of every later merge. The rule that keeps this exact is tested: the current
template's version must have a snapshot identical to ``templates/project``, so a
change to the template without a version bump (and a new snapshot) fails the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import TemplateError, UsageError
from thibaud_cli.template.engine.config import template_version
from thibaud_cli.template.source import (
    BUNDLED_TEMPLATE,
    SourceKind,
    TemplateSource,
    bundled_template_path,
)


def version_sort_key(version: str) -> tuple[int, ...] | tuple[float, str]:
    """Order versions numerically ("10" after "9"), dotted ones part by part."""
    parts = version.split(".")
    if all(part.isdigit() for part in parts):
        return tuple(int(part) for part in parts)
    # A version that is not numbers sorts after every numbered one, by its text.
    return (float("inf"), version)


def default_history_path() -> Path:
    """Where the snapshots live: inside the wheel, or at the repository root."""
    return bundled_template_path().parent / "history"


@dataclass(frozen=True)
class BundledTemplates:
    """The current bundled template and the snapshots of every released version."""

    current: Path
    history: Path

    @classmethod
    def installed(cls) -> BundledTemplates:
        return cls(current=bundled_template_path(), history=default_history_path())

    @property
    def latest_version(self) -> str:
        return template_version(self.current)

    def versions(self) -> list[str]:
        """Every version this release can render, oldest first."""
        found = {self.latest_version}
        if self.history.is_dir():
            found.update(entry.name for entry in self.history.iterdir() if entry.is_dir())
        return sorted(found, key=version_sort_key)

    def path_for(self, version: str) -> Path:
        """The template directory that renders *version* exactly."""
        snapshot = self.history / version
        if snapshot.is_dir():
            declared = template_version(snapshot)
            if declared != version:
                raise TemplateError(
                    f"The snapshot of bundled template version {version} declares version "
                    f"{declared}: this installation of thibaud-cli is damaged; reinstall it."
                )
            return snapshot
        if version == self.latest_version:
            return self.current
        known = ", ".join(self.versions())
        if version_sort_key(version) > version_sort_key(self.latest_version):
            raise TemplateError(
                f"Bundled template version {version} is newer than this thibaud-admin knows "
                f"(versions {known}): upgrade thibaud-cli to a release that has it."
            )
        raise TemplateError(
            f"Bundled template version {version} is not one this thibaud-admin can render "
            f"(versions {known})."
        )


def bundled_template_version() -> str:
    """The version of the bundled template, recorded in the answers of every project."""
    return template_version(bundled_template_path())


def bundled_version_source(
    version: str, *, bundled: BundledTemplates | None = None
) -> TemplateSource:
    """The bundled template at an older (or the current) released *version*, as
    ``startproject --vcs-ref VERSION`` renders it: its snapshot, recorded as the
    bundled template at that version, so that ``update`` takes the project on."""
    bundled = bundled or BundledTemplates.installed()
    known = bundled.versions()
    if version not in known:
        raise UsageError(
            f"--vcs-ref {version}: the bundled template has versions {', '.join(known)}."
        )
    path = bundled.path_for(version)
    return TemplateSource(SourceKind.BUNDLED, str(path), BUNDLED_TEMPLATE, path)
