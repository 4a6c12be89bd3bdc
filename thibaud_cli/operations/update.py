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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from thibaud_cli.errors import (
    AnswersFileError,
    UpdateConflictError,
)
from thibaud_cli.fs.journal import WriteJournal
from thibaud_cli.merge.tree import Action, FileChange, merge_trees
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers, load_answers
from thibaud_cli.project.installed import thibaud_cli_version
from thibaud_cli.project.worktree import refuse_uncommitted_changes
from thibaud_cli.template.bundled import BundledTemplates
from thibaud_cli.template.data import refuse_reserved_keys, regeneration_data
from thibaud_cli.template.versions import TemplateVersion, template_versions

ConflictMode = Literal["refuse", "inline"]

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
    refuse_reserved_keys(user_data)
    answers = load_answers(project_dir)
    if answers.pending_asgi_middleware is not None:
        raise AnswersFileError(
            "A middleware change was interrupted: run 'thibaud-admin list-asgi-middleware' "
            "to finish or roll it back, then update."
        )
    source = template_versions(answers, bundled)
    current = TemplateVersion(answers.template_version, answers.template_commit)
    if source.known_target(to) == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    theirs_data = {**regeneration_data(answers), **user_data}
    # --data may change any file; otherwise files the versions share render the same
    # in both and merge to what is on disk, so they need not be rendered at all.
    sources = None if user_data else source.changed_sources(to)
    target, theirs, rendered = source.render_target(to, theirs_data, trust=trust, sources=sources)
    if target == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    base, _ = source.render_current(regeneration_data(answers), trust=trust, sources=sources)
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
    plan = plan_update(project_dir, to=to, data=data, trust=trust, bundled=bundled)
    writes = not dry_run and not (plan.up_to_date and not plan.changes)
    if writes and not allow_dirty:
        # Asked of git only once the update is known to write something.
        refuse_uncommitted_changes(project_dir)
    if plan.conflicts and conflict == "refuse":
        names = ", ".join(change.path for change in plan.conflicts)
        raise UpdateConflictError(
            f"{len(plan.conflicts)} file(s) conflict with the template's changes ({names}): "
            "nothing was written. Resolve them by hand, or run again with --conflict inline "
            "to get git-style conflict markers in those files.",
            conflicts=plan.describe_conflicts(),
        )
    if not writes:
        return UpdateResult(plan=plan, written=False, conflict_mode=conflict)
    apply_plan(plan)
    return UpdateResult(plan=plan, written=True, conflict_mode=conflict)


def apply_plan(plan: UpdatePlan) -> None:
    """Write every change of *plan* and then its answers file; undo all on failure."""
    journal = WriteJournal(plan.project_dir)
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


def _read_ours(project_dir: Path, paths: set[str]) -> dict[str, bytes]:
    ours = {}
    for relative in paths:
        path = project_dir / relative
        if path.is_file():
            ours[relative] = path.read_bytes()
    return ours
