"""Rendering a copier template: the only module that imports copier.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings
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
    contain,
    refuse_escaping_symlinks,
    render_deadline,
)
from thibaud_cli.template.source import TemplateSource, resolve_template
from thibaud_cli.template.strictness import tasks_output_to, undefined_as_copier_allows
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
) -> RenderedTemplate:
    """Render *template* into *destination* with *data*, never prompting.

    Every question takes its default unless *data* answers it. Templates that run
    code (tasks, migrations, Jinja extensions) are refused unless *trust* is true.
    With *strict_undefined*, an undefined variable fails the render even when the
    template itself allows it. Errors are raised as :class:`TemplateError`.

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

    if not trust and resolved.local_path is not None and _is_git_checkout(resolved.local_path):
        refuse_unvetted_config(resolved.local_path)
    try:
        # plumbum keeps its own copy of the environment: it gets the variables too.
        with hardened_git_environment() as git_env, local.env(**git_env), warnings.catch_warnings():
            # copier warns about dirty local git templates and the like; the CLI
            # is no place for Python warnings.
            warnings.simplefilter("ignore")
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
                contain(worker.jinja_env, RenderBudget())
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
    except CopierUnsafeTemplateError as error:
        features = str(error).split(":", 1)[-1].split(".", 1)[0].strip()
        raise UnsafeTemplateError(
            f"The template uses {features}, which can run code on this machine: "
            "nothing was written. If you trust the template, pass --trust."
        ) from error
    except jinja2.TemplateSyntaxError as error:
        file, line = _template_location(error.filename, error.lineno, template_root)
        raise TemplateError(
            f"{_where(file, line)}: Jinja syntax error: {error.message}",
            template_file=file,
            line=line,
        ) from error
    except jinja2.UndefinedError as error:
        file, line = _undefined_location(error, template_root)
        raise TemplateError(
            f"{_where(file, line)}: {error.message}", template_file=file, line=line
        ) from error
    except CopierTaskError as error:
        raise TemplateError(
            f"A task of the template failed: {_one_line(error)}; what it printed is above "
            "(or in the report). Pass --skip-tasks to render without tasks."
        ) from error
    except (jinja2.TemplateError, CopierError, ValueError) as error:
        # copier raises plain ValueError for e.g. a required question without default.
        hint = ""
        required = re.search(r'Question "(\w+)" is required', str(error))
        if required:
            hint = f": it has no default, answer it with --data {required.group(1)}=VALUE"
        raise TemplateError(f"The template failed to render: {_one_line(error)}{hint}") from error
    except (OverflowError, MemoryError, RecursionError) as error:
        # The sandbox's range() limit, or a computation too big for memory.
        raise TemplateError(
            f"The template computes something too large ({type(error).__name__}: "
            f"{_one_line(error)}): refused, nothing was written."
        ) from error
    except (ArithmeticError, LookupError, TypeError, AttributeError) as error:
        # '{0}{1}'.format(1), 1/0, {}['x']|attr... in the template's own code: its failure,
        # told in one line. The same exceptions from anywhere else are bugs: re-raised.
        file, line = _undefined_location(error, source)
        if file is None and not _raised_in_template_string(error):
            raise
        raise TemplateError(
            f"{_where(file, line)}: {type(error).__name__}: {_one_line(error)}: the template "
            "failed to render, nothing was written.",
            template_file=file,
            line=line,
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


def _raised_in_template_string(error: BaseException) -> bool:
    """Whether *error* was raised by template code compiled from a string (a path)."""
    return any(
        frame.f_code.co_filename == "<template>"
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def _is_git_checkout(path: Path) -> bool:
    """Whether git could see *path* as a repository root (as copier asks it to)."""
    return (path / ".git").exists() or "GIT_DIR" in os.environ


@cache
def _fresh_destination_worker() -> type[Any]:
    """copier's Worker, minus git subprocesses that cannot change what we render.

    We use the Worker rather than run_copy() to adjust the Jinja environment. Our
    callers always render into a new, empty directory, and profiling startproject
    showed copier spending a large share of its own time in 13 git subprocesses:

    - after writing each file it runs ``git config core.fileMode`` (and maybe
      ``git ls-files``) to fix the executable bit of files already tracked by git
      in the destination; in a new directory no file is tracked, so it never
      changes anything;
    - to tell whether a local template is a git repository it runs ``git rev-parse``
      and then ``git init`` + ``git bundle verify`` in a temporary directory; a
      directory without ``.git`` is neither a repository root nor a bundle file.

    Both shortcuts lean on copier internals; if copier renames them, the overrides
    stop applying and rendering is merely as slow as before, never different.
    """
    from copier._main import Worker
    from copier.errors import CopierError, InvalidTypeError

    class FreshDestinationWorker(Worker):
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
                message = _one_line(error).removesuffix(" Nothing was written.").rstrip(".")
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
            if local.is_dir() and not _is_git_checkout(local):
                # Template.vcs is a cached_property: filling its cache skips the probe.
                template.__dict__["vcs"] = None
            return template

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
