"""Rendering a copier template: the only module that imports copier.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

import os
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from thibaud_cli.errors import TemplateError, UnsafeTemplateError
from thibaud_cli.template.limits import (
    RenderBudget,
    RenderTimeout,
    contain,
    refuse_escaping_symlinks,
    render_deadline,
    timeout_error,
)
from thibaud_cli.template.source import TemplateSource, resolve_template


@dataclass(frozen=True)
class RenderedTemplate:
    """What rendering produced, beside the files."""

    #: The template's own answers worth recording: declared questions, not secret,
    #: not hidden (``when: false``).
    answers: dict[str, Any]
    #: The template's version (a git tag), if copier knows one.
    version: str | None
    #: The git commit (``git describe`` form) the template was rendered from, if any.
    commit: str | None
    #: Every question the template declares.
    questions: frozenset[str] = frozenset()


def render_template(
    template: TemplateSource | str | None,
    destination: Path,
    *,
    data: Mapping[str, Any],
    trust: bool = False,
    strict_undefined: bool = False,
    vcs_ref: str | None = None,
    exclude: tuple[str, ...] = (),
    run_tasks: bool = True,
) -> RenderedTemplate:
    """Render *template* into *destination* with *data*, never prompting.

    Every question takes its default unless *data* answers it. Templates that run
    code (tasks, migrations, Jinja extensions) are refused unless *trust* is true.
    With *strict_undefined*, an undefined variable fails the render even when the
    template itself allows it. Errors are raised as :class:`TemplateError`.
    """
    resolved = template if isinstance(template, TemplateSource) else resolve_template(template)
    source = resolved.copier_source
    import jinja2
    from copier._settings import SettingsModel
    from copier.errors import CopierError
    from copier.errors import UnsafeTemplateError as CopierUnsafeTemplateError
    from plumbum.commands.processes import ProcessExecutionError  # copier's git runner

    try:
        with warnings.catch_warnings():
            # copier warns about dirty local git templates and the like; the CLI
            # is no place for Python warnings.
            warnings.simplefilter("ignore")
            with _fresh_destination_worker()(
                src_path=source,
                dst_path=destination,
                data=dict(data),
                vcs_ref=vcs_ref,
                # Never read the user's copier settings: trust comes from --trust only.
                settings=SettingsModel(),
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=trust,
                cleanup_on_error=False,
                exclude=exclude,
                skip_tasks=not run_tasks,
            ) as worker:
                if strict_undefined:
                    worker.jinja_env.undefined = jinja2.StrictUndefined
                # Re-rendering one file (run_tasks false) runs nothing, migrations included.
                if run_tasks and worker.template.config_data.get("migrations") and not trust:
                    # copier only checks migrations when updating; they run code all the same.
                    raise UnsafeTemplateError(
                        "The template has migrations, which run code on this machine: "
                        "nothing was written. If you trust the template, pass --trust."
                    )
                worker.budget = RenderBudget()
                contain(worker.jinja_env, worker.budget)
                with render_deadline():
                    worker.run_copy()
                refuse_escaping_symlinks(destination)
                template_info = worker.template
                secret = set(template_info.secret_questions)
                answers = {
                    str(key): value
                    for key, value in worker.answers.combined.items()
                    if key in template_info.questions_data
                    and not str(key).startswith("_")
                    and key not in secret
                    and key not in worker.answers.hidden
                }
                version = template_info.version
                return RenderedTemplate(
                    answers=answers,
                    version=str(version) if version is not None else None,
                    commit=template_info.commit,
                    questions=frozenset(map(str, template_info.questions_data)),
                )
    except RenderTimeout:
        # Raised where the render ran out of time, past render_deadline's own handler.
        raise timeout_error() from None
    except CopierUnsafeTemplateError as error:
        features = str(error).split(":", 1)[-1].split(".", 1)[0].strip()
        raise UnsafeTemplateError(
            f"The template uses {features}, which can run code on this machine: "
            "nothing was written. If you trust the template, pass --trust."
        ) from error
    except jinja2.TemplateSyntaxError as error:
        file, line = _template_location(error.filename, error.lineno, source)
        raise TemplateError(
            f"{_where(file, line)}: Jinja syntax error: {error.message}",
            template_file=file,
            line=line,
        ) from error
    except jinja2.UndefinedError as error:
        file, line = _undefined_location(error, source)
        raise TemplateError(
            f"{_where(file, line)}: {error.message}", template_file=file, line=line
        ) from error
    except (jinja2.TemplateError, CopierError, ValueError) as error:
        # copier raises plain ValueError for e.g. a required question without default.
        raise TemplateError(f"The template failed to render: {_one_line(error)}") from error
    except (OverflowError, MemoryError, RecursionError) as error:
        # The sandbox's range() limit, or a computation too big for memory.
        raise TemplateError(
            f"The template computes something too large ({type(error).__name__}: "
            f"{_one_line(error)}): refused, nothing was written."
        ) from error
    except ProcessExecutionError as error:
        raise TemplateError(
            f"git could not fetch the template: {_git_reason(error)}. Check the URL and "
            "your network, or give a local directory."
        ) from error


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _git_reason(error: Any) -> str:
    lines = [line.strip() for line in str(getattr(error, "stderr", "")).splitlines()]
    reasons = [line for line in lines if line]
    return reasons[-1] if reasons else _one_line(error)


def _is_git_checkout(path: Path) -> bool:
    """Whether git could see *path* as a repository root (as copier asks it to)."""
    return (path / ".git").exists() or "GIT_DIR" in os.environ


def _is_literal(text: str, environment: Any, suffix: str) -> bool:
    """Whether Jinja would render *text* as itself: no markup the environment knows,
    no line breaks (Jinja normalizes them and may drop a trailing one), and not a
    name ending with the templates suffix."""
    markers = (
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
    )
    if "\n" in text or "\r" in text or (suffix and text.endswith(suffix)):
        return False
    return not any(marker and marker in text for marker in markers)


@cache
def _fresh_destination_worker() -> type[Any]:
    """copier's Worker, minus work that cannot change what we render.

    We use the Worker rather than run_copy() to adjust the Jinja environment. Our
    callers always render into a new, empty directory. Profiling showed copier
    spending most of its own time on:

    - 13 git subprocesses: after writing each file ``git config core.fileMode`` (and
      maybe ``git ls-files``) to fix the executable bit of files already tracked by
      git in the destination (in a new directory none is), and, to tell whether a
      local template is a git repository, ``git rev-parse`` then ``git init`` +
      ``git bundle verify`` (a directory without ``.git`` is neither);
    - about 9 Jinja compiles per template file: every part of every path is compiled
      and rendered, literal or not, and the answers file's name is compiled and
      rendered again for each part. Literal parts are returned as they are, and the
      answers file's name is rendered once per render;
    - rendering every path of a git template's ``.git`` before excluding it.

    These lean on copier internals; if copier renames them, the overrides stop
    applying and rendering is merely as slow as before, never different. The
    budget (``budget``, set by :func:`render_template`) is charged for every file,
    directory and symlink written.
    """
    from copier._jinja_ext import get_yield_context
    from copier._main import Worker

    class FreshDestinationWorker(Worker):
        budget: RenderBudget | None = None
        _answers_relpath_cache: Path | None = None
        _rendering_tree = False

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            return None

        @cached_property
        def template(self) -> Any:
            template = super().template
            local = Path(str(template.url)).expanduser()
            if local.is_dir() and not _is_git_checkout(local):
                # Template.vcs is a cached_property: filling its cache skips the probe.
                template.__dict__["vcs"] = None
            return template

        def _render_template(self) -> None:
            # The answers are final once the tree renders: its file name cannot change.
            self._rendering_tree = True
            try:
                super()._render_template()
            finally:
                self._rendering_tree = False
                self._answers_relpath_cache = None

        @property
        def answers_relpath(self) -> Path:
            if not self._rendering_tree:
                return Path(super().answers_relpath)
            if self._answers_relpath_cache is None:
                self._answers_relpath_cache = Path(super().answers_relpath)
            else:
                # copier relies on the compile this replaces to forget a path's yield tag.
                self._forget_yield()
            return self._answers_relpath_cache

        def _forget_yield(self) -> None:
            """What compiling any string does to copier's yield state: reset it."""
            context = get_yield_context(self.jinja_env)
            context.yield_name = None
            context.yield_iterable = None

        def _render_string(self, string: str, extra_context: Any = None) -> str:
            if type(string) is str and _is_literal(
                string, self.jinja_env, self.template.templates_suffix
            ):
                self._forget_yield()
                return string
            if type(string) is not str:
                return str(super()._render_string(string, extra_context=extra_context))
            compiled = self._compiled.get(string)
            if compiled is None:
                compiled = self._compiled[string] = self.jinja_env.from_string(string)
            else:
                self._forget_yield()
            return str(compiled.render(**self._render_context(), **(extra_context or {})))

        @cached_property
        def _compiled(self) -> dict[str, Any]:
            # The same path part (``{{ project_name }}``) recurs in every path under it.
            return {}

        def _render_path(self, relpath: Path) -> Any:
            if relpath.parts and relpath.parts[0] == ".git" and self._skips_git_directory:
                return iter(())
            return super()._render_path(relpath)

        @cached_property
        def _skips_git_directory(self) -> bool:
            # Excluded by name (copier's default), and no pattern lets part of it back.
            exclusions = [str(pattern).strip() for pattern in self.all_exclusions]
            return ".git" in exclusions and not any(
                pattern.startswith("!") and ".git" in pattern for pattern in exclusions
            )

        def _render_file(
            self, src_relpath: Path, dst_relpath: Path, extra_context: Any = None
        ) -> None:
            if self.budget is not None:
                self.budget.charge_entry()
            super()._render_file(src_relpath, dst_relpath, extra_context=extra_context)

        def _render_folder(self, dst_relpath: Path) -> None:
            if self.budget is not None:
                self.budget.charge_entry()
            super()._render_folder(dst_relpath)

        def _render_symlink(self, src_relpath: Path, dst_relpath: Path) -> None:
            if self.budget is not None:
                self.budget.charge_entry()
            super()._render_symlink(src_relpath, dst_relpath)

    return FreshDestinationWorker


def _where(file: str | None, line: int | None) -> str:
    if file is None:
        return "<template>"
    return f"{file}:{line}" if line else file


def _template_location(
    filename: str | None, lineno: int | None, source: str
) -> tuple[str | None, int | None]:
    """(the template file relative to *source*, the line)."""
    if not filename:
        return "<template string>", lineno
    path = Path(filename)
    try:
        path = path.relative_to(source)
    except ValueError:
        pass
    return str(path), lineno


def _undefined_location(error: BaseException, source: str) -> tuple[str | None, int | None]:
    """The template file and line an UndefinedError came from.

    Jinja rewrites tracebacks so that template frames carry the template's file
    name and line; the innermost such frame is where the variable was used.
    """
    location: tuple[str | None, int | None] = (None, None)
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            location = _template_location(filename, lineno, source)
    return location
