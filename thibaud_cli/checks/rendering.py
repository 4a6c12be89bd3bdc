"""Rendering one validate-template variant, and the checks that read its files.

The render is copier's (each use of an undefined name recorded for the ``undefined``
check), or a Django-style template's with the framework's engine; what the template's
tasks print is kept for the report, and the static checks (leftovers, compile,
framework, entry points) run on the result.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from thibaud_cli.checks.boot import RenderedVariant
from thibaud_cli.checks.results import CHECK_NAMES, CheckResult, skipped_checks
from thibaud_cli.checks.variants import Variant
from thibaud_cli.errors import RefusedAnswerError, TemplateError, ThibaudCliError
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.engine.origins import Origin
from thibaud_cli.template.engine.strictness import UndefinedUse
from thibaud_cli.template.secrets import mask_text
from thibaud_cli.template.source import TemplateSource
from thibaud_cli.template.syntax import TemplateSyntax

#: The project name used when neither the template nor the answers give one.
DEFAULT_PROJECT_NAME = "mysite"


def _without_location(check: CheckResult) -> CheckResult:
    """The check without the ``file:line: `` its message starts with (reports add it)."""
    prefix = f"{check.location}: "
    if check.location is None or not check.message.startswith(prefix):
        return check
    return replace(check, message=check.message.removeprefix(prefix))


#: How much of what a variant's tasks printed the report keeps.
_TASK_OUTPUT_LIMIT = 4000


def _task_output(log: Path, secret_values: Iterable[str]) -> str:
    text = log.read_text("utf-8", errors="replace").strip() if log.is_file() else ""
    # Masked before it is cut short: a secret across the cut would show its tail.
    text = mask_text(text, secret_values)
    if len(text) > _TASK_OUTPUT_LIMIT:
        text = "...\n" + text[-_TASK_OUTPUT_LIMIT:]
    return f"; the template's tasks printed:\n{text}" if text else ""


def render_variant(
    variant: Variant,
    source: TemplateSource,
    destination: Path,
    *,
    trust: bool,
    secret_key: str,
    secrets_seen: set[str],
    vcs_ref: str | None,
    run_tasks: bool = True,
    compiled: CompiledCache | None = None,
    secret_values_seen: set[str] | None = None,
    chosen: bool = False,
    strict_undefined: bool = False,
) -> RenderedVariant:
    """Render *variant* and run the static checks. The template's secret questions
    are added to *secrets_seen*, their answers as rendered to *secret_values_seen*; the
    variants of one run share the *compiled* Jinja code. A variant validate-template
    *chosen* that the template's validator refuses is skipped, else the refusal fails.
    A Django-style template renders with the framework's engine. An undefined name
    renders ``""`` as under copier: a warning, or a failure if *strict_undefined*."""
    from thibaud_cli.errors import NotACopierTemplateError
    from thibaud_cli.project.contract import discover_entry_points
    from thibaud_cli.template.contract import declared_entry_points
    from thibaud_cli.template.data import render_data
    from thibaud_cli.template.engine.render import render_template

    if source.is_classic:
        return _render_classic(source, destination)
    # --data may answer any question, the name's included; otherwise the name question
    # gets a name, as startproject's NAME would give it.
    data = render_data(variant.answers, project_name=None, secret_key=secret_key)
    task_log = destination.parent / "tasks.log"
    started = time.perf_counter()
    undefined: list[UndefinedUse] = []
    origins: dict[str, Origin] = {}
    try:
        rendered = render_template(
            source,
            destination,
            data=data,
            trust=trust,
            name=DEFAULT_PROJECT_NAME,
            vcs_ref=vcs_ref,
            task_log=task_log,
            run_tasks=run_tasks,
            compiled=compiled,
            undefined_uses=undefined,
            origins=origins,
        )
    except NotACopierTemplateError:  # a git repository without copier.yml
        return _render_classic(source.as_classic_git(), destination)
    except ThibaudCliError as error:
        if chosen and isinstance(error, RefusedAnswerError):
            return refused_variant(error)
        known = _secret_values(variant, secrets_seen, secret_key, ())
        return _not_rendered(error, task_log, time.perf_counter() - started, known)
    secrets_seen.update(rendered.secret_questions)
    values = _secret_values(variant, secrets_seen, secret_key, rendered.secret_values)
    if secret_values_seen is not None:
        secret_values_seen.update(values)
    try:
        declared = declared_entry_points(rendered.config, rendered.answers)
    except TemplateError as error:
        failed = CheckResult("render", "failed", str(error), file="copier.yml")
        return RenderedVariant(
            (failed, *skipped_checks(CHECK_NAMES[1:], "the template contract is invalid"))
        )
    entry_points = discover_entry_points(destination, declared)
    render = CheckResult(
        "render",
        "passed",
        f"rendered (settings {entry_points.settings}, ASGI {entry_points.asgi})"
        + _task_output(task_log, values),
        duration=time.perf_counter() - started,
    )
    syntax = TemplateSyntax.of_copier(rendered.config)
    found = check_undefined(undefined, strict=strict_undefined)
    return _checked((render, found), destination, entry_points, syntax, rendered.questions, origins)


def check_undefined(uses: list[UndefinedUse], *, strict: bool) -> CheckResult:
    """The ``undefined`` check: each name the template used undefined (rendered ``""``
    as copier renders it), once per place; a warning, or with *strict* a failure."""
    places = list(dict.fromkeys(uses))
    if not places:
        return CheckResult("undefined", "passed", "no undefined variables")
    first = places[0]
    listed = "; ".join(
        f"{use.message} at {use.file}:{use.line}" if use.file else use.message for use in places
    )
    then = "" if strict else " (--strict-undefined fails the check)"
    return CheckResult(
        "undefined",
        "failed" if strict else "warning",
        f"{listed}: copier renders it as an empty string{then}",
        file=first.file,
        line=first.line,
    )


#: What a Django-style template's context holds (Thibaud's ``startproject``).
_CLASSIC_CONTEXT = frozenset({"project_name", "project_directory", "secret_key"})


def _render_classic(source: TemplateSource, destination: Path) -> RenderedVariant:
    """A Django-style template, rendered as startproject renders it (Thibaud's engine
    and context, ``.py-tpl`` files renamed), then the same checks as a copier one."""
    from thibaud_cli.project.contract import discover_entry_points
    from thibaud_cli.project.installed import thibaud_cli_version, thibaud_version
    from thibaud_cli.template.classic.fetch import render_classic_source
    from thibaud_cli.template.classic.render import ClassicOptions

    started = time.perf_counter()
    try:
        render_classic_source(
            source,
            destination,
            name=DEFAULT_PROJECT_NAME,
            project_directory=str(destination),
            options=ClassicOptions(),
            scratch=destination.parent / "template",
            user_agent=f"Thibaud/{thibaud_version()} thibaud-admin/{thibaud_cli_version()}",
        )
    except ThibaudCliError as error:
        task_log = destination.parent / "tasks.log"
        return _not_rendered(error, task_log, time.perf_counter() - started, ())
    entry_points = discover_entry_points(destination)
    render = CheckResult(
        "render",
        "passed",
        f"rendered as a Django-style template (settings {entry_points.settings}, "
        f"ASGI {entry_points.asgi})",
        duration=time.perf_counter() - started,
    )
    syntax = TemplateSyntax(suffix=".py-tpl")
    # The framework's engine renders an undefined name as "" by design.
    undefined = CheckResult("undefined", "passed", "a Django-style template: not checked")
    return _checked((render, undefined), destination, entry_points, syntax, _CLASSIC_CONTEXT)


def _checked(
    rendered: tuple[CheckResult, CheckResult],
    destination: Path,
    entry_points: EntryPoints,
    syntax: TemplateSyntax,
    questions: Collection[str],
    origins: Mapping[str, Origin] | None = None,
) -> RenderedVariant:
    """The static checks of a rendered variant (*rendered*: its render and undefined
    checks); a project that targets Django is not booted. The static checks can run
    again on another copy of the project (an updated one, --update-from)."""
    from thibaud_cli.checks.leftovers import check_leftovers
    from thibaud_cli.checks.static import check_compiles, check_entry_points, check_framework

    def static_checks(project: Path) -> tuple[CheckResult, ...]:
        return (
            check_leftovers(project, syntax, questions=questions, origins=origins),
            check_compiles(project, origins, syntax),
            check_framework(project),
            check_entry_points(project, entry_points),
        )

    checks = (*rendered, *static_checks(destination))
    if any(check.name == "framework" and check.status == "failed" for check in checks):
        # A Django project is not booted: with Django installed it would pass, served
        # by Django; without, it would fail for a missing import, not for what it is.
        return RenderedVariant(checks + skipped_checks(CHECK_NAMES[len(checks) :], NOT_THIBAUD))
    return RenderedVariant(checks, destination, entry_points, static_checks)


#: Why a project that targets Django is not booted.
NOT_THIBAUD = "the project targets Django, not Thibaud"
#: How a variant whose answers the template's own validator refuses is reported.
REFUSED = "the template's validator refuses this combination"


def refused_variant(error: RefusedAnswerError) -> RenderedVariant:
    """A combination the template itself refuses (a ``validator``, or a choice's): no
    user can make it, so it is skipped, not failed, with what the validator says."""
    skipped = CheckResult("render", "skipped", f"{REFUSED}: {error.question}: {error.reason}")
    return RenderedVariant((skipped, *skipped_checks(CHECK_NAMES[1:], REFUSED)))


def _secret_values(
    variant: Variant, secrets: Collection[str], secret_key: str, rendered: Iterable[str]
) -> set[str]:
    """Every value of this variant's that no report may show."""
    given = {str(value) for key, value in variant.answers.items() if key in secrets}
    return {secret_key, *given, *rendered}


def _not_rendered(
    error: ThibaudCliError, task_log: Path, duration: float, secret_values: Iterable[str]
) -> RenderedVariant:
    """A variant that failed to render: what went wrong, and every later check skipped."""
    failed = _without_location(
        CheckResult(
            "render",
            "failed",
            str(error) + _task_output(task_log, secret_values),
            file=getattr(error, "template_file", None),
            line=getattr(error, "line", None),
            duration=duration,
        )
    )
    return RenderedVariant(
        (failed, *skipped_checks(CHECK_NAMES[1:], "the template did not render"))
    )


# The run -------------------------------------------------------------------------
