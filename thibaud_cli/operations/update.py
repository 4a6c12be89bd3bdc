"""``update``: bring a generated project up to a newer version of its template.

The whole project is rendered twice from the recorded answers: at the recorded
template version (base: for a git template the recorded commit, for the bundled one
its snapshot in ``template_history``) and at the newer version (theirs, where new
questions take their defaults or ``--data``). ``tree_merge`` decides every file
against the disk (ours). SECRET_KEY is not recorded, so both renders get the same
placeholder and the line that holds it merges to the user's real key.

Nothing is written before every file's new content is known. Every file and the
answers file then change in one transaction under the project's lock
(``fs.transaction``): if any write fails the ones already made are undone, and an
update killed half-way is rolled back by the next command that writes the project.
``--check`` and ``--dry-run`` write nothing, and refuse a half-changed project.

With ``conflict="inline"`` the update writes git-style markers into the conflicting
files and still moves the answers file to the new version, as ``git merge`` leaves
a conflicted merge for the user to finish: the markers hold both sides, and a
second update from the old version would only conflict again on the lines the user
has resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from thibaud_cli.errors import (
    MissingAnswerError,
    TaskError,
    UnsafeTemplateError,
    UpdateConflictError,
)
from thibaud_cli.fs.journal import refuse_interrupted
from thibaud_cli.fs.transaction import change_project
from thibaud_cli.merge.tree import Action, FileChange, TemplateFile, merge_trees
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers, load_answers
from thibaud_cli.project.installed import thibaud_cli_version
from thibaud_cli.project.worktree import refuse_uncommitted_changes, restored_on_failure
from thibaud_cli.template.bundled import BundledTemplates
from thibaud_cli.template.data import (
    refuse_reserved_keys,
    refuse_unknown_questions,
    regeneration_data,
)
from thibaud_cli.template.engine.render import RenderedTemplate
from thibaud_cli.template.secrets import mask_diff, secrets_shown
from thibaud_cli.template.versions import TemplateVersion, template_versions
from thibaud_cli.vcs.git import refuse_unvetted_config

ConflictMode = Literal["refuse", "inline"]


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
    #: Whether the target version has ``_tasks`` / ``_migrations`` (copier runs them).
    has_tasks: bool = False
    has_migrations: bool = False
    #: Why ``update --check`` knows the versions but not the files (None: it knows both).
    unplanned: str | None = None
    #: The target version's ``_message_before_update`` and ``_message_after_update``.
    messages: Mapping[str, str] = field(default_factory=dict)
    #: The project's secrets the diff may hold (its SECRET_KEY, secret answers): masked.
    secret_values: frozenset[str] = frozenset()

    @property
    def up_to_date(self) -> bool:
        return self.current == self.target

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        return tuple(change for change in self.changes if change.action is Action.CONFLICT)

    def diff(self) -> str:
        """The diff of what the update writes, its secrets masked."""
        return mask_diff("".join(change.diff() for change in self.changes), self.secret_values)

    def describe_conflicts(self, *, with_markers: bool = False) -> str:
        """The conflicts, each at its line in the file as it is or, *with_markers* (an
        update with ``conflict="inline"``), at its ``<<<<<<<`` in the file written;
        secrets masked, as in the diff."""
        return mask_diff(
            "".join(
                change.describe_conflicts(with_markers=with_markers) for change in self.conflicts
            ),
            self.secret_values,
        )

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
            "files_unknown": self.unplanned,
        }


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of :func:`update_project`."""

    plan: UpdatePlan
    #: Whether the project was changed on disk (false for a dry run, or up to date).
    written: bool
    conflict_mode: ConflictMode
    #: Set when a change a killed command left was rolled back first.
    recovery: str | None = None


