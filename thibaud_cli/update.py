"""``update``: bring a generated project up to a newer version of its template.

The whole project is rendered twice from the recorded answers: at the recorded
template version (base: for a git template the recorded commit, for the bundled one
its snapshot in ``template_history``) and at the newer version (theirs, where new
questions take their defaults or ``--data``). ``tree_merge`` decides every file
against the disk (ours). SECRET_KEY is not recorded, so both renders get the same
placeholder and the line that holds it merges to the user's real key.

Nothing is written before every file's new content is known. The files are then
written one by one, atomically, and the answers file last; if any write fails, the
ones already made are undone, so the project is left as it was.

With ``conflict="inline"`` the update writes git-style markers into the conflicting
files and still moves the answers file to the new version, as ``git merge`` leaves
a conflicted merge for the user to finish: the markers hold both sides, and a
second update from the old version would only conflict again on the lines the user
has resolved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from .answers import ANSWERS_FILENAME, Answers, load_answers
from .atomic import write_bytes_atomic
from .errors import (
    AnswersFileError,
    DirtyWorkingTreeError,
    TemplateError,
    UpdateConflictError,
    UsageError,
)
from .middleware import template_data
from .project import RESERVED_DATA_KEYS
from .rendering import BUNDLED_TEMPLATE, RenderedTemplate, render_template
from .template_history import BundledTemplates, version_sort_key
from .tree_merge import Action, FileChange, TemplateFile, merge_trees
from .versions import thibaud_cli_version

ConflictMode = Literal["refuse", "inline"]

# Base and theirs are rendered with the same stand-in for the unrecorded SECRET_KEY,
# so the template never seems to change the line and the user's key stays.
_SECRET_PLACEHOLDER = "regenerated-without-secret"


# How the summary names each action, and why a file was left alone.
_VERBS = {
    Action.UPDATE: ("updated", ""),
    Action.ADD: ("added", ""),
    Action.DELETE: ("removed", ""),
    Action.CONFLICT: ("CONFLICT", ""),
    Action.KEEP_DELETED: ("kept", " (you deleted it: it stays deleted)"),
    Action.KEEP_CHANGED: ("kept", " (the template dropped it, but you had changed it)"),
}


@dataclass(frozen=True)
class TemplateVersion:
    """One version of a project's template: its version and git commit, where known."""

    version: str | None
    commit: str | None

    def __str__(self) -> str:
        if self.commit and self.version and self.commit.lstrip("v") != self.version:
            return f"{self.version} ({self.commit})"
        return self.commit or self.version or "unknown"


@dataclass(frozen=True)
class UpdatePlan:
    """What an update from the project's template version to a newer one does."""

    project_dir: Path
    template: str
    current: TemplateVersion
    target: TemplateVersion
    #: Every file the update writes, removes, keeps or conflicts on, sorted by path.
    changes: tuple[FileChange, ...]
    #: The answers file once the update is done.
    answers: Answers

    @property
    def up_to_date(self) -> bool:
        return self.current == self.target

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        return tuple(change for change in self.changes if change.action is Action.CONFLICT)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)

    def describe_conflicts(self) -> str:
        return "".join(change.describe_conflicts() for change in self.conflicts)

    def summary(self) -> list[str]:
        """One line per file: what the update does (or did) to it."""
        lines = []
        for change in self.changes:
            verb, why = _VERBS[change.action]
            lines.append(f"  {verb:<9} {change.path}{why}")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The drift report of ``update --check --format json``."""
        return {
            "project_dir": str(self.project_dir),
            "template": self.template,
            "current_version": self.current.version,
            "current_commit": self.current.commit,
            "latest_version": self.target.version,
            "latest_commit": self.target.commit,
            "update_available": not self.up_to_date,
            "files": [
                {"path": change.path, "action": str(change.action)} for change in self.changes
            ],
        }


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of :func:`update_project`."""

    plan: UpdatePlan
    #: Whether the project was changed on disk (false for a dry run, or up to date).
    written: bool
    conflict_mode: ConflictMode


def check_for_update(
    project_dir: Path, *, trust: bool = False, bundled: BundledTemplates | None = None
) -> UpdatePlan:
    """Whether a newer template version exists, and what updating to it would change."""
    return plan_update(project_dir, trust=trust, bundled=bundled)


