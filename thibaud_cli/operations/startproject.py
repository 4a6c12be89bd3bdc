"""``startproject``: render a template into a new project, all or nothing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import DestinationError, NotACopierTemplateError
from thibaud_cli.fs.atomic import remove_stale_temporaries, staging_directory
from thibaud_cli.fs.permissions import apply_umask
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers
from thibaud_cli.project.installed import thibaud_cli_version, thibaud_version
from thibaud_cli.project.names import validate_project_name
from thibaud_cli.template.bundled import bundled_template_version
from thibaud_cli.template.classic import ClassicOptions, refuse_options_for_copier
from thibaud_cli.template.data import (
    generate_secret_key,
    refuse_reserved_keys,
    refuse_unknown_questions,
    render_data,
)
from thibaud_cli.template.fetch import check_classic_options, render_classic_source
from thibaud_cli.template.limits import render_deadline
from thibaud_cli.template.render import RenderedTemplate, render_template
from thibaud_cli.template.source import SourceKind, TemplateSource, resolve_template


@dataclass(frozen=True)
class StartedProject:
    """What :func:`start_project` wrote (or, in a dry run, would write)."""

    name: str
    directory: Path
    files: tuple[Path, ...]
    dry_run: bool


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
) -> StartedProject:
    """Render *template* (default: the bundled one) as project *name*.

    Without *directory*, the project goes into ``./name``, which must not exist.
    With it, into *directory*, which may exist but must not hold any file the
    template would write. Either way the files are rendered into a staging
    directory first and moved into place only once all of them exist, so a failure
    at any point leaves no trace. A Django-style template (no copier.yml) is rendered
    as Thibaud renders it, with *classic_options* (``-e``/``-n``/``-x``).

    With *interactive*, a copier template's questions that *data* does not answer
    are asked on the terminal (copier's prompts) rather than taking their defaults;
    the names, keys and middleware thibaud-admin sets itself are never asked.
    """
    validate_project_name(name)
    user_data = dict(data or {})
    refuse_reserved_keys(user_data)
    source = resolve_template(template)
    classic_options = classic_options or ClassicOptions()
    check_classic_options(source, classic_options, user_data)
    target = Path(directory) if directory is not None else Path(name)
    _check_target(target, explicit=directory is not None)
    data_for_render = render_data(user_data, project_name=name, secret_key=generate_secret_key())
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
        rendered = None
        if not source.is_classic:
            try:
                rendered = render_template(
                    source,
                    rendered_root,
                    data=data_for_render,
                    trust=trust,
                    interactive=interactive,
                )
            except NotACopierTemplateError:  # a git repository without copier.yml
                source = source.as_classic_git()
                check_classic_options(source, classic_options, user_data)
        if source.is_classic:  # as Thibaud renders it, and no answers file
            render_classic_source(
                source,
                rendered_root,
                name=name,
                project_directory=os.path.abspath(target),
                options=classic_options,
                scratch=staging / "template",
                user_agent=f"Thibaud/{thibaud_version()} thibaud-admin/{thibaud_cli_version()}",
                render_guard=render_deadline,
            )
        elif rendered is not None:  # rendered by copier
            refuse_options_for_copier(classic_options)
            refuse_unknown_questions(user_data, rendered.questions)
            answers = _answers_for(name, source, rendered)
            rendered_root.mkdir(exist_ok=True)  # a template may render no file at all
            apply_umask(rendered_root)  # copier keeps the template's modes
            (rendered_root / ANSWERS_FILENAME).write_text(answers.to_yaml(), "utf-8")
        files = tuple(sorted(_files_under(rendered_root)))
        if target_exists:
            _refuse_clashes(target, files)
        if not dry_run:
            _publish(rendered_root, target, files, into_existing=target_exists)
    return StartedProject(name=name, directory=target, files=files, dry_run=dry_run)


def _answers_for(name: str, source: TemplateSource, rendered: RenderedTemplate) -> Answers:
    bundled = source.kind is SourceKind.BUNDLED
    return Answers(
        template=source.recorded_as,
        project_name=name,
        template_version=bundled_template_version() if bundled else rendered.version,
        template_commit=rendered.commit,
        thibaud_cli_version=thibaud_cli_version(),
        thibaud_version=thibaud_version(),
        template_answers={k: v for k, v in rendered.answers.items() if k != "project_name"},
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
