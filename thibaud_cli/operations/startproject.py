"""``startproject``: render a template into a new project, all or nothing.

Into a new directory, the project is rendered beside it and appears by one rename.
Into an existing one, it is rendered in a scratch directory, then its files are
written in one transaction under the directory's lock (``fs.transaction``): a run
killed half-way is rolled back by the next command that writes there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from thibaud_cli.errors import (
    DestinationError,
    NotACopierTemplateError,
    TargetsDjangoError,
    TaskError,
)
from thibaud_cli.fs.atomic import staging_directory
from thibaud_cli.fs.permissions import apply_umask
from thibaud_cli.fs.scratch import remove_stale, scratch_directory
from thibaud_cli.fs.walk import walk_files
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers
from thibaud_cli.project.contract import (
    EntryPoints,
    dependency_dir,
    discover_entry_points,
    install_arguments,
)
from thibaud_cli.project.declared import declared_requirements
from thibaud_cli.project.framework import (
    declared_targets_django,
    describe_django_dependency,
    project_targets_django,
)
from thibaud_cli.project.installed import thibaud_cli_version, thibaud_version
from thibaud_cli.project.names import refuse_dependency_clash, validate_project_name
from thibaud_cli.project.requirements import Dependencies, dependencies_of
from thibaud_cli.template.bundled import bundled_version_source
from thibaud_cli.template.classic.fetch import check_classic_options, render_classic_source
from thibaud_cli.template.classic.render import ClassicOptions, refuse_options_for_copier
from thibaud_cli.template.contract import declared_entry_points
from thibaud_cli.template.data import (
    generate_secret_key,
    refuse_reserved_keys,
    refuse_unknown_questions,
    render_data,
)
from thibaud_cli.template.engine.config import declared_version, read_template_config
from thibaud_cli.template.engine.render import (
    RenderedTemplate,
    RenderOptions,
    RenderSession,
    open_render,
)
from thibaud_cli.template.naming import find_name_question, split_config
from thibaud_cli.template.source import (
    SourceKind,
    TemplateSource,
    refuse_vcs_ref_without_git,
    resolve_template,
)


@dataclass(frozen=True)
class StartedProject:
    """What :func:`start_project` wrote (or, in a dry run, would write)."""

    name: str
    directory: Path
    files: tuple[Path, ...]
    dry_run: bool
    #: Where the project keeps its settings, ASGI and WSGI modules (recorded in the
    #: answers file of a copier template's project; found, for the hint, in a
    #: Django-style one's).
    entry_points: EntryPoints | None = None
    #: Set when a run into the same directory that was killed was rolled back first.
    recovery: str | None = None
    #: The template's question the name answered; None when the template has no
    #: question that names its package (the name then names only the directory).
    name_question: str | None = None
    #: Whether the name answered a question (always, for Django-style templates).
    named_package: bool = True
    #: The distributions the project declares (canonical names, for the answers
    #: given), and what ``pip install`` takes, in the project's directory, to install
    #: them (``-e .``, ``-r site/requirements.txt``; empty when it declares none).
    requirements: frozenset[str] = frozenset()
    install: tuple[str, ...] = ()
    #: The directory's own files the template also has, kept instead of the template's
    #: (a new repository's README.md, LICENSE, .gitignore; see ``REPOSITORY_FILES``).
    kept: tuple[Path, ...] = ()


#: Where the template's messages go (``_message_before_copy``, ``_message_after_copy``).
MessageSink = Callable[[str], None]


def start_project(
    name: str,
    directory: Path | None = None,
    *,
    template: str | None = None,
    data: Mapping[str, str] | None = None,
    dry_run: bool = False,
    trust: bool = False,
    classic_options: ClassicOptions | None = None,
    interactive: bool = False,
    vcs_ref: str | None = None,
    skip_tasks: bool = False,
    python_path: Sequence[Path] = (),
    on_message: MessageSink | None = None,
) -> StartedProject:
    """Render *template* (default: the bundled one) as project *name*.

    Without *directory*, the project goes into ``./name``, which must not exist.
    With it, into *directory*, which may exist but must not hold any file the
    template would write. Either way the files are rendered into a staging
    directory first and moved into place only once all of them exist, so a failure
    at any point leaves no trace. A Django-style template (no copier.yml) is rendered
    as Thibaud renders it, with *classic_options* (``-e``/``-n``/``-x``).

    *name* answers the question that names the project's package: the one the
    template declares (``_thibaud.name_question``), else the one found in its file
    names (:mod:`~thibaud_cli.template.naming`). *vcs_ref* picks a git template's tag
    or commit (default: the newest tag). The template's tasks run in the project once
    it is in place, as copier runs them; if one fails, the project is removed (or, in
    an existing directory, every file put back as it was). With *skip_tasks* (and in
    a dry run) they do not run. The template's messages go to *on_message*.
    With *interactive*, a copier template's questions that *data* does not answer
    are asked on the terminal (copier's prompts) rather than taking their defaults;
    the names, keys and middleware thibaud-admin sets itself are never asked.
    *python_path* are directories the project's modules are also imported from
    (``--pythonpath``): a module in one of them makes *name* taken.
    """
    validate_project_name(name, python_path=python_path)
    user_data = dict(data or {})
    source = resolve_template(template)
    if source.kind is SourceKind.BUNDLED and vcs_ref is not None:
        # The bundled template's versions are its snapshots, not git refs.
        source, vcs_ref = bundled_version_source(vcs_ref), None
    refuse_vcs_ref_without_git(source, vcs_ref)
    # A local template's name question is known now: refuse before anything runs.
    local_config, local_question = None, None
    if source.local_path is not None and not source.is_classic:
        local_config = read_template_config(source.local_path)
        settings, questions = split_config(local_config)
        local_question = find_name_question(source.local_path, settings, questions)
    refuse_reserved_keys(user_data, name_question=local_question)
    classic_options = classic_options or ClassicOptions()
    check_classic_options(source, classic_options, user_data)
    target = Path(directory) if directory is not None else Path(name)
    _check_target(target, explicit=directory is not None)
    # The name goes to the question the template names for it, known once copier read it.
    data_for_render = render_data(user_data, project_name=None, secret_key=generate_secret_key())
    render = _Render(
        source,
        name,
        user_data,
        data_for_render,
        trust,
        classic_options,
        interactive,
        local_config,
        project_directory=os.path.abspath(target),
        vcs_ref=vcs_ref,
        run_tasks=not (skip_tasks or dry_run),
        shown_as=target,
        on_message=on_message or (lambda _message: None),
    )
    if dry_run:
        return _dry_run(target, render)
    if target.exists():
        return _into_existing(target, render)
    return _into_new(target, render)


def _dry_run(target: Path, render: _Render) -> StartedProject:
    """What would be written, rendered aside; the target refused as a real run would."""
    if target.exists():
        from thibaud_cli.fs.journal import refuse_interrupted  # an existing directory only

        refuse_interrupted(target)
    with scratch_directory("render") as scratch, render.made(scratch / "project") as made:
        kept = _kept_files(target, made.files) if target.exists() else ()
        if target.exists():
            _refuse_clashes(target, made.files, kept)
        return made.started(target, dry_run=True, kept=kept)


def _into_new(target: Path, render: _Render) -> StartedProject:
    """Rendered into a staging directory beside *target*, renamed into place, and the
    template's tasks run there."""
    parent = target.absolute().parent
    if not parent.is_dir():
        raise DestinationError(
            f"Cannot create '{target}': its parent directory '{parent}' does not "
            "exist. Create it first."
        )
    remove_stale(parent)
    _refuse_unwritable(parent)
    with staging_directory(parent) as staging, render.made(staging / "project") as made:
        # One rename: the project appears whole or not at all.
        os.rename(staging / "project", target)
        try:
            made.run_tasks(target)
        except BaseException as error:
            # The project is ours alone, with whatever its tasks added: gone again.
            shutil.rmtree(target, ignore_errors=True)
            if isinstance(error, TaskError):
                raise TaskError(
                    f"{error}. The project was not created (nothing was written): fix that "
                    "and run startproject again, or pass --skip-tasks to create it without "
                    "running its tasks."
                ) from error
            raise
        return made.started(target, dry_run=False)


@dataclass
class _Made:
    """A project rendered in scratch space, its template still at hand for the tasks."""

    render: _Render
    files: tuple[Path, ...]
    entry_points: EntryPoints | None
    session: RenderSession | None
    name_question: str | None
    requirements: frozenset[str] = frozenset()
    install: tuple[str, ...] = ()

    @property
    def runs_tasks(self) -> bool:
        return self.render.run_tasks and self.session is not None and self.session.has_tasks

    def run_tasks(self, directory: Path) -> None:
        """The template's tasks, run in *directory*, where the project now is; then its
        closing message."""
        if self.session is None:
            return
        if self.runs_tasks:
            self.session.run_tasks(directory)
        after = self.session.rendered.messages.get("after")
        if after:
            self.render.on_message(after)

    def started(
        self,
        target: Path,
        *,
        dry_run: bool,
        recovery: str | None = None,
        kept: tuple[Path, ...] = (),
    ) -> StartedProject:
        return StartedProject(
            self.render.name,
            target,
            tuple(path for path in self.files if path not in kept),
            dry_run=dry_run,
            entry_points=self.entry_points,
            recovery=recovery,
            name_question=self.name_question,
            named_package=self.session is None or self.name_question is not None,
            requirements=self.requirements,
            install=self.install,
            kept=kept,
        )


@dataclass(frozen=True)
class _Render:
    source: TemplateSource
    name: str
    user_data: Mapping[str, str]
    data: Mapping[str, object]
    trust: bool
    classic_options: ClassicOptions
    interactive: bool
    #: A local copier template's ``copier.yml``, read once before anything ran (None
    #: for any other template): the answers take the bundled template's version from it.
    local_config: Mapping[str, Any] | None
    #: Where the project will be: Django-style templates get it in their context.
    project_directory: str
    vcs_ref: str | None
    run_tasks: bool
    #: The project's directory as the user named it: copier's ``_copier_conf.dst_path``.
    shown_as: Path
    on_message: MessageSink

    @contextlib.contextmanager
    def made(self, root: Path) -> Iterator[_Made]:
        """Render the project (a copier one with its answers file) into *root*, whose
        parent is scratch space; the template stays at hand until the block ends."""
        source = self.source
        if not source.is_classic:
            try:
                with self._copier_into(root) as made:
                    yield made
                return
            except NotACopierTemplateError:  # a git repository without copier.yml
                source = source.as_classic_git()
                check_classic_options(source, self.classic_options, self.user_data)
        # As Thibaud renders it, and no answers file.
        render_classic_source(
            source,
            root,
            name=self.name,
            project_directory=self.project_directory,
            options=self.classic_options,
            scratch=root.parent / "template",
            user_agent=f"Thibaud/{thibaud_version()} thibaud-admin/{thibaud_cli_version()}",
        )
        _refuse_django(source, root)
        # Found as in a copier template's render, for the closing hint.
        entry_points = discover_entry_points(root)
        requirements = declared_requirements(dependency_dir(root, entry_points.root))
        dependencies = dependencies_of(requirements)
        _refuse_django_dependencies(source, dependencies)
        refuse_dependency_clash(self.name, dependencies)
        install = install_arguments(root, entry_points.root)
        yield _Made(self, _files(root), entry_points, None, None, _names(requirements), install)

    @contextlib.contextmanager
    def _copier_into(self, root: Path) -> Iterator[_Made]:
        options = RenderOptions(
            trust=self.trust,
            name=self.name,
            vcs_ref=self.vcs_ref,
            interactive=self.interactive,
            skip_tasks=not self.run_tasks,
            operation="copy",
            shown_destination=self.shown_as,
            on_message=self.on_message,
        )
        with open_render(self.source, root, data=dict(self.data), options=options) as session:
            rendered = session.rendered
            refuse_options_for_copier(self.classic_options)
            question = rendered.name_question
            refuse_reserved_keys(self.user_data, name_question=question)
            refuse_unknown_questions(self.user_data, rendered.questions - {question or ""})
            _refuse_django(self.source, root)
            named = {question: self.name} if question else {}
            declared = declared_entry_points(rendered.config, {**rendered.answers, **named})
            entry_points = discover_entry_points(root, declared)
            answers = replace(
                _answers_for(self.name, self.source, rendered, question, self.local_config),
                entry_points=entry_points,
            )
            root.mkdir(exist_ok=True)  # a template may render no file at all
            apply_umask(root)  # copier keeps the template's modes
            (root / ANSWERS_FILENAME).write_text(answers.to_yaml(), "utf-8")
            # Read where the project is: manage.py and requirements.txt may be a level
            # down. (All of it still in scratch space: a refusal leaves nothing.)
            requirements = declared_requirements(dependency_dir(root, entry_points.root))
            dependencies = dependencies_of(requirements)
            _refuse_django_dependencies(self.source, dependencies)
            if question is not None:  # the name names the package, and so the project
                refuse_dependency_clash(self.name, dependencies)
            install = install_arguments(root, entry_points.root)
            yield _Made(
                self, _files(root), entry_points, session, question, _names(requirements), install
            )


def _refuse_django(source: TemplateSource, root: Path) -> None:
    """A template whose project imports django makes a Django project, which Thibaud
    cannot run (and the closing hint would fail on): refused before it is published."""
    found = project_targets_django(root)
    if found is not None:
        raise TargetsDjangoError(
            f"'{source.recorded_as}' {found.describe('template')}. Nothing was written."
        )


def _refuse_django_dependencies(source: TemplateSource, dependencies: Dependencies) -> None:
    """A template that declares Django, or a package this interpreter knows requires it,
    makes a project the closing hint's install would give Django: refused as one that
    imports it is."""
    found = declared_targets_django(dependencies)
    if found:
        raise TargetsDjangoError(
            f"'{source.recorded_as}': {describe_django_dependency(found, None)}. "
            "Nothing was written."
        )


def _names(requirements: Sequence[Requirement]) -> frozenset[str]:
    return frozenset(canonicalize_name(requirement.name) for requirement in requirements)


def _files(root: Path) -> tuple[Path, ...]:
    return tuple(path.relative_to(root) for path in walk_files(root))


def _into_existing(target: Path, render: _Render) -> StartedProject:
    # Imported here: a new directory (the common case) needs neither.
    from thibaud_cli.fs.transaction import change_project
    from thibaud_cli.project.worktree import restored_on_failure

    _refuse_unwritable(target)
    with scratch_directory("render") as scratch, render.made(scratch / "project") as made:
        rendered_root = scratch / "project"
        repair = (
            f"Run 'thibaud-cli startproject {render.name} {target}' again: it rolls the "
            "interrupted run back first."
        )
        # If a task fails, the directory is put back as it was: the project's files
        # and whatever the tasks changed (what git ignores aside).
        guard = (
            restored_on_failure(target, operation="startproject", repair=repair)
            if made.runs_tasks
            else contextlib.nullcontext()
        )
        with guard:
            with change_project(target, operation="startproject", repair=repair) as change:
                kept = _kept_files(target, made.files)
                _refuse_clashes(target, made.files, kept)
                for relative in made.files:
                    if relative in kept:
                        continue
                    rendered = rendered_root / relative
                    if rendered.is_symlink():
                        # A symlink (to a directory too) is written as the link itself.
                        change.symlink(relative.as_posix(), os.readlink(rendered))
                    else:
                        mode = rendered.stat().st_mode & 0o7777
                        change.write(relative.as_posix(), rendered.read_bytes(), mode=mode)
                change.commit()
            try:
                made.run_tasks(target)
            except TaskError as error:
                raise TaskError(
                    f"{error}. '{target}' was put back as it was: fix that and run "
                    "startproject again, or pass --skip-tasks to create the project without "
                    "running its tasks."
                ) from error
        return made.started(target, dry_run=False, recovery=change.recovered, kept=kept)


def _refuse_unwritable(directory: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DestinationError(f"Cannot write in '{directory}': permission denied.")


def _answers_for(
    name: str,
    source: TemplateSource,
    rendered: RenderedTemplate,
    question: str | None,
    local_config: Mapping[str, Any] | None,
) -> Answers:
    version = rendered.version
    if source.kind is SourceKind.BUNDLED and local_config is not None:
        # The bundled template's version is the one its copier.yml declares (the current
        # template, or the snapshot --vcs-ref picked).
        version = declared_version(local_config)
    return Answers(
        template=source.recorded_as,
        project_name=name,
        template_version=version,
        template_commit=rendered.commit,
        thibaud_cli_version=thibaud_cli_version(),
        thibaud_version=thibaud_version(),
        template_answers={k: v for k, v in rendered.answers.items() if k != question},
        name_question=question,
    )


def _check_target(target: Path, *, explicit: bool) -> None:
    if target.is_symlink() and not target.exists():
        raise DestinationError(
            f"'{target}' is a broken symbolic link: remove it or choose another directory."
        )
    if not target.exists():
        return
    if not explicit:
        raise DestinationError(
            f"'{target}' already exists: choose another name, remove it, or give a "
            "directory to render into (thibaud-cli startproject NAME DIRECTORY)."
        )
    if not target.is_dir():
        raise DestinationError(
            f"'{target}' exists and is not a directory: choose another directory."
        )


#: What a hosting service puts in a new repository (GitHub's "Add a README file", "Add
#: .gitignore", "Choose a license"): in the directory already, the user's copy is kept
#: and the template's is not written, so `startproject NAME .` works in a new clone.
REPOSITORY_FILES = frozenset(
    {
        "README.md", "README.rst", "README.txt", "README",
        "LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING",
        ".gitignore", ".gitattributes",
    }
)  # fmt: skip


def _kept_files(target: Path, files: tuple[Path, ...]) -> tuple[Path, ...]:
    """The project's files of ``REPOSITORY_FILES`` that *target* already has as files."""
    return tuple(
        path
        for path in files
        if path.as_posix() in REPOSITORY_FILES
        and (target / path).is_file()
        and not (target / path).is_symlink()
    )


def _refuse_clashes(target: Path, files: tuple[Path, ...], kept: tuple[Path, ...] = ()) -> None:
    clashes = [path for path in files if path not in kept and os.path.lexists(target / path)]
    if clashes:
        shown = ", ".join(str(path) for path in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise DestinationError(
            f"'{target}' already has {shown}{more}, which the project would overwrite: "
            "nothing was written. Move them away or choose another directory."
        )