def check_for_update(
    project_dir: Path, *, trust: bool = False, bundled: BundledTemplates | None = None
) -> UpdatePlan:
    """Whether a newer template version exists, and what updating to it would change.

    The versions are compared without rendering anything. Telling which files change
    takes a render of the newer version: without *trust* a template with Jinja
    extensions cannot be rendered, and a new question without a default cannot be
    answered by a check; either way the update is still reported, with the reason
    its files are not listed (``unplanned``), as ``copier check-update`` reports it.
    """
    refuse_interrupted(project_dir)
    try:
        return plan_update(project_dir, trust=trust, bundled=bundled)
    except (UnsafeTemplateError, MissingAnswerError) as error:
        answers = load_answers(project_dir)
        current = TemplateVersion(answers.template_version, answers.template_commit)
        target = template_versions(answers, bundled).newest()
        if target is None or target == current:
            raise
        if isinstance(error, MissingAnswerError):
            # Every one the render found unanswered, not only the first copier asked.
            named = ", ".join(f"'{question}'" for question in error.questions)
            give = " ".join(f"--data {question}=VALUE" for question in error.questions)
            many = len(error.questions) > 1
            asks = "new questions" if many else "a new question"
            why = (
                f"version {target} asks {asks}, {named}, with no default: "
                f"give {'them' if many else 'it'} with {give} when you update"
            )
        else:
            why = (
                "the template's Jinja extensions run code on this machine: pass --trust to "
                "see which files the update changes"
            )
        return UpdatePlan(
            project_dir, answers.template, current, target, (), answers, unplanned=why
        )


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
    answers = load_answers(project_dir)
    refuse_reserved_keys(
        user_data,
        name_question=answers.name_question,
        name_given="startproject gave it, and an update keeps it",
    )
    if not trust:
        # Asking git for the newest version reads the template repository: its own
        # configuration is vetted first, as for a render.
        local = Path(answers.template).expanduser()
        if local.is_dir() and (local / ".git").exists():
            refuse_unvetted_config(local)
    source = template_versions(answers, bundled)
    current = TemplateVersion(answers.template_version, answers.template_commit)
    if source.known_target(to) == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    theirs_data = {**regeneration_data(answers), **user_data}
    # --data may change any file; otherwise files the versions share render the same
    # in both and merge to what is on disk, so they need not be rendered at all.
    sources = None if user_data else source.changed_sources(to)
    target, theirs, rendered = source.render_target(to, theirs_data, trust=trust, sources=sources)
    # As startproject: a --data key the (newer) template does not ask about is a typo.
    # The name question is not one --data answers: not listed as one either.
    refuse_unknown_questions(user_data, rendered.questions - {answers.name_question or ""})
    if target == current and not user_data:
        return UpdatePlan(project_dir, answers.template, current, current, (), answers)
    base, base_rendered = source.render_current(
        regeneration_data(answers), trust=trust, sources=sources
    )
    ours = _read_ours(project_dir, set(base) | set(theirs))
    secret_values = _secrets_shown(base, ours, (base_rendered, rendered), user_data)
    new_answers = replace(
        answers,
        template_version=target.version,
        template_commit=target.commit,
        thibaud_cli_version=thibaud_cli_version(),
        template_answers={
            key: value for key, value in rendered.answers.items() if key != answers.name_question
        },
        entry_points=rendered.entry_points or answers.entry_points,
    )
    return UpdatePlan(
        project_dir=project_dir,
        template=answers.template,
        current=current,
        target=target,
        changes=merge_trees(base, ours, theirs),
        answers=new_answers,
        has_tasks=bool(rendered.config.get("tasks")),
        has_migrations=bool(rendered.config.get("migrations")),
        messages={str(stage): text for stage, text in rendered.messages.items()},
        secret_values=secret_values,
    )


def _secrets_shown(
    base: Mapping[str, TemplateFile],
    ours: Mapping[str, bytes],
    renders: tuple[RenderedTemplate, RenderedTemplate],
    user_data: Mapping[str, str],
) -> frozenset[str]:
    """The secrets the update's diff may show (:func:`secrets_shown` decides): the
    secret answers both renders had and the ones given with --data, and what the
    current version's render stands in for in the files on disk."""
    questions = {name for render in renders for name in render.secret_questions}
    return secrets_shown(
        (
            (file.content.decode("utf-8", "replace"), ours[path].decode("utf-8", "replace"))
            for path, file in base.items()
            if path in ours
        ),
        rendered_values=[value for render in renders for value in render.secret_values],
        stand_ins=renders[0].secret_values,
        given=[value for key, value in user_data.items() if key in questions],
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
    skip_tasks: bool = False,
    on_message: Callable[[str], None] | None = None,
) -> UpdateResult:
    """Update the project in *project_dir* to template version *to* (default: the newest).

    With ``conflict="refuse"`` a conflict in any file raises
    :class:`UpdateConflictError` and nothing is written; with ``"inline"`` the
    conflicting files get git-style markers, and the result lists them.

    A target version with ``_tasks`` or ``_migrations`` needs *trust*; they then run
    in the project as ``copier update`` runs them (migrations before and after the
    files change, then tasks; *skip_tasks* leaves the tasks out). A dry run runs nothing.
    The template's update messages go to *on_message*, before and after the update.
    """
    if dry_run:
        refuse_interrupted(project_dir)
        plan = plan_update(project_dir, to=to, data=data, trust=trust, bundled=bundled)
        _refuse_conflicts(plan, conflict)
        return UpdateResult(plan=plan, written=False, conflict_mode=conflict)
    with change_project(project_dir, operation="update", repair=_repair(project_dir)) as change:
        plan = plan_update(project_dir, to=to, data=data, trust=trust, bundled=bundled)
        _refuse_conflicts(plan, conflict)
        written = not (plan.up_to_date and not plan.changes)
        if written:
            if not allow_dirty:
                # Asked of git only once the update is known to write something.
                refuse_uncommitted_changes(project_dir)
            show = on_message or (lambda _message: None)
            if plan.messages.get("before"):
                show(plan.messages["before"])
            _apply(plan, trust=trust, skip_tasks=skip_tasks)
            if plan.messages.get("after"):
                show(plan.messages["after"])
        return UpdateResult(plan, written, conflict, recovery=change.recovered)


