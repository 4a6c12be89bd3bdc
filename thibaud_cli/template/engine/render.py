"""Rendering a copier template: :func:`open_render`, in short named steps.

Resolve the template, refuse an unvetted repository, make copier's Worker
(:mod:`.worker`), refuse code without ``--trust``, set the Jinja environment and the
bounds up, run within the deadline and the memory ceiling, check what was written,
and read the answers back; what goes wrong is told in one line by
:func:`~thibaud_cli.template.engine.translate.translated_errors`.

A render is a session: while the template is still at hand (a git template's clone
lives as long as the session), the caller puts the project where it belongs and runs
the template's tasks there (:meth:`RenderSession.run_tasks`, :mod:`.tasks`), outside
the render's limits. :func:`render_template` does both in the render's destination.

copier (and jinja2 with it) is imported inside the functions, so commands that do
not render, and ``--help``, never pay for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from thibaud_cli.errors import (
    UnsafeTemplateError,
)
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.engine.config import refuse_git_classic_template
from thibaud_cli.template.engine.origins import Origin
from thibaud_cli.template.engine.strictness import (
    UndefinedUse,
    undefined_as_copier_allows,
    undefined_recorder,
)
from thibaud_cli.template.engine.tasks import run_template_code
from thibaud_cli.template.engine.translate import RenderSite, translated_errors
from thibaud_cli.template.engine.walk import is_git_checkout
from thibaud_cli.template.engine.worker import fresh_destination_worker, interactive_worker
from thibaud_cli.template.messages import (
    quiet_warnings,
)
from thibaud_cli.template.naming import find_name_question
from thibaud_cli.template.sandbox.filters import install_filters
from thibaud_cli.template.sandbox.limits import (
    RenderBudget,
    contain,
    refuse_escaping_symlinks,
    render_bounds,
)
from thibaud_cli.vcs.git import hardened_git_environment, refuse_unvetted_config
from thibaud_cli.vcs.metadata import VCS_EXCLUDES, refuse_foreign_metadata


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
    #: The question the project's name answered (:mod:`~thibaud_cli.template.naming`);
    #: None when the template has none.
    name_question: str | None = None
    #: The template's messages for the operation, rendered as copier renders them
    #: (``before``: before the questions are answered, ``after``: with the answers).
    messages: Mapping[Literal["before", "after"], str] = field(default_factory=dict)
    #: The answers to the secret questions as the render had them (given, defaults,
    #: defaults generated at render time): what reports must never show.
    secret_values: tuple[str, ...] = ()


#: The copier operation a render is for: it decides which of the template's
#: messages (``_message_before_copy``... ``_message_after_update``) it renders.
Operation = Literal["copy", "update"]


@dataclass
class RenderSession:
    """A render done, its template still at hand for the tasks."""

    rendered: RenderedTemplate
    _worker: Any
    _site: RenderSite

    def run_tasks(self, directory: Path, *, log: Path | None = None) -> None:
        """Run the template's ``_tasks`` in *directory*, where the rendered project now
        is, as copier runs them after a copy (the project's answers, ``_copier_operation``
        ``copy``): outside the render's limits, with the user's own environment. With
        *log*, what they print goes there. A failing one raises :class:`TaskError`."""
        with translated_errors(self._site):
            run_template_code(
                self._worker,
                list(self._worker.template.tasks),
                directory=directory,
                operation="copy",
                log=log,
            )

    @property
    def has_tasks(self) -> bool:
        return bool(self._worker.template.tasks)


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
    operation: Operation | None = None,
    undefined_uses: list[UndefinedUse] | None = None,
    origins: dict[str, Origin] | None = None,
) -> RenderedTemplate:
    """Render *template* into *destination* with *data*, then (with *run_tasks*) run its
    tasks there: :func:`open_render` and :meth:`RenderSession.run_tasks` in one call.
    With *task_log*, what the tasks print goes to that file; with *undefined_uses*, each
    use of an undefined name (rendered as copier renders it); with *origins*, the template
    file each rendered Python file came from."""
    options = RenderOptions(
        trust=trust,
        strict_undefined=strict_undefined,
        vcs_ref=vcs_ref,
        exclude=exclude,
        interactive=interactive,
        name=name,
        sources=sources,
        compiled=compiled,
        operation=operation,
        skip_tasks=not run_tasks,
        undefined_uses=undefined_uses,
        origins=origins,
    )
    with open_render(template, destination, data=data, options=options) as session:
        if run_tasks and session.has_tasks:
            session.run_tasks(destination, log=task_log)
        return session.rendered


@dataclass(frozen=True)
class RenderOptions:
    """How :func:`open_render` renders (see there)."""

    trust: bool = False
    strict_undefined: bool = False
    vcs_ref: str | None = None
    exclude: tuple[str, ...] = ()
    interactive: bool = False
    name: str | None = None
    sources: frozenset[str] | None = None
    compiled: CompiledCache | None = None
    operation: Operation | None = None
    skip_tasks: bool = False
    shown_destination: Path | None = None
    on_message: Callable[[str], None] | None = None
    #: An open session of the same template at the same ``vcs_ref`` (and trust):
    #: this render reads the template it holds (no second clone, no second parse of
    #: ``copier.yml``). It must stay open until this render's session ends.
    template_of: RenderSession | None = None
    #: Where each use of an undefined name is recorded (rendered as copier renders it).
    undefined_uses: list[UndefinedUse] | None = None
    #: Where the template file each rendered Python file came from is recorded.
    origins: dict[str, Origin] | None = None


@contextlib.contextmanager
def open_render(
    template: CopierSource,
    destination: Path,
    *,
    data: Mapping[str, Any],
    options: RenderOptions | None = None,
) -> Iterator[RenderSession]:
    """Render *template* (resolved: ``source.resolve_template``) into *destination* with
    *data*, never prompting; the session keeps the template until the block ends, for
    its tasks.

    Every question takes its default unless *data* answers it. Templates that run
    code (tasks, migrations, Jinja extensions) are refused unless ``trust`` is true
    (tasks not, with ``skip_tasks``). With ``strict_undefined``, an undefined variable
    fails the render even when the template itself allows it. With ``sources`` (paths
    in the template, suffix included) only those files are rendered. Errors are raised
    as :class:`TemplateError`.

    With ``interactive``, copier prompts instead, on the terminal, for every question
    *data* does not answer (never a ``when: false`` one); Ctrl-C or end of input at a
    prompt raises :class:`QuestionsInterrupted`.

    ``name`` answers the question that names the project's package
    (:func:`~thibaud_cli.template.naming.find_name_question`). Renders of one template
    with the same ``trust`` may share a ``compiled`` cache of Jinja code. With
    ``operation``, the template's messages for it are rendered (the one copier shows
    before anything is asked goes to ``on_message`` then). ``shown_destination`` is
    where the project will be once published: the template sees it as copier's
    ``_copier_conf.dst_path`` and ``_folder_name``.
    """
    options = options or RenderOptions()
    # Error locations are relative to the template's root (never into a deleted clone).
    site = RenderSite(root=template.copier_source)
    from plumbum import local  # copier's git runner

    if (
        not options.trust
        and template.local_path is not None
        and is_git_checkout(template.local_path)
    ):
        refuse_unvetted_config(template.local_path)
    with contextlib.ExitStack() as template_kept:
        with translated_errors(site):
            # plumbum keeps its own copy of the environment: it gets the variables too.
            # copier warns about dirty local git templates and the like: not in a CLI.
            with hardened_git_environment() as git_env, local.env(**git_env), quiet_warnings():
                worker = template_kept.enter_context(_worker(template, destination, data, options))
                site.root = str(worker.template.local_abspath)
                # A git repository without copier.yml is a Django-style template.
                refuse_git_classic_template(Path(site.root), template.recorded_as)
                _refuse_code_without_trust(worker, options)
                question = _set_up(worker, options)
                rendered = _run(worker, options, question)
        refuse_escaping_symlinks(destination)
        # What the render wrote; version-control metadata a task makes is the project's.
        refuse_foreign_metadata(destination)
        yield RenderSession(rendered, worker, site)


def check_answers(
    template: CopierSource,
    scratch: Path,
    *,
    data: Mapping[str, Any],
    trust: bool = False,
    vcs_ref: str | None = None,
    name: str | None = None,
    secrets_seen: set[str] | None = None,
) -> frozenset[str]:
    """The questions of *template* (at *vcs_ref*), once its answers to *data* are checked
    as a render checks them, and nothing rendered (nothing written in *scratch*): what a
    render would refuse for the command line's sake is told once, before any render.

    Raises what :func:`open_render` raises for it: :class:`InvalidDataError` for an
    answer that does not fit its question (:class:`MissingAnswerError` for a question
    left without one), :class:`TemplateSourceError` for a *vcs_ref* the template does not
    have, and :class:`TemplateError` for the rest (a template that runs code without
    *trust* among them: its Jinja extensions would be imported to ask the questions).
    *name* answers the question that names the project's package, as in a render. The
    template's secret questions are added to *secrets_seen* before its answers are checked
    (a refusal may quote a secret answer)."""
    options = RenderOptions(trust=trust, vcs_ref=vcs_ref, name=name, skip_tasks=True)
    site = RenderSite(root=template.copier_source)
    from plumbum import local  # copier's git runner

    if not trust and template.local_path is not None and is_git_checkout(template.local_path):
        refuse_unvetted_config(template.local_path)
    with translated_errors(site):
        with hardened_git_environment() as git_env, local.env(**git_env), quiet_warnings():
            with _worker(template, scratch / "questions", data, options) as worker:
                site.root = str(worker.template.local_abspath)
                refuse_git_classic_template(Path(site.root), template.recorded_as)
                _refuse_code_without_trust(worker, options)
                if secrets_seen is not None:
                    secrets_seen.update(map(str, worker.template.secret_questions))
                _set_up(worker, options)
                with render_bounds():  # defaults and validators are the template's Jinja
                    worker._ask()
                return frozenset(map(str, worker.template.questions_data))


def _worker(
    source: CopierSource, destination: Path, data: Mapping[str, Any], options: RenderOptions
) -> Any:
    """copier's Worker as we render with it (:mod:`.worker`), not yet run."""
    from copier._settings import SettingsModel

    worker_class = interactive_worker() if options.interactive else fresh_destination_worker()
    worker = worker_class(
        src_path=source.copier_source,
        dst_path=destination,
        data=dict(data),
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
        # Tasks run once the project is where it belongs (RenderSession.run_tasks).
        skip_tasks=True,
    )
    worker.shown_destination = options.shown_destination
    if options.template_of is not None:
        worker.shared_template = options.template_of._worker.template
    return worker


