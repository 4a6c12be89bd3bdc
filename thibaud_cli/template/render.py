"""Rendering a copier template: the only module that imports copier.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from thibaud_cli.errors import (
    InvalidDataError,
    QuestionsInterrupted,
    TemplateError,
    UnsafeTemplateError,
)
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.classic import refuse_git_classic_template
from thibaud_cli.template.filters import install_filters
from thibaud_cli.template.limits import (
    RenderBudget,
    RenderTimeout,
    contain,
    refuse_escaping_symlinks,
    render_deadline,
    timeout_error,
)
from thibaud_cli.template.messages import (
    git_reason,
    is_literal,
    one_line,
    quiet_warnings,
    template_location,
    undefined_location,
    where,
)
from thibaud_cli.template.source import TemplateSource, resolve_template
from thibaud_cli.template.strictness import tasks_output_to, undefined_as_copier_allows
from thibaud_cli.template.walk import SKIPPED_DIRECTORY, is_git_checkout, walk
from thibaud_cli.vcs.git import hardened_git_environment, refuse_unvetted_config
from thibaud_cli.vcs.metadata import VCS_EXCLUDES, refuse_vcs_metadata


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
    #: The questions marked ``secret: true``: their answers are never shown.
    secret_questions: frozenset[str] = frozenset()
    #: copier's ``config_data``: ``copier.yml``'s ``_`` keys without the underscore.
    config: Mapping[str, Any] = field(default_factory=dict)
    #: Where the rendered project keeps its entry points, when the caller looked.
    entry_points: EntryPoints | None = None


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
    interactive: bool = False,
    name: str | None = None,
    task_log: Path | None = None,
    sources: frozenset[str] | None = None,
) -> RenderedTemplate:
    """Render *template* into *destination* with *data*, never prompting.

    Every question takes its default unless *data* answers it. Templates that run
    code (tasks, migrations, Jinja extensions) are refused unless *trust* is true.
    With *strict_undefined*, an undefined variable fails the render even when the
    template itself allows it. With *sources* (paths in the template, suffix
    included) only those files are rendered. Errors are raised as :class:`TemplateError`.

    With *interactive*, copier prompts instead, on the terminal, for every question
    *data* does not answer (never a ``when: false`` one); Ctrl-C or end of input at a
    prompt raises :class:`QuestionsInterrupted`.

    *name* answers the question the template's ``_thibaud.name_question`` names
    (default ``project_name``). With *task_log*, what the template's tasks print
    goes to that file, not to this process's standard output and error.
    """
    resolved = template if isinstance(template, TemplateSource) else resolve_template(template)
    source = resolved.copier_source
    # Error locations are relative to the template's root (never into a deleted clone).
    template_root = source
    import jinja2
    from copier._settings import SettingsModel
    from copier.errors import CopierAnswersInterrupt, CopierError, InteractiveSessionError
    from copier.errors import TaskError as CopierTaskError
    from copier.errors import UnsafeTemplateError as CopierUnsafeTemplateError
    from plumbum import local  # copier's git runner
    from plumbum.commands.processes import ProcessExecutionError

    if not trust and resolved.local_path is not None and is_git_checkout(resolved.local_path):
        refuse_unvetted_config(resolved.local_path)
    try:
        # plumbum keeps its own copy of the environment: it gets the variables too.
        # copier warns about dirty local git templates and the like: not in a CLI.
        with hardened_git_environment() as git_env, local.env(**git_env), quiet_warnings():
            worker_class = _interactive_worker() if interactive else _fresh_destination_worker()
            with worker_class(
                src_path=source,
                dst_path=destination,
                data=dict(data),
                vcs_ref=vcs_ref,
                # Never read the user's copier settings: trust comes from --trust only.
                settings=SettingsModel(),
                defaults=not interactive,
                overwrite=True,
                quiet=True,
                unsafe=trust,
                cleanup_on_error=False,
                # Whatever the template's _exclude says, no VCS metadata is rendered.
                exclude=(*exclude, *VCS_EXCLUDES),
                skip_tasks=not run_tasks,
            ) as worker:
                template_root = str(worker.template.local_abspath)
                # A git repository without copier.yml is a Django-style template.
                refuse_git_classic_template(Path(template_root), resolved.recorded_as)
                # Before the Jinja environment exists (building it imports the extensions).
                # copier checks migrations only when updating; they run code all the same.
                # Re-rendering one file (run_tasks false) runs nothing, migrations included.
                unsafe = [
                    what
                    for what, used in (
                        ("jinja_extensions", worker.template.jinja_extensions),
                        ("migrations", run_tasks and worker.template.config_data.get("migrations")),
                    )
                    if used
                ]
                if unsafe and not trust:
                    raise UnsafeTemplateError(
                        f"The template uses {' and '.join(unsafe)}, which run code on this "
                        "machine: nothing was written. If you trust the template, pass --trust."
                    )
                if strict_undefined:
                    worker.jinja_env.undefined = undefined_as_copier_allows(
                        frozenset(map(str, worker.template.questions_data))
                    )
                if name is not None:
                    from thibaud_cli.template.contract import name_question

                    worker.data.setdefault(name_question(worker.template.config_data), name)
                install_filters(worker.jinja_env, trust=trust)
                worker.sources = sources
                worker.budget = RenderBudget()
                contain(worker.jinja_env, worker.budget)
                if interactive:
                    worker.ask_questions()  # before the deadline starts
                with render_deadline(), tasks_output_to(task_log):
                    worker.run_copy()
                refuse_escaping_symlinks(destination)
                refuse_vcs_metadata(destination)
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
                    secret_questions=frozenset(map(str, secret)),
                    config=dict(template_info.config_data),
                )
    except CopierAnswersInterrupt as error:  # Ctrl-C at a question
        raise QuestionsInterrupted(
            f"Stopped at the question '{error.last_question.var_name}': nothing was written."
        ) from error
    except InteractiveSessionError as error:  # end of input (Ctrl-D) at a question
        raise QuestionsInterrupted(
            "The questions were left unanswered (end of input): nothing was written. "
            "Answer them with --data KEY=VALUE, or pass --defaults."
        ) from error
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
        file, line = template_location(error.filename, error.lineno, template_root)
        raise TemplateError(
            f"{where(file, line)}: Jinja syntax error: {error.message}",
            template_file=file,
            line=line,
        ) from error
    except jinja2.UndefinedError as error:
        file, line = undefined_location(error, template_root)
        raise TemplateError(
            f"{where(file, line)}: {error.message}", template_file=file, line=line
        ) from error
    except CopierTaskError as error:
        raise TemplateError(
            f"A task of the template failed: {one_line(error)}; what it printed is above "
            "(or in the report). Pass --skip-tasks to render without tasks."
        ) from error
    except (jinja2.TemplateError, CopierError, ValueError) as error:
        # copier raises plain ValueError for e.g. a required question without default.
        hint = ""
        required = re.search(r'Question "(\w+)" is required', str(error))
        if required:
            hint = f": it has no default, answer it with --data {required.group(1)}=VALUE"
        raise TemplateError(f"The template failed to render: {one_line(error)}{hint}") from error
    except (OverflowError, MemoryError, RecursionError) as error:
        # The sandbox's range() limit, or a computation too big for memory.
        raise TemplateError(
            f"The template computes something too large ({type(error).__name__}: "
            f"{one_line(error)}): refused, nothing was written."
        ) from error
    except (ArithmeticError, LookupError, TypeError, AttributeError) as error:
        # '{0}{1}'.format(1), 1/0, {}['x']|attr... in the template's own code: its failure,
        # told in one line. The same exceptions from anywhere else are bugs: re-raised.
        file, line = undefined_location(error, template_root)
        if file is None and not _raised_in_template_string(error):
            raise
        raise TemplateError(
            f"{where(file, line)}: {type(error).__name__}: {one_line(error)}: the template "
            "failed to render, nothing was written.",
            template_file=file,
            line=line,
        ) from error
    except ProcessExecutionError as error:
        raise TemplateError(
            f"git could not fetch the template: {git_reason(error)}. Check the URL and "
            "your network, or give a local directory."
        ) from error


def _raised_in_template_string(error: BaseException) -> bool:
    """Whether *error* was raised by template code compiled from a string (a path)."""
    return any(
        frame.f_code.co_filename == "<template>"
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


@cache
def _fresh_destination_worker() -> type[Any]:
    """copier's Worker, minus work that cannot change what we render.

    We use the Worker rather than run_copy() to adjust the Jinja environment. Our
    callers always render into a new, empty directory. copier spent its time on:

    - 13 git subprocesses: after writing each file ``git config core.fileMode`` (and
      maybe ``git ls-files``) to fix the executable bit of files already tracked by
      git in the destination (in a new directory none is), and, to tell whether a
      local template is a git repository, ``git rev-parse`` then ``git init`` +
      ``git bundle verify`` (a directory without ``.git`` is neither);
    - about 9 Jinja compiles per template file: every part of every path is compiled
      and rendered, literal or not, and the answers file's name again for each part.
      Literal parts are returned as they are, other strings compiled once, and the
      answers file's name rendered once per render;
    - walking and rendering every path of a git template's ``.git`` before excluding it.

    These lean on copier internals; if copier renames them, the overrides stop
    applying and rendering is merely as slow as before, never different. Every file,
    directory and symlink written is charged to the render's budget; with
    ``sources`` only those template files (and their directories) are rendered.
    """
    import copier._main
    from copier._jinja_ext import get_yield_context
    from copier._main import Worker
    from copier.errors import CopierError, InvalidTypeError

    # copier's walk of a template: ours is the same, minus this thread's render's
    # SKIPPED_DIRECTORY (its clone's .git). setattr: mypy sees no such export.
    setattr(copier._main, "scantree", walk)  # noqa: B010

    class FreshDestinationWorker(Worker):
        budget: RenderBudget  # set by render_template before anything renders
        sources: frozenset[str] | None = None
        _answers_relpath_cache: Path | None = None
        _rendering_tree = False

        def _ask(self) -> None:
            # Answers are never prompted for: one that does not fit its question (a choice
            # not offered, a failed validator, a value of the wrong type) was given on the
            # command line or in the answers file, and a required question without a
            # default needs one there: usage errors. A default that fails is the template's.
            try:
                super()._ask()
            except (ValueError, InvalidTypeError) as error:
                if isinstance(error, CopierError) and not isinstance(error, InvalidTypeError):
                    raise
                question = self._failed_question(str(error))
                message = one_line(error).removesuffix(" Nothing was written.").rstrip(".")
                if question is None:
                    raise
                if question not in self.answers.init:
                    raise InvalidDataError(
                        f"{message}: give it with --data {question}=VALUE. Nothing was written."
                    ) from error
                if not re.search(rf"\b{re.escape(question)}\b", message):
                    message = f"--data {question}: {message}"
                raise InvalidDataError(f"{message}: nothing was written.") from error

        def _failed_question(self, message: str) -> str | None:
            """The question whose answer copier refused: named in *message* (in quotes),
            else the first given answer it had not taken yet (it asks in order)."""
            questions = [str(name) for name in self.template.questions_data]
            named = re.search(r"['\"]([A-Za-z_]\w*)['\"]", message)
            if named is not None and named.group(1) in questions:
                name = named.group(1)
                if name in self.answers.init or "required" in message:
                    return name
                return None  # its default failed: the template's error
            pending = [
                name
                for name in questions
                if name in self.answers.init and name not in self.answers.user
            ]
            return pending[0] if pending else None

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            return None

        @cached_property
        def template(self) -> Any:
            template = super().template
            local = Path(str(template.url)).expanduser()
            if local.is_dir() and not is_git_checkout(local):
                # Template.vcs is a cached_property: filling its cache skips the probe.
                template.__dict__["vcs"] = None
            return template

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
            if type(string) is not str:  # copier relies on the TypeError this raises
                return str(super()._render_string(string, extra_context=extra_context))
            compiled = self._compiled.get(string)
            if compiled is None and not is_literal(
                string, self.jinja_env, self.template.templates_suffix
            ):
                compiled = self._compiled[string] = self.jinja_env.from_string(string)
            else:
                self._forget_yield()
            if compiled is None:
                return string
            return str(compiled.render(**self._render_context(), **(extra_context or {})))

        @cached_property
        def _compiled(self) -> dict[str, Any]:
            # The same path part (``{{ project_name }}``) recurs in every path under it.
            return {}

        def _render_template(self) -> None:
            skipped = self.template_copy_root / ".git" if self._skips_git_directory else None
            token = SKIPPED_DIRECTORY.set(str(skipped) if skipped else None)
            # The answers are final once the tree renders: its file name cannot change.
            self._rendering_tree = True
            try:
                super()._render_template()
            finally:
                SKIPPED_DIRECTORY.reset(token)
                self._rendering_tree = False
                self._answers_relpath_cache = None

        def _render_path(self, relpath: Path) -> Any:
            if self.sources is not None:
                name = relpath.as_posix()
                if name not in self.sources and name not in self._source_directories:
                    return iter(())
            return super()._render_path(relpath)

        @cached_property
        def _source_directories(self) -> frozenset[str]:
            sources = self.sources or frozenset()
            return frozenset(parent.as_posix() for name in sources for parent in Path(name).parents)

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
            self.budget.charge_entry()
            super()._render_file(src_relpath, dst_relpath, extra_context=extra_context)

        def _render_folder(self, dst_relpath: Path) -> None:
            self.budget.charge_entry()
            super()._render_folder(dst_relpath)

        def _render_symlink(self, src_relpath: Path, dst_relpath: Path) -> None:
            self.budget.charge_entry()
            super()._render_symlink(src_relpath, dst_relpath)

    return FreshDestinationWorker


@cache
def _interactive_worker() -> type[Any]:
    """The Worker of :func:`_fresh_destination_worker`, asking its questions first.

    copier asks inside ``run_copy()``, which runs under the render deadline; a person
    thinking over a question is not a template computing, so ``ask_questions()`` asks
    them before the deadline starts (after copier's check for unsafe features, as
    ``run_copy()`` does), and ``run_copy()`` then keeps those answers.
    """

    class InteractiveWorker(_fresh_destination_worker()):  # type: ignore[misc]
        def ask_questions(self) -> None:
            self._check_unsafe("copy")
            self._ask()
            self.__dict__["_asked"] = True

        def _ask(self) -> None:
            if not self.__dict__.get("_asked"):
                super()._ask()

    return InteractiveWorker
