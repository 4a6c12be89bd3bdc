"""Rendering a copier template: :func:`render_template`, in short named steps.

Resolve the template, refuse an unvetted repository, make copier's Worker
(:mod:`.worker`), refuse code without ``--trust``, set the Jinja environment and the
bounds up, run within the deadline and the memory ceiling, check what was written,
and read the answers back; what goes wrong is told in one line by
:func:`~thibaud_cli.template.engine.translate.translated_errors`.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from thibaud_cli.errors import (
    UnsafeTemplateError,
)
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.engine.config import refuse_git_classic_template
from thibaud_cli.template.engine.strictness import tasks_output_to, undefined_as_copier_allows
from thibaud_cli.template.engine.translate import RenderSite, translated_errors
from thibaud_cli.template.engine.walk import is_git_checkout
from thibaud_cli.template.engine.worker import fresh_destination_worker, interactive_worker
from thibaud_cli.template.messages import (
    quiet_warnings,
)
from thibaud_cli.template.sandbox.filters import install_filters
from thibaud_cli.template.sandbox.limits import (
    RenderBudget,
    contain,
    refuse_escaping_symlinks,
    render_deadline,
)
from thibaud_cli.template.sandbox.memory import memory_ceiling
from thibaud_cli.vcs.git import hardened_git_environment, refuse_unvetted_config
from thibaud_cli.vcs.metadata import VCS_EXCLUDES, refuse_vcs_metadata


class CopierSource(Protocol):
    """What the engine needs of a template's source (``template/source.py``'s
    :class:`~thibaud_cli.template.source.TemplateSource`, resolved by the caller)."""

    @property
    def copier_source(self) -> str: ...
    @property
    def recorded_as(self) -> str: ...
    @property
    def local_path(self) -> Path | None: ...


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
    template: CopierSource,
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
    """Render *template* (resolved: ``source.resolve_template``) into *destination* with
    *data*, never prompting.

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
    resolved = template
    # Error locations are relative to the template's root (never into a deleted clone).
    site = RenderSite(root=resolved.copier_source)
    from plumbum import local  # copier's git runner

    if not trust and resolved.local_path is not None and is_git_checkout(resolved.local_path):
        refuse_unvetted_config(resolved.local_path)
    with translated_errors(site):
        # plumbum keeps its own copy of the environment: it gets the variables too.
        # copier warns about dirty local git templates and the like: not in a CLI.
        with hardened_git_environment() as git_env, local.env(**git_env), quiet_warnings():
            options = _WorkerOptions(data, trust, interactive, vcs_ref, exclude, run_tasks)
            with _worker(resolved, destination, options) as worker:
                site.root = str(worker.template.local_abspath)
                # A git repository without copier.yml is a Django-style template.
                refuse_git_classic_template(Path(site.root), resolved.recorded_as)
                _refuse_code_without_trust(worker, run_tasks=run_tasks, trust=trust)
                _set_up(worker, strict_undefined, name, trust, sources, compiled)
                if interactive:
                    worker.ask_questions()  # before the deadline starts
                _run(worker, destination, task_log if run_tasks else None)
                return _rendered(worker)


@dataclass(frozen=True)
class _WorkerOptions:
    data: Mapping[str, Any]
    trust: bool
    interactive: bool
    vcs_ref: str | None
    exclude: tuple[str, ...]
    run_tasks: bool


def _worker(source: CopierSource, destination: Path, options: _WorkerOptions) -> Any:
    """copier's Worker as we render with it (:mod:`.worker`), not yet run."""
    from copier._settings import SettingsModel

    worker_class = interactive_worker() if options.interactive else fresh_destination_worker()
    return worker_class(
        src_path=source.copier_source,
        dst_path=destination,
        data=dict(options.data),
        vcs_ref=options.vcs_ref,
        # Never read the user's copier settings: trust comes from --trust only.
        settings=SettingsModel(),
        defaults=not options.interactive,
        overwrite=True,
        quiet=True,
        unsafe=options.trust,
        cleanup_on_error=False,
        # Whatever the template's _exclude says, no VCS metadata is rendered.
        exclude=(*options.exclude, *VCS_EXCLUDES),
        skip_tasks=not options.run_tasks,
    )


def _refuse_code_without_trust(worker: Any, *, run_tasks: bool, trust: bool) -> None:
    """Jinja extensions and migrations run code: refused unless trusted.

    Checked before the Jinja environment exists (building it imports the extensions).
    copier checks migrations only when updating; they run code all the same.
    Re-rendering one file (*run_tasks* false) runs nothing, migrations included.
    """
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


def _set_up(
    worker: Any,
    strict_undefined: bool,
    name: str | None,
    trust: bool,
    sources: frozenset[str] | None,
    compiled: CompiledCache | None,
) -> None:
    """The render's Jinja environment, answers and bounds, as this render wants them."""
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


def _run(worker: Any, destination: Path, task_log: Path | None) -> None:
    """The render itself, within its time and memory bounds; then what it wrote, checked."""
    # Only a render that runs tasks has output of theirs to keep aside.
    log = task_log if worker.template.tasks else None
    with render_deadline(), memory_ceiling(), tasks_output_to(log):
        worker.run_copy()
    refuse_escaping_symlinks(destination)
    refuse_vcs_metadata(destination)


def _rendered(worker: Any) -> RenderedTemplate:
    """What the render produced beside the files: the answers worth recording."""
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