def _refuse_code_without_trust(worker: Any, options: RenderOptions) -> None:
    """Jinja extensions, migrations and tasks run code: refused unless trusted.

    Checked before the Jinja environment exists (building it imports the extensions).
    copier checks migrations only when updating; they run code all the same.
    Re-rendering one file (tasks skipped) runs nothing, migrations included.
    """
    runs_tasks = not options.skip_tasks
    unsafe = [
        what
        for what, used in (
            ("jinja_extensions", worker.template.jinja_extensions),
            ("migrations", runs_tasks and worker.template.config_data.get("migrations")),
            ("tasks", runs_tasks and worker.template.tasks),
        )
        if used
    ]
    if unsafe and not options.trust:
        raise UnsafeTemplateError(
            f"The template uses {' and '.join(unsafe)}, which run code on this "
            "machine: nothing was written. If you trust the template, pass --trust."
        )


def _set_up(worker: Any, options: RenderOptions) -> str | None:
    """The render's Jinja environment, answers and bounds, as this render wants them;
    the question the name answers."""
    template = worker.template
    questions = frozenset(map(str, template.questions_data))
    if options.strict_undefined:
        worker.jinja_env.undefined = undefined_as_copier_allows(questions)
    elif options.undefined_uses is not None:
        root = str(template.local_abspath)
        worker.jinja_env.undefined = undefined_recorder(questions, root, options.undefined_uses)
    question = find_name_question(
        Path(template.local_abspath), template.config_data, template.questions_data
    )
    if options.name is not None and question is not None:
        worker.data.setdefault(question, options.name)
    install_filters(worker.jinja_env, trust=options.trust)
    worker.sources = options.sources
    worker.origins = options.origins
    worker.budget = RenderBudget()
    contain(worker.jinja_env, worker.budget)
    if options.compiled is not None:  # the environment is now as it renders
        options.compiled.share(worker.jinja_env)
    return question


