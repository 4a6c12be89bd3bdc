"""Where an update's two renders come from: the project's template at two versions.

The bundled template's versions are the snapshots of ``template_history``; a git
template's are its tags and commits, checked out by copier. Either way a version is
rendered into a scratch directory and read into memory, without running the
template's tasks: whole, or only the files that differ between the two versions
when a git template lets that be told apart (``gitrefs.changed_sources``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from thibaud_cli.errors import AnswersFileError, TemplateError, UsageError
from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.fs.walk import walk_files
from thibaud_cli.merge.tree import TemplateFile
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers
from thibaud_cli.project.contract import discover_entry_points
from thibaud_cli.template.bundled import BundledTemplates, version_sort_key
from thibaud_cli.template.contract import declared_entry_points
from thibaud_cli.template.engine.render import RenderedTemplate, render_template
from thibaud_cli.template.gitrefs import (
    changed_sources,
    latest_tag,
    names_same_commit,
)
from thibaud_cli.template.source import BUNDLED_TEMPLATE, resolve_template
from thibaud_cli.vcs.metadata import is_vcs_metadata
from thibaud_cli.vcs.remote import remote_tags


@dataclass(frozen=True)
class TemplateVersion:
    """One version of a project's template: its version and git commit, where known."""

    version: str | None
    commit: str | None

    def __str__(self) -> str:
        if self.commit and self.version and self.commit.lstrip("v") != self.version:
            return f"{self.version} ({self.commit})"
        return self.commit or self.version or "unknown"


def render_tree(
    template: str,
    *,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    trust: bool,
    sources: frozenset[str] | None = None,
    target: bool = False,
) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
    """Render one version into scratch space and read it; the *target* version's render
    also renders the template's update messages."""
    with scratch_directory("update") as scratch:
        destination = scratch / "project"
        rendered = render_template(
            resolve_template(template),
            destination,
            data=data,
            trust=trust,
            vcs_ref=vcs_ref,
            # An update must not run the template's tasks on a scratch copy.
            run_tasks=False,
            sources=sources,
            operation="update" if target else None,
        )
        if sources is not None:
            # Only the changed files were rendered: nothing to discover the modules in
            # (the update keeps the recorded ones).
            return read_tree(destination), rendered
        declared = declared_entry_points(rendered.config, rendered.answers)
        found = discover_entry_points(destination, declared)
        return read_tree(destination), replace(rendered, entry_points=found)


def read_tree(root: Path) -> dict[str, TemplateFile]:
    """The rendered files under *root* by relative path; symlinks are not merged."""
    tree: dict[str, TemplateFile] = {}
    for path in walk_files(root):
        relative = path.relative_to(root).as_posix()
        if relative == ANSWERS_FILENAME or path.is_symlink():
            continue
        if is_vcs_metadata(relative):
            # render_template refuses these already; an update must never merge
            # into, write or delete the project's version-control metadata.
            raise TemplateError(
                f"The template renders {relative}, version-control metadata: refused, "
                "nothing was written."
            )
        tree[relative] = TemplateFile(path.read_bytes(), path.stat().st_mode & 0o7777)
    return tree


class TemplateVersions(Protocol):
    """Renders the project's template at its recorded version, and at a newer one."""

    def known_target(self, to: str | None) -> TemplateVersion | None:
        """The version an update goes to, if known without rendering it."""

    def newest(self) -> TemplateVersion | None:
        """The version an update goes to by default, as far as it is known without
        rendering it (a git template's newest tag; None: it has none)."""

    def changed_sources(self, to: str | None) -> frozenset[str] | None:
        """The template files that differ between the two versions, when rendering only
        those gives the same update as rendering all (None: render all)."""

    def render_target(
        self,
        to: str | None,
        data: Mapping[str, Any],
        *,
        trust: bool,
        sources: frozenset[str] | None = None,
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]: ...

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool, sources: frozenset[str] | None = None
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]: ...


