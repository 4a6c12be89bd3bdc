"""Rendering a copier template: the only module that imports copier.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thibaud_cli.errors import (
    QuestionsInterrupted,
    TemplateError,
    UnsafeTemplateError,
)
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.engine.strictness import tasks_output_to, undefined_as_copier_allows
from thibaud_cli.template.engine.walk import is_git_checkout
from thibaud_cli.template.engine.worker import fresh_destination_worker, interactive_worker
from thibaud_cli.template.messages import (
    git_reason,
    one_line,
    quiet_warnings,
    template_location,
    undefined_location,
    where,
)
from thibaud_cli.template.sandbox.filters import install_filters
from thibaud_cli.template.sandbox.limits import (
    RenderBudget,
    RenderTimeout,
    contain,
    refuse_escaping_symlinks,
    render_deadline,
    timeout_error,
)
from thibaud_cli.template.sandbox.memory import MEMORY_CEILING, memory_ceiling
from thibaud_cli.template.source import (
    TemplateSource,
    refuse_git_classic_template,
    resolve_template,
)
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
    compiled: CompiledCache | None = None,
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
    goes to that file, not to this process's standard output and error. Renders of
    one template with the same *trust* may share a *compiled* cache of Jinja code.
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
            worker_class = interactive_worker() if interactive else fresh_destination_worker()
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
                if compiled is not None:  # the environment is now as it renders
                    compiled.share(worker.jinja_env)
                if interactive:
                    worker.ask_questions()  # before the deadline starts
                # Only a render that runs tasks has output of theirs to keep aside.
                log = task_log if run_tasks and worker.template.tasks else None
                with render_deadline(), memory_ceiling(), tasks_output_to(log):
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
    except MemoryError as error:
        raise TemplateError(
            f"The template needs more than {MEMORY_CEILING // (1024 * 1024)} MiB of memory to "
            "render: refused, nothing was written."
        ) from error
    except (OverflowError, RecursionError) as error:
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
