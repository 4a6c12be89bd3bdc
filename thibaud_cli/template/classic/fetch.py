"""Getting a Django-style template on disk, then rendering it as Thibaud does.

What a ``--template`` value names is decided by :mod:`thibaud_cli.template.source`;
here a Django-style source (a directory, an archive file, an archive URL, a git
repository without copier.yml) is fetched and extracted under a scratch directory,
within bounds, and rendered with :func:`~thibaud_cli.template.classic.render.render_classic`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from thibaud_cli.errors import InvalidDataError, TemplateError
from thibaud_cli.template.classic.render import (
    ClassicOptions,
    refuse_options_for_copier,
    render_classic,
)
from thibaud_cli.template.engine.config import has_template_config
from thibaud_cli.template.source import SourceKind, TemplateSource
from thibaud_cli.vcs.git import run_git

#: Seconds a git clone (and checkout) of a template may take.
GIT_TIMEOUT = 300.0


def check_classic_options(
    source: TemplateSource, options: ClassicOptions, data: Mapping[str, str]
) -> None:
    """-e/-n/-x are for Django-style templates, ``--data`` for copier ones.

    Whether a git repository is Django-style is known only once it is fetched: its
    -e/-n/-x are checked again then.
    """
    if not source.is_classic and source.kind is not SourceKind.GIT:
        refuse_options_for_copier(options)
    elif source.is_classic and data:
        raise InvalidDataError(
            f"--data {next(iter(data))}: a Django-style template (no copier.yml) asks no "
            "questions; its context is fixed (project_name, project_directory, secret_key...)."
        )


def render_classic_source(
    source: TemplateSource,
    destination: Path,
    *,
    name: str,
    project_directory: str,
    options: ClassicOptions,
    scratch: Path,
    user_agent: str,
) -> None:
    """Fetch and extract *source* under *scratch* if need be, then render it into *destination*."""
    template_dir = Path(source.copier_source)
    if source.kind is SourceKind.CLASSIC_GIT:
        scratch.mkdir()
        template_dir = scratch / "checkout"
        _git_checkout(source.copier_source, template_dir)
    elif source.kind is not SourceKind.CLASSIC:
        scratch.mkdir()
        archive = Path(source.copier_source)
        if source.kind is SourceKind.ARCHIVE_URL:
            from thibaud_cli.template.classic.download import (
                download,  # urllib.request: only when downloading
            )

            downloads = scratch / "download"
            downloads.mkdir()
            archive = download(source.copier_source, downloads, user_agent=user_agent)
        template_dir = scratch / "template"
        template_dir.mkdir()
        from thibaud_cli.template.classic.archive import extract_archive  # tarfile, zipfile

        extract_archive(archive, template_dir)
        if has_template_config(template_dir):
            # Rendered Django-style, its .jinja files would be copied as they are.
            raise TemplateError(
                f"'{source.recorded_as}' holds a copier template (copier.yml): give its "
                "directory once extracted, or its git URL, to --template."
            )
    # Fetching has its own bounds; the render's (deadline, memory, output) are its own.
    render_classic(
        template_dir,
        destination,
        name=name,
        project_directory=project_directory,
        template=source.recorded_as,
        options=options,
    )


def _git_checkout(url: str, directory: Path) -> None:
    """Clone *url* at its newest tag, as copier renders a git template, else its HEAD."""
    _git("clone", "--quiet", "--", url, str(directory), url=url)
    tags = _git("-C", str(directory), "tag", "--list", "--sort=-v:refname", url=url).split()
    if tags:
        _git("-C", str(directory), "checkout", "--quiet", tags[0], url=url)


def _git(*args: str, url: str) -> str:
    # Never prompts for credentials, and never lets the fetched repository's
    # configuration run a program (vcs.git).
    try:
        done = run_git(args, network=True)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TemplateError(f"git could not fetch the template {url}: {error}.") from error
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"git exited with status {done.returncode}"
        raise TemplateError(f"git could not fetch the template {url}: {reason}.")
    return done.stdout
