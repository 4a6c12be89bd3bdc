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

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thibaud_cli.errors import AnswersFileError, TemplateError, UsageError
from thibaud_cli.project.answers import ANSWERS_FILENAME
from thibaud_cli.template.engine.config import template_version
from thibaud_cli.template.source import (
    BUNDLED_TEMPLATE,
    SourceKind,
    TemplateSource,
    bundled_template_path,
)

if TYPE_CHECKING:
    from packaging.version import Version

#: How the bundled template's versions are written: numbers, dotted, no leading zeros.
_NUMBERED = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")


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
        self.recorded(version)  # which says what is wrong with it
        raise TemplateError(f"Bundled template version {version} has no snapshot.")

    def recorded(self, version: str) -> str:
        """*version*, as a project's answers file records the bundled template's: one of
        :meth:`versions`, written as they are. The one decision of it (the answers file
        checks only that it is a version): anything else is refused in one line saying
        what is wrong and how to fix it. Only a version written as ours are and newer
        than them all asks for a newer thibaud-cli."""
        known = self.versions()
        if version in known:
            return version
        listed = ", ".join(known)
        parsed = _version(version)
        same = [each for each in known if parsed is not None and _version(each) == parsed]
        if same:
            raise AnswersFileError(
                f"{ANSWERS_FILENAME} records bundled template version '{version}', which "
                f"thibaud-admin writes '{same[0]}': write '_template_version: \"{same[0]}\"' "
                "there (or restore the file from version control)."
            )
        latest = _version(self.latest_version)
        if (
            parsed is not None
            and latest is not None
            and _NUMBERED.fullmatch(version)
            and parsed > latest
        ):
            raise TemplateError(
                f"Bundled template version {version} is newer than this thibaud-admin knows "
                f"(versions {listed}): upgrade thibaud-cli to a release that has it."
            )
        raise AnswersFileError(
            f"{ANSWERS_FILENAME} records bundled template version '{version}', not one "
            f"thibaud-admin has released (versions {listed}): restore the file from version "
            "control (git checkout -- .thibaud-answers.yml)."
        )


def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


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