class BundledSource:
    """The bundled template: versions are snapshots inside the package."""

    def __init__(self, bundled: BundledTemplates, answers: Answers) -> None:
        self.bundled = bundled
        self.answers = answers
        if answers.template_version is None:
            raise AnswersFileError(
                f"{ANSWERS_FILENAME} records no '_template_version': the template version the "
                "project was generated from is unknown, so it cannot be updated."
            )
        self.current_version = bundled.recorded(answers.template_version)

    def known_target(self, to: str | None) -> TemplateVersion | None:
        return TemplateVersion(self._target_version(to), None)

    def newest(self) -> TemplateVersion | None:
        return TemplateVersion(self._target_version(None), None)

    def changed_sources(self, to: str | None) -> frozenset[str] | None:
        return None  # a dozen small files: rendering them all costs little

    def _target_version(self, to: str | None) -> str:
        version = to if to is not None else self.bundled.latest_version
        known = self.bundled.versions()
        if version not in known:
            raise UsageError(
                f"--to {version}: the bundled template has versions {', '.join(known)}."
            )
        if version_sort_key(version) < version_sort_key(self.current_version):
            raise UsageError(
                f"--to {version}: the project is at template version {self.current_version} "
                "already; update only moves forward."
            )
        return version

    def render_target(
        self,
        to: str | None,
        data: Mapping[str, Any],
        *,
        trust: bool,
        sources: frozenset[str] | None = None,
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]:
        version = self._target_version(to)
        tree, rendered = render_tree(
            str(self.bundled.path_for(version)), vcs_ref=None, data=data, trust=trust, target=True
        )
        return TemplateVersion(version, None), tree, rendered

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool, sources: frozenset[str] | None = None
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
        template = str(self.bundled.path_for(self.current_version))
        return render_tree(template, vcs_ref=None, data=data, trust=trust)


class GitSource:
    """A git template: versions are its tags and commits, checked out by copier."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        if answers.template_commit is None:
            raise TemplateError(
                f"The project's template '{answers.template}' is not a git repository (the "
                f"answers file records no commit), so the version the project was generated "
                "from cannot be rendered again. Updates need a git template with tags."
            )
        self.current_commit = answers.template_commit

    @cached_property
    def _tags(self) -> dict[str, str]:
        return remote_tags(self.answers.template)

    def known_target(self, to: str | None) -> TemplateVersion | None:
        # Without --to, copier checks out the newest tag (PEP 440 order): when it names
        # the recorded commit, the project is up to date, and git says so without a
        # clone. Any other case is known once copier has checked the version out.
        if to is not None:
            return None
        newest = latest_tag(self._tags)
        if newest is not None and names_same_commit(
            self.current_commit, self._tags[newest], self._tags
        ):
            return TemplateVersion(self.answers.template_version, self.current_commit)
        return None

    def newest(self) -> TemplateVersion | None:
        from packaging.version import Version

        tag = latest_tag(self._tags)
        if tag is None:
            return None
        # As copier records it: the PEP 440 version, and the tag as git describes it.
        return TemplateVersion(str(Version(tag)), tag)

    def changed_sources(self, to: str | None) -> frozenset[str] | None:
        target = to if to is not None else latest_tag(self._tags)
        if target is None:
            return None
        try:
            return changed_sources(self.answers.template, self.current_commit, target)
        except TemplateError:
            return None  # copier, rendering everything, says what is wrong in its words

    def render_target(
        self,
        to: str | None,
        data: Mapping[str, Any],
        *,
        trust: bool,
        sources: frozenset[str] | None = None,
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]:
        tree, rendered = render_tree(
            self.answers.template,
            vcs_ref=to,
            data=data,
            trust=trust,
            sources=sources,
            target=True,
        )
        target = TemplateVersion(rendered.version, rendered.commit)
        if rendered.commit == self.current_commit:
            target = TemplateVersion(self.answers.template_version, self.current_commit)
        return target, tree, rendered

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool, sources: frozenset[str] | None = None
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
        return render_tree(
            self.answers.template,
            vcs_ref=self.current_commit,
            data=data,
            trust=trust,
            sources=sources,
        )


def template_versions(
    answers: Answers, bundled: BundledTemplates | None = None
) -> TemplateVersions:
    """The versions of the template *answers* records (*bundled*: for tests)."""
    if answers.template == BUNDLED_TEMPLATE:
        return BundledSource(bundled or BundledTemplates.installed(), answers)
    return GitSource(answers)
