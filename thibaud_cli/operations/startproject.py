"""``startproject``: render a template into a new project, all or nothing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from thibaud_cli.errors import DestinationError, InvalidDataError
from thibaud_cli.fs.atomic import remove_stale_temporaries, staging_directory
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers
from thibaud_cli.project.contract import EntryPoints, discover_entry_points
from thibaud_cli.project.installed import thibaud_cli_version, thibaud_version
from thibaud_cli.project.names import validate_project_name
from thibaud_cli.template.bundled import bundled_template_version
from thibaud_cli.template.config import read_template_config
from thibaud_cli.template.contract import declared_entry_points, name_question
from thibaud_cli.template.data import (
    RESERVED_DATA_KEYS,
    generate_secret_key,
    refuse_reserved_keys,
    render_data,
)
from thibaud_cli.template.render import RenderedTemplate, render_template
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
    #: Where the project keeps its settings, ASGI and WSGI modules.
    entry_points: EntryPoints = EntryPoints()


def start_project(
    name: str,
    directory: Path | None = None,
    *,
    template: str | None = None,
    data: Mapping[str, str] | None = None,
    dry_run: bool = False,
    trust: bool = False,
    vcs_ref: str | None = None,
    skip_tasks: bool = False,
) -> StartedProject:
    """Render *template* (default: the bundled one) as project *name*.

    Without *directory*, the project goes into ``./name``, which must not exist.
    With it, into *directory*, which may exist but must not hold any file the
    template would write. Either way the files are rendered into a staging
    directory first and moved into place only once all of them exist, so a failure
    at any point leaves no trace.

    *name* answers the question the template names for it (``_thibaud.name_question``,
    default ``project_name``). *vcs_ref* picks a git template's tag or commit (default:
    the newest tag). With *skip_tasks* (and in a dry run) the template's tasks do not run.
    """
    validate_project_name(name)
    user_data = dict(data or {})
    source = resolve_template(template)
    refuse_vcs_ref_without_git(source, vcs_ref)
    # A local template's name question is known now: refuse before anything runs.
    local_config = read_template_config(source.local_path) if source.local_path else {}
    refuse_reserved_keys(
        user_data, name_question=name_question(local_config) if source.local_path else None
    )
    target = Path(directory) if directory is not None else Path(name)
    _check_target(target, explicit=directory is not None)
    # The name goes to the question the template names for it, known once copier read it.
    data_for_render = render_data(user_data, project_name=None, secret_key=generate_secret_key())
    target_exists = target.exists()
    if dry_run:
        staging_parent = Path(tempfile.gettempdir())
    elif target_exists:
        staging_parent = target
    else:
        staging_parent = target.absolute().parent
        if not staging_parent.is_dir():
            raise DestinationError(
                f"Cannot create '{target}': its parent directory '{staging_parent}' does not "
                "exist. Create it first."
            )
    if not dry_run:
        remove_stale_temporaries(staging_parent)
    if not os.access(staging_parent, os.W_OK | os.X_OK):
        raise DestinationError(f"Cannot write in '{staging_parent}': permission denied.")
    with staging_directory(staging_parent) as staging:
        rendered_root = staging / "project"
        rendered = render_template(
            source,
            rendered_root,
            data=data_for_render,
            trust=trust,
            name=name,
            vcs_ref=vcs_ref,
            run_tasks=not (skip_tasks or dry_run),
        )
        question = name_question(rendered.config)
        refuse_reserved_keys(user_data, name_question=question)
        _refuse_unknown_questions(user_data, rendered, question)
        declared = declared_entry_points(rendered.config, {**rendered.answers, question: name})
        entry_points = discover_entry_points(rendered_root, declared)
        answers = replace(
            _answers_for(name, source, rendered, question),
            entry_points=entry_points,
        )
        rendered_root.mkdir(exist_ok=True)
        (rendered_root / ANSWERS_FILENAME).write_text(answers.to_yaml(), "utf-8")
        files = tuple(sorted(_files_under(rendered_root)))
        if target_exists:
            _refuse_clashes(target, files)
        if not dry_run:
            _publish(rendered_root, target, files, into_existing=target_exists)
    return StartedProject(
        name=name, directory=target, files=files, dry_run=dry_run, entry_points=entry_points
    )


def _refuse_unknown_questions(
    data: Mapping[str, str], rendered: RenderedTemplate, name_question: str
) -> None:
    # copier ignores data no question asks for: a misspelt --data would go unnoticed.
    unknown = sorted(set(data) - rendered.questions)
    if unknown:
        answerable = rendered.questions - RESERVED_DATA_KEYS - {name_question}
        known = ", ".join(sorted(answerable)) or "none"
        raise InvalidDataError(
            f"--data {unknown[0]}: the template asks no such question (its questions: {known}). "
            "Nothing was written."
        )


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


def _files_under(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for filename in filenames:
            files.append((base / filename).relative_to(root))
        for dirname in dirnames:
            # A symlink to a directory is written as the link itself.
            if (base / dirname).is_symlink():
                files.append((base / dirname).relative_to(root))
    return files


def _refuse_clashes(target: Path, files: tuple[Path, ...]) -> None:
    clashes = [path for path in files if os.path.lexists(target / path)]
    if clashes:
        shown = ", ".join(str(path) for path in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise DestinationError(
            f"'{target}' already has {shown}{more}, which the project would overwrite: "
            "nothing was written. Move them away or choose another directory."
        )


def _publish(
    rendered_root: Path, target: Path, files: tuple[Path, ...], *, into_existing: bool
) -> None:
    """Move the rendered files into *target*; on any failure, undo every move."""
    if not into_existing:
        # One rename: the project appears whole or not at all.
        os.rename(rendered_root, target)
        return
    created_dirs: list[Path] = []
    moved: list[Path] = []
    try:
        for relative in files:
            destination = target / relative
            for parent in reversed(destination.parents):
                if parent == target or target not in parent.parents:
                    continue
                if not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            # link() refuses to replace a file that appeared since the clash check.
            os.link(rendered_root / relative, destination, follow_symlinks=False)
            moved.append(destination)
    except BaseException:
        for destination in reversed(moved):
            destination.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            directory.rmdir()
        raise
