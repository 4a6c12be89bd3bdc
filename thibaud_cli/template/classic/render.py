"""Django-style project templates, rendered as Thibaud's own ``startproject`` renders them.

A Django-style template is a directory without ``copier.yml``: ``project_name/``,
``manage.py-tpl``, ``*.py-tpl`` files. The semantics are Thibaud's
(``thibaud.core.management.templates.TemplateCommand``): its template engine with
autoescaping off, its context, ``project_name`` replaced in file and directory
names, ``.py-tpl`` renamed ``.py``, only files with a rendered extension (``.py``
and ``-e``) or name (``-n``) rendered and the others copied, hidden directories
and ``__pycache__`` skipped unless ``-x`` is given, compiled files skipped, modes
kept less the umask. Stricter than Thibaud: version-control metadata (a ``.git``
file or directory in any case, ``.hg``, ``.svn``, ``.bzr``...) is never copied,
whatever ``-x`` says, and a template that renders ``.thibaud-admin`` is refused.

We reuse Thibaud's pieces (``Engine``, ``Context``, ``handle_extensions``, its
suffix rewrites, its secret-key and docs-version helpers) but not
``TemplateCommand.handle`` itself: it writes straight into the destination and puts
that path in the context, whereas we render into a staging directory, to be
published whole, with the final path in the context. A link in the template is
read only if it stays inside the template.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thibaud_cli.errors import TemplateError, UsageError
from thibaud_cli.fs.permissions import current_umask
from thibaud_cli.fs.walk import walk_tree
from thibaud_cli.template.source import CLASSIC_BASE_NAME
from thibaud_cli.vcs.metadata import is_vcs_metadata, refuse_foreign_metadata

#: Files Thibaud never copies: they break imports of the new project.
_COMPILED_SUFFIXES = (".pyo", ".pyc", ".py.class")
_ALWAYS_EXCLUDED = (".git", "__pycache__")
#: Seconds black (run as Thibaud runs it, when installed) may take on a new project.
FORMATTER_TIMEOUT = 60.0


@dataclass(frozen=True)
class ClassicOptions:
    """``-e``/``-n``/``-x`` as given on the command line (comma-separated values allowed)."""

    extensions: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    #: ``None``: no ``-x`` at all (hidden directories skipped); else the names to skip.
    exclude: tuple[str, ...] | None = None

    @property
    def given(self) -> bool:
        return bool(self.extensions or self.files or self.exclude is not None)


def render_classic(
    template_dir: Path,
    destination: Path,
    *,
    name: str,
    project_directory: str,
    template: str,
    options: ClassicOptions,
) -> None:
    """Render the Django-style *template_dir* as project *name* into the new *destination*.

    *project_directory* is where the project will live (the context's
    ``project_directory``); *template* is the ``--template`` value, in the context too.
    """
    from thibaud.core.management.utils import find_formatters, handle_extensions

    # Found before any template input is read, as Thibaud does.
    black = find_formatters()["black_path"]
    extensions = tuple(handle_extensions(["py", *options.extensions]))
    extra_files = [part.strip() for value in options.files for part in value.split(",")]
    context = _context(name, project_directory, template, options)
    umask = current_umask()
    root = os.path.realpath(template_dir)
    destination.mkdir(exist_ok=True)
    # Thibaud's walk (os.walk): a link to a directory is neither entered nor copied.
    for source in walk_tree(Path(root), prune=lambda path: _excluded(path.name, options.exclude)):
        if is_vcs_metadata(source.name):
            # A .git file (a gitfile naming a git directory whose config runs programs)
            # or .hg/.svn/.bzr, in any case: never the project's, whatever -x says.
            continue
        relative_dir = str(source.parent)[len(root) + 1 :].replace(CLASSIC_BASE_NAME, name)
        filename = source.name
        if source.is_dir():
            if not source.is_symlink():
                target_dir = destination / relative_dir / filename.replace(CLASSIC_BASE_NAME, name)
                target_dir.mkdir(exist_ok=True)
            continue
        if filename.endswith(_COMPILED_SUFFIXES):
            continue
        new_name = _rewrite_suffix(filename.replace(CLASSIC_BASE_NAME, name))
        target = destination / relative_dir / new_name
        _refuse_link_out(source, root)
        if str(target).endswith(extensions) or filename in extra_files:
            _render_file(source, target, context, root)
        else:
            shutil.copyfile(source, target)
        mode = stat.S_IMODE(source.stat().st_mode) & ~umask
        os.chmod(target, mode | stat.S_IWUSR)
    refuse_foreign_metadata(destination)
    if black:
        _format(black, destination)


def _context(
    name: str, project_directory: str, template: str, options: ClassicOptions
) -> Mapping[str, Any]:
    from thibaud import __version__
    from thibaud.core.checks.security.base import SECRET_KEY_INSECURE_PREFIX
    from thibaud.core.management.utils import get_random_secret_key
    from thibaud.utils.version import get_docs_version

    # The command's own options are in Thibaud's context too: a template may use them.
    command_options: dict[str, Any] = {
        "template": template,
        "extensions": ["py", *options.extensions],
        "files": list(options.files),
        "verbosity": 1,
        "settings": None,
        "pythonpath": None,
        "traceback": False,
        "no_color": False,
        "force_color": False,
    }
    if options.exclude is not None:
        command_options["exclude"] = list(options.exclude)
    return {
        **command_options,
        "secret_key": SECRET_KEY_INSECURE_PREFIX + get_random_secret_key(),
        "project_name": name,
        "project_directory": project_directory,
        "camel_case_project_name": "".join(x for x in name.title() if x != "_"),
        "docs_version": get_docs_version(),
        "thibaud_version": __version__,
    }


def _excluded(dirname: str, exclude: tuple[str, ...] | None) -> bool:
    if is_vcs_metadata(dirname):
        return True
    if exclude is None:
        return dirname.startswith(".") or dirname == "__pycache__"
    return dirname in (*_ALWAYS_EXCLUDED, *(entry.strip() for entry in exclude))


def _rewrite_suffix(filename: str) -> str:
    from thibaud.core.management.templates import TemplateCommand

    for old_suffix, new_suffix in TemplateCommand.rewrite_template_suffixes:
        if filename.endswith(old_suffix):
            return filename.removesuffix(str(old_suffix)) + str(new_suffix)
    return filename


def _refuse_link_out(source: Path, root: str) -> None:
    real = os.path.realpath(source)
    if real != root and not real.startswith(root + os.sep):
        raise TemplateError(
            f"The template's '{os.path.relpath(source, root)}' is a link leading out of the "
            "template: refused, nothing was written."
        )


def _render_file(source: Path, target: Path, context: Mapping[str, Any], root: str) -> None:
    from thibaud.template import Context, Engine, TemplateSyntaxError

    _configure_thibaud()
    where = os.path.relpath(source, root)
    try:
        content = source.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise TemplateError(
            f"{where}: not UTF-8 text, so it cannot be rendered: leave its extension out "
            "of -e/-n and it is copied as it is.",
            template_file=where,
        ) from error
    try:
        rendered = Engine().from_string(content).render(Context(dict(context), autoescape=False))
    except TemplateSyntaxError as error:
        line = _error_line(error)
        location = f"{where}:{line}" if line else where
        raise TemplateError(
            f"{location}: template syntax error: {error}", template_file=where, line=line
        ) from error
    target.write_text(rendered, "utf-8")


def _error_line(error: Exception) -> int | None:
    info = getattr(error, "template_debug", None)
    return int(info["line"]) if isinstance(info, dict) and "line" in info else None


def _configure_thibaud() -> None:
    # Tags such as {% now %} read settings: Thibaud's defaults, as its startproject does.
    import thibaud
    from thibaud.conf import settings

    if not settings.configured:
        settings.configure()
        thibaud.setup()


def _format(black: str, directory: Path) -> None:
    # As Thibaud: black, when on PATH, formats the new project; its failure is no error.
    try:
        subprocess.run(
            [black, "--fast", "--", str(directory)],
            capture_output=True,
            timeout=FORMATTER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass


def refuse_options_for_copier(options: ClassicOptions) -> None:
    """``-e``/``-n``/``-x`` mean nothing to a copier template: say so rather than ignore them."""
    if options.given:
        raise UsageError(
            "-e/--extension, -n/--name and -x/--exclude apply to Django-style templates (a "
            "directory or archive without copier.yml); a copier template takes --data instead."
        )