def plan_update(
    project_dir: Path,
    *,
    to: str | None = None,
    data: Mapping[str, str] | None = None,
    trust: bool = False,
    bundled: BundledTemplates | None = None,
) -> UpdatePlan:
    """Render both versions and merge every file in memory; write nothing."""
    user_data = dict(data or {})
    reserved = RESERVED_DATA_KEYS.intersection(user_data)
    if reserved:
        raise UsageError(f"--data {sorted(reserved)[0]}: thibaud-admin sets it itself.")
    answers = load_answers(project_dir)
    if answers.pending_asgi_middleware is not None:
        raise AnswersFileError(
            "A middleware change was interrupted: run 'thibaud-admin list-asgi-middleware' "
            "to finish or roll it back, then update."
        )
    source: _TemplateSource
    if answers.template == BUNDLED_TEMPLATE:
        source = _BundledSource(bundled or BundledTemplates.installed(), answers)
    else:
        source = _GitSource(answers)
    current = TemplateVersion(answers.template_version, answers.template_commit)
    if source.known_target(to) == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    theirs_data = {**_render_data(answers), **user_data}
    target, theirs, rendered = source.render_target(to, theirs_data, trust=trust)
    if target == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    base, _ = source.render_current(_render_data(answers), trust=trust)
    ours = _read_ours(project_dir, set(base) | set(theirs))
    new_answers = replace(
        answers,
        template_version=target.version,
        template_commit=target.commit,
        thibaud_cli_version=thibaud_cli_version(),
        template_answers={
            key: value for key, value in rendered.answers.items() if key != "project_name"
        },
    )
    return UpdatePlan(
        project_dir=project_dir,
        template=answers.template,
        current=current,
        target=target,
        changes=merge_trees(base, ours, theirs),
        answers=new_answers,
    )


def update_project(
    project_dir: Path,
    *,
    to: str | None = None,
    data: Mapping[str, str] | None = None,
    dry_run: bool = False,
    conflict: ConflictMode = "refuse",
    allow_dirty: bool = False,
    trust: bool = False,
    bundled: BundledTemplates | None = None,
) -> UpdateResult:
    """Update the project in *project_dir* to template version *to* (default: the newest).

    With ``conflict="refuse"`` a conflict in any file raises
    :class:`UpdateConflictError` and nothing is written; with ``"inline"`` the
    conflicting files get git-style markers, and the result lists them.
    """
    if not dry_run and not allow_dirty:
        refuse_uncommitted_changes(project_dir)
    plan = plan_update(project_dir, to=to, data=data, trust=trust, bundled=bundled)
    if plan.conflicts and conflict == "refuse":
        names = ", ".join(change.path for change in plan.conflicts)
        raise UpdateConflictError(
            f"{len(plan.conflicts)} file(s) conflict with the template's changes ({names}): "
            "nothing was written. Resolve them by hand, or run again with --conflict inline "
            "to get git-style conflict markers in those files.",
            conflicts=plan.describe_conflicts(),
        )
    if dry_run or (plan.up_to_date and not plan.changes):
        return UpdateResult(plan=plan, written=False, conflict_mode=conflict)
    apply_plan(plan)
    return UpdateResult(plan=plan, written=True, conflict_mode=conflict)


def apply_plan(plan: UpdatePlan) -> None:
    """Write every change of *plan* and then its answers file; undo all on failure."""
    journal = _Journal(plan.project_dir)
    try:
        for change in plan.changes:
            target = plan.project_dir / change.path
            if change.action is Action.DELETE:
                journal.remove(target)
            elif change.after is not None and change.action in (
                Action.UPDATE,
                Action.ADD,
                Action.CONFLICT,
            ):
                journal.write(target, change.after, mode=change.mode)
        journal.write(plan.project_dir / ANSWERS_FILENAME, plan.answers.to_yaml().encode())
    except BaseException:
        journal.undo()
        raise


class _Journal:
    """The writes made so far, and how to undo them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._restore: list[tuple[Path, bytes | None, int | None]] = []
        self._created_dirs: list[Path] = []
        self._removed_dirs: list[Path] = []

    def write(self, path: Path, content: bytes, *, mode: int | None = None) -> None:
        original, original_mode = _snapshot(path)
        self._make_parents(path)
        # Recorded once done: a write that fails changed nothing (it is atomic).
        write_bytes_atomic(path, content)
        self._restore.append((path, original, original_mode))
        if original is None and mode is not None:
            os.chmod(path, mode)

    def remove(self, path: Path) -> None:
        original, original_mode = _snapshot(path)
        path.unlink()
        self._restore.append((path, original, original_mode))
        # A directory the template dropped goes too, once nothing is left in it.
        parent = path.parent
        while parent != self.root and self.root in parent.parents and not any(parent.iterdir()):
            parent.rmdir()
            self._removed_dirs.append(parent)
            parent = parent.parent

    def _make_parents(self, path: Path) -> None:
        missing = [parent for parent in path.parents if self.root in parent.parents]
        for parent in reversed(missing):
            if not parent.exists():
                parent.mkdir()
                self._created_dirs.append(parent)

    def undo(self) -> None:
        for directory in reversed(self._removed_dirs):
            directory.mkdir(exist_ok=True)
        for path, original, mode in reversed(self._restore):
            if original is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes_atomic(path, original)
                if mode is not None:
                    os.chmod(path, mode)
        for directory in reversed(self._created_dirs):
            shutil.rmtree(directory, ignore_errors=True)


def _snapshot(path: Path) -> tuple[bytes | None, int | None]:
    if not path.is_file():
        return None, None
    return path.read_bytes(), path.stat().st_mode & 0o7777


def refuse_uncommitted_changes(project_dir: Path) -> None:
    """Raise :class:`DirtyWorkingTreeError` if the project is in a git tree with changes."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
    except (FileNotFoundError, NotADirectoryError):
        return  # no git, or no directory: load_answers() says which
    if status.returncode != 0:
        return  # not a git working tree: nothing to protect
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise DirtyWorkingTreeError(
            f"'{project_dir}' has uncommitted changes ({shown}): commit or stash them first, "
            "so that you can review the update with 'git diff' and undo it with "
            "'git checkout'. Pass --allow-dirty to update anyway."
        )


