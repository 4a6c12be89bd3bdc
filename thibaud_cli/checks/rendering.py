"""Rendering one validate-template variant, and the checks that read its files.

The render is strict (undefined names fail as copier's own rules allow), what the
template's tasks print is kept for the report, and the static checks (leftovers,
compile, entry points) run on the result.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from thibaud_cli.checks.boot import RenderedVariant
from thibaud_cli.checks.results import CHECK_NAMES, CheckResult, skipped_checks
from thibaud_cli.checks.variants import Variant, mask_text
from thibaud_cli.errors import TemplateError, ThibaudCliError
from thibaud_cli.template.engine.compiled import CompiledCache
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
) -> RenderedVariant:
    """Render *variant* and run the static checks. The template's secret questions
    are added to *secrets_seen* (a remote template's are known only once rendered),
    and their answers as rendered (defaults, generated ones) to *secret_values_seen*.
    The variants of one run share the *compiled* Jinja code."""
    from thibaud_cli.checks.leftovers import check_leftovers
    from thibaud_cli.checks.static import check_compiles, check_entry_points
    from thibaud_cli.project.contract import discover_entry_points
    from thibaud_cli.template.contract import declared_entry_points
    from thibaud_cli.template.data import render_data
    from thibaud_cli.template.engine.render import render_template

    # --data may answer any question, the name's included; otherwise the name question
    # gets a name, as startproject's NAME would give it.
    data = render_data(variant.answers, project_name=None, secret_key=secret_key)
    task_log = destination.parent / "tasks.log"
    started = time.perf_counter()
    try:
        rendered = render_template(
            source,
            destination,
            data=data,
            trust=trust,
            strict_undefined=True,
            name=DEFAULT_PROJECT_NAME,
            vcs_ref=vcs_ref,
            task_log=task_log,
            run_tasks=run_tasks,
            compiled=compiled,
        )
    except ThibaudCliError as error:
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

    def static_checks(project: Path) -> tuple[CheckResult, ...]:
        return (
            check_leftovers(project, syntax, questions=rendered.questions),
            check_compiles(project),
            check_entry_points(project, entry_points),
        )

    return RenderedVariant(
        (render, *static_checks(destination)), destination, entry_points, static_checks
    )


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
