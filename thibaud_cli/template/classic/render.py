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

import functools
import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thibaud_cli.errors import TemplateError, ThibaudCliError, UsageError
from thibaud_cli.fs.permissions import current_umask
from thibaud_cli.fs.walk import walk_tree
from thibaud_cli.template.messages import one_line
from thibaud_cli.template.sandbox.limits import RenderBudget, RenderTimeout, render_bounds
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
    walk = _Walk(os.path.realpath(template_dir), destination, name, current_umask())
    destination.mkdir(exist_ok=True)
    # The bounds copier renders get: deadline, memory ceiling, output budget.
    with render_bounds():
        # Thibaud's walk (os.walk): a link to a directory is neither entered nor copied.
        prune = functools.partial(_excluded_path, exclude=options.exclude)
        for source in walk_tree(Path(walk.root), prune=prune):
            if is_vcs_metadata(source.name):
                # A .git file (a gitfile naming a git directory whose config runs
                # programs) or .hg/.svn/.bzr, any case: never the project's, whatever -x says.
                continue
            target = walk.target(source)
            if target is None:
                continue
            if str(target).endswith(extensions) or source.name in extra_files:
                walk.render(source, target, context)
            else:
                walk.copy(source, target)
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


@dataclass
class _Walk:
    """One render's walk of the template: where each file goes, and what it costs."""

    root: str
    destination: Path
    name: str
    umask: int
    budget: RenderBudget = field(default_factory=RenderBudget)

    def target(self, source: Path) -> Path | None:
        """Where *source* goes (a directory is made there now); None: left out."""
        relative_dir = str(source.parent)[len(self.root) + 1 :]
        relative_dir = relative_dir.replace(CLASSIC_BASE_NAME, self.name)
        filename = source.name
        if source.is_dir():
            if not source.is_symlink():
                self.budget.charge_entry()
                renamed = filename.replace(CLASSIC_BASE_NAME, self.name)
                (self.destination / relative_dir / renamed).mkdir(exist_ok=True)
            return None
        if filename.endswith(_COMPILED_SUFFIXES):
            return None
        _refuse_link_out(source, self.root)
        if not _regular_file(source):
            return None  # a link to a FIFO or a device: reading it would block
        self.budget.charge_entry()
        new_name = _rewrite_suffix(filename.replace(CLASSIC_BASE_NAME, self.name))
        return self.destination / relative_dir / new_name

    def render(self, source: Path, target: Path, context: Mapping[str, Any]) -> None:
        rendered = _rendered(source, context, self.root)
        self.budget.spend(len(rendered))
        target.write_text(rendered, "utf-8")
        self._set_mode(source, target)

    def copy(self, source: Path, target: Path) -> None:
        self.budget.spend(source.stat().st_size)
        shutil.copyfile(source, target)
        self._set_mode(source, target)

    def _set_mode(self, source: Path, target: Path) -> None:
        mode = stat.S_IMODE(source.stat().st_mode) & ~self.umask
        os.chmod(target, mode | stat.S_IWUSR)


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _excluded_path(path: Path, *, exclude: tuple[str, ...] | None) -> bool:
    return _excluded(path.name, exclude)


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


def _rendered(source: Path, context: Mapping[str, Any], root: str) -> str:
    from thibaud.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError

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
        rendered: str = (
            Engine().from_string(content).render(Context(dict(context), autoescape=False))
        )
        return rendered
    except TemplateSyntaxError as error:
        line = _error_line(error)
        location = f"{where}:{line}" if line else where
        raise TemplateError(
            f"{location}: template syntax error: {one_line(error)}", template_file=where, line=line
        ) from error
    except TemplateDoesNotExist as error:
        # Thibaud's engine here has no template directories: nothing can be included.
        raise TemplateError(
            f"{where}: {{% include %}} and {{% extends %}} find nothing here "
            f"({one_line(error)}): a Django-style project template renders each file alone.",
            template_file=where,
        ) from error
    except (MemoryError, ThibaudCliError, RenderTimeout):
        raise
    except Exception as error:
        # Everything the engine runs is the template's: {% url %} without URLs,
        # {% querystring %} without a request, a computed include...
        raise TemplateError(
            f"{where}: the template failed to render ({type(error).__name__}: {one_line(error)}).",
            template_file=where,
        ) from error


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