def _render_data(answers: Answers) -> dict[str, Any]:
    return {
        **answers.template_answers,
        "project_name": answers.project_name,
        "secret_key": _SECRET_PLACEHOLDER,
        **template_data(answers.asgi_middleware),
    }


def _render_tree(
    template: str, *, vcs_ref: str | None, data: Mapping[str, Any], trust: bool
) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
    with tempfile.TemporaryDirectory(prefix="thibaud-update-") as scratch:
        destination = Path(scratch) / "project"
        rendered = render_template(
            template,
            destination,
            data=data,
            trust=trust,
            vcs_ref=vcs_ref,
            # An update must not run the template's tasks on a scratch copy.
            run_tasks=False,
        )
        return _read_tree(destination), rendered


def _read_tree(root: Path) -> dict[str, TemplateFile]:
    tree: dict[str, TemplateFile] = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            path = Path(dirpath) / filename
            relative = path.relative_to(root).as_posix()
            if relative == ANSWERS_FILENAME or path.is_symlink():
                continue
            tree[relative] = TemplateFile(path.read_bytes(), path.stat().st_mode & 0o7777)
    return tree


def _read_ours(project_dir: Path, paths: set[str]) -> dict[str, bytes]:
    ours = {}
    for relative in paths:
        path = project_dir / relative
        if path.is_file():
            ours[relative] = path.read_bytes()
    return ours


class _TemplateSource(Protocol):
    """Renders the project's template at its recorded version, and at a newer one."""

    def known_target(self, to: str | None) -> TemplateVersion | None:
        """The version an update goes to, if known without rendering it."""

    def render_target(
        self, to: str | None, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]: ...

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]: ...


class _BundledSource:
    """The bundled template: versions are snapshots inside the package."""

    def __init__(self, bundled: BundledTemplates, answers: Answers) -> None:
        self.bundled = bundled
        self.answers = answers
        if answers.template_version is None:
            raise AnswersFileError(
                f"{ANSWERS_FILENAME} records no '_template_version': the template version the "
                "project was generated from is unknown, so it cannot be updated."
            )
        self.current_version = answers.template_version

    def known_target(self, to: str | None) -> TemplateVersion | None:
        return TemplateVersion(self._target_version(to), None)

    def _target_version(self, to: str | None) -> str:
        # The recorded version first: a project from a newer release needs that release.
        self.bundled.path_for(self.current_version)
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
        self, to: str | None, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]:
        version = self._target_version(to)
        tree, rendered = _render_tree(
            str(self.bundled.path_for(version)), vcs_ref=None, data=data, trust=trust
        )
        return TemplateVersion(version, None), tree, rendered

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
        template = str(self.bundled.path_for(self.current_version))
        return _render_tree(template, vcs_ref=None, data=data, trust=trust)


class _GitSource:
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

    def known_target(self, to: str | None) -> TemplateVersion | None:
        return None  # which commit a tag or branch names is known once copier fetched it

    def render_target(
        self, to: str | None, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[TemplateVersion, dict[str, TemplateFile], RenderedTemplate]:
        # Without --to, copier checks out the newest tag (PEP 440 order).
        tree, rendered = _render_tree(self.answers.template, vcs_ref=to, data=data, trust=trust)
        target = TemplateVersion(rendered.version, rendered.commit)
        if rendered.commit == self.current_commit:
            target = TemplateVersion(self.answers.template_version, self.current_commit)
        return target, tree, rendered

    def render_current(
        self, data: Mapping[str, Any], *, trust: bool
    ) -> tuple[dict[str, TemplateFile], RenderedTemplate]:
        return _render_tree(
            self.answers.template, vcs_ref=self.current_commit, data=data, trust=trust
        )