def _run(worker: Any, options: RenderOptions, question: str | None) -> RenderedTemplate:
    """The render itself, within its time and memory bounds, with the operation's
    messages rendered when copier renders them."""
    operation = options.operation
    messages: dict[Literal["before", "after"], str] = {}
    if operation is not None:
        # copier renders and shows it before the questions are asked (or answered).
        with render_bounds():
            messages["before"] = _message(worker, f"message_before_{operation}")
        if options.on_message is not None and messages["before"]:
            options.on_message(messages["before"])
    if options.interactive:
        worker.ask_questions()  # before the deadline starts
    with render_bounds():
        worker.run_copy()
        if operation is not None:
            messages["after"] = _message(worker, f"message_after_{operation}")
    shown = {stage: text for stage, text in messages.items() if text}
    return replace(_rendered(worker), name_question=question, messages=shown)


def _message(worker: Any, key: str) -> str:
    """A message of the template, rendered when and as copier renders it."""
    message = getattr(worker.template, key, "")
    return str(worker._render_string(message)).strip("\n") if message else ""


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
    secret_values = tuple(
        str(value)
        for key, value in worker.answers.combined.items()
        if key in secret and value is not None and str(value)
    )
    return RenderedTemplate(
        answers=answers,
        version=str(version) if version is not None else None,
        commit=template_info.commit,
        questions=frozenset(map(str, template_info.questions_data)),
        secret_questions=frozenset(map(str, secret)),
        config=dict(template_info.config_data),
        secret_values=secret_values,
    )