def _refuse_conflicts(plan: UpdatePlan, conflict: ConflictMode) -> None:
    if plan.conflicts and conflict == "refuse":
        names = ", ".join(change.path for change in plan.conflicts)
        raise UpdateConflictError(
            f"{len(plan.conflicts)} file(s) conflict with the template's changes ({names}): "
            "nothing was written. Resolve them by hand, or run again with --conflict inline "
            "to get git-style conflict markers in those files.",
            conflicts=plan.describe_conflicts(),
        )


def _repair(project_dir: Path) -> str:
    return (
        f"Run 'thibaud-cli update --project-dir {project_dir}' again (it rolls the "
        "interrupted one back first), or any other command that changes the project."
    )


def _apply(plan: UpdatePlan, *, trust: bool, skip_tasks: bool) -> None:
    """Write *plan*; a git template's migrations and tasks around it, as copier runs them.

    All or nothing: the template's code is made ready (checked out, answers known,
    extensions loaded) before anything changes, and if a migration or a task fails,
    every file is put back as it was, those the template's code changed included.
    """
    runs_code = plan.has_migrations or (plan.has_tasks and not skip_tasks)
    if not runs_code or plan.current.commit is None:
        apply_plan(plan)  # the bundled template runs nothing
        return
    if not trust:
        what = " and ".join(
            name
            for name, present in (("migrations", plan.has_migrations), ("tasks", plan.has_tasks))
            if present and (name == "migrations" or not skip_tasks)
        )
        raise UnsafeTemplateError(
            f"Template version {plan.target} has {what}, which run code on this machine: "
            "nothing was written. If you trust the template, pass --trust"
            + (
                " (or --skip-tasks to update without its tasks)."
                if not plan.has_migrations
                else "."
            )
        )
    from thibaud_cli.template.engine.copier_support import update_tasks

    with update_tasks(
        plan.template,
        plan.project_dir,
        from_ref=plan.current.commit,
        to_ref=plan.target.commit,
        answers=regeneration_data(plan.answers),
    ) as tasks:
        repair = _repair(plan.project_dir)
        try:
            with restored_on_failure(plan.project_dir, operation="update", repair=repair):
                tasks.run_migrations("before")
                apply_plan(plan)
                tasks.run_migrations("after")
                if not skip_tasks:
                    tasks.run_tasks()
        except TaskError as error:
            raise TaskError(
                f"{error}. The update was undone: every file of the project is as it was."
            ) from error


def apply_plan(plan: UpdatePlan) -> None:
    """Write every change of *plan* and its answers file in one transaction: all or none."""
    repair = _repair(plan.project_dir)
    with change_project(plan.project_dir, operation="update", repair=repair) as change:
        for file in plan.changes:
            if file.action is Action.DELETE:
                change.remove(file.path)
            elif file.after is not None and file.action in (
                Action.UPDATE,
                Action.ADD,
                Action.CONFLICT,
            ):
                change.write(file.path, file.after, mode=file.mode)
        change.write(ANSWERS_FILENAME, plan.answers.to_yaml().encode("utf-8"))
        change.commit()


def _read_ours(project_dir: Path, paths: set[str]) -> dict[str, bytes]:
    ours = {}
    for relative in paths:
        path = project_dir / relative
        if path.is_file():
            ours[relative] = path.read_bytes()
    return ours
