"""``startproject``: render a template into a new project, all or nothing.

Into a new directory, the project is rendered beside it and appears by one rename.
Into an existing one, it is rendered in a scratch directory, then its files are
written in one transaction under the directory's lock (``fs.transaction``): a run
killed half-way is rolled back by the next command that writes there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from thibaud_cli.errors import DestinationError, NotACopierTemplateError
from thibaud_cli.fs.atomic import staging_directory
from thibaud_cli.fs.journal import refuse_interrupted
from thibaud_cli.fs.permissions import apply_umask
from thibaud_cli.fs.scratch import remove_stale, scratch_directory
from thibaud_cli.fs.transaction import change_project
from thibaud_cli.fs.walk import walk_files
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers
from thibaud_cli.project.contract import EntryPoints, discover_entry_points
from thibaud_cli.project.installed import thibaud_cli_version, thibaud_version
from thibaud_cli.project.names import validate_project_name
from thibaud_cli.template.bundled import bundled_template_version
from thibaud_cli.template.classic.fetch import check_classic_options, render_classic_source
from thibaud_cli.template.classic.render import ClassicOptions, refuse_options_for_copier
from thibaud_cli.template.contract import declared_entry_points, name_question
from thibaud_cli.template.data import (
    generate_secret_key,
    refuse_reserved_keys,
    refuse_unknown_questions,
    render_data,
)
from thibaud_cli.template.engine.config import read_template_config
from thibaud_cli.template.engine.render import RenderedTemplate, render_template
from thibaud_cli.template.sandbox.limits import render_deadline
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
    #: Where the project keeps its settings, ASGI and WSGI modules (None: a
    #: Django-style template, which has no answers file).
    entry_points: EntryPoints | None = None
    #: Set when a run into the same directory that was killed was rolled back first.
    recovery: str | None = None


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
) -> StartedProject:
    """Render *template* (default: the bundled one) as project *name*.

    Without *directory*, the project goes into ``./name``, which must not exist.
    With it, into *directory*, which may exist but must not hold any file the
    template would write. Either way the files are rendered into a staging
    directory first and moved into place only once all of them exist, so a failure
    at any point leaves no trace. A Django-style template (no copier.yml) is rendered
    as Thibaud renders it, with *classic_options* (``-e``/``-n``/``-x``).

    *name* answers the question the template names for it (``_thibaud.name_question``,
    default ``project_name``). *vcs_ref* picks a git template's tag or commit (default:
    the newest tag). With *skip_tasks* (and in a dry run) the template's tasks do not run.
    With *interactive*, a copier template's questions that *data* does not answer
    are asked on the terminal (copier's prompts) rather than taking their defaults;
    the names, keys and middleware thibaud-admin sets itself are never asked.
    *python_path* are directories the project's modules are also imported from
    (``--pythonpath``): a module in one of them makes *name* taken.
    """
    validate_project_name(name, python_path=python_path)
    user_data = dict(data or {})
    source = resolve_template(template)
    refuse_vcs_ref_without_git(source, vcs_ref)
    # A local template's name question is known now: refuse before anything runs.
    local_config = (
        read_template_config(source.local_path)
        if source.local_path is not None and not source.is_classic
        else None
    )
    refuse_reserved_keys(
        user_data, name_question=name_question(local_config) if local_config is not None else None
    )
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
        project_directory=os.path.abspath(target),
        vcs_ref=vcs_ref,
        run_tasks=not (skip_tasks or dry_run),
    )
    if dry_run:
        return _dry_run(target, render)
    if target.exists():
        return _into_existing(target, render)
    return _into_new(target, render)


def _dry_run(target: Path, render: _Render) -> StartedProject:
    """What would be written, rendered aside; the target refused as a real run would."""
    if target.exists():
        refuse_interrupted(target)
    with scratch_directory("render") as scratch:
        files, entry_points = render.into(scratch / "project")
        if target.exists():
            _refuse_clashes(target, files)
    return StartedProject(render.name, target, files, dry_run=True, entry_points=entry_points)


def _into_new(target: Path, render: _Render) -> StartedProject:
    """Rendered into a staging directory beside *target*, then renamed into place."""
    parent = target.absolute().parent
    if not parent.is_dir():
        raise DestinationError(
            f"Cannot create '{target}': its parent directory '{parent}' does not "
            "exist. Create it first."
        )
    remove_stale(parent)
    _refuse_unwritable(parent)
    with staging_directory(parent) as staging:
        files, entry_points = render.into(staging / "project")
        # One rename: the project appears whole or not at all.
        os.rename(staging / "project", target)
    return StartedProject(render.name, target, files, dry_run=False, entry_points=entry_points)


@dataclass(frozen=True)
class _Render:
    source: TemplateSource
    name: str
    user_data: Mapping[str, str]
    data: Mapping[str, object]
    trust: bool
    classic_options: ClassicOptions
    interactive: bool
    #: Where the project will be: Django-style templates get it in their context.
    project_directory: str
    vcs_ref: str | None
    run_tasks: bool

    def into(self, root: Path) -> tuple[tuple[Path, ...], EntryPoints | None]:
        """Render the project (a copier one with its answers file) into *root*: its
        files, sorted, and its entry points. *root*'s parent is scratch space."""
        source, entry_points = self.source, None
        if not source.is_classic:
            try:
                entry_points = self._copier_into(root)
            except NotACopierTemplateError:  # a git repository without copier.yml
                source = source.as_classic_git()
                check_classic_options(source, self.classic_options, self.user_data)
        if source.is_classic:  # as Thibaud renders it, and no answers file
            render_classic_source(
                source,
                root,
                name=self.name,
                project_directory=self.project_directory,
                options=self.classic_options,
                scratch=root.parent / "template",
                user_agent=f"Thibaud/{thibaud_version()} thibaud-admin/{thibaud_cli_version()}",
                render_guard=render_deadline,
            )
        files = tuple(path.relative_to(root) for path in walk_files(root))
        return files, entry_points

    def _copier_into(self, root: Path) -> EntryPoints:
        rendered = render_template(
            self.source,
            root,
            data=dict(self.data),
            trust=self.trust,
            name=self.name,
            vcs_ref=self.vcs_ref,
            run_tasks=self.run_tasks,
            interactive=self.interactive,
        )
        refuse_options_for_copier(self.classic_options)
        question = name_question(rendered.config)
        refuse_reserved_keys(self.user_data, name_question=question)
        refuse_unknown_questions(self.user_data, rendered.questions - {question})
        declared = declared_entry_points(rendered.config, {**rendered.answers, question: self.name})
        entry_points = discover_entry_points(root, declared)
        answers = replace(
            _answers_for(self.name, self.source, rendered, question), entry_points=entry_points
        )
        root.mkdir(exist_ok=True)  # a template may render no file at all
        apply_umask(root)  # copier keeps the template's modes
        (root / ANSWERS_FILENAME).write_text(answers.to_yaml(), "utf-8")
        return entry_points


def _into_existing(target: Path, render: _Render) -> StartedProject:
    _refuse_unwritable(target)
    with scratch_directory("render") as scratch:
        rendered_root = scratch / "project"
        files, entry_points = render.into(rendered_root)
        repair = (
            f"Run 'thibaud-admin startproject {render.name} {target}' again: it rolls the "
            "interrupted run back first."
        )
        with change_project(target, operation="startproject", repair=repair) as change:
            _refuse_clashes(target, files)
            for relative in files:
                rendered = rendered_root / relative
                if rendered.is_symlink():
                    # A symlink (to a directory too) is written as the link itself.
                    change.symlink(relative.as_posix(), os.readlink(rendered))
                else:
                    mode = rendered.stat().st_mode & 0o7777
                    change.write(relative.as_posix(), rendered.read_bytes(), mode=mode)
            change.commit()
    return StartedProject(
        render.name,
        target,
        files,
        dry_run=False,
        entry_points=entry_points,
        recovery=change.recovered,
    )


def _refuse_unwritable(directory: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DestinationError(f"Cannot write in '{directory}': permission denied.")


def _answers_for(
    name: str, source: TemplateSource, rendered: RenderedTemplate, question: str
) -> Answers:
    bundled = source.kind is SourceKind.BUNDLED
    return Answers(
        template=source.recorded_as,
        project_name=name,
        template_version=bundled_template_version() if bundled else rendered.version,
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
            "directory to render into (thibaud-admin startproject NAME DIRECTORY)."
        )
    if not target.is_dir():
        raise DestinationError(
            f"'{target}' exists and is not a directory: choose another directory."
        )


def _refuse_clashes(target: Path, files: tuple[Path, ...]) -> None:
    clashes = [path for path in files if os.path.lexists(target / path)]
    if clashes:
        shown = ", ".join(str(path) for path in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise DestinationError(
            f"'{target}' already has {shown}{more}, which the project would overwrite: "
            "nothing was written. Move them away or choose another directory."
        )
