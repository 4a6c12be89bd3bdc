"""``validate-template``: render a template's variants and boot each result.

Variants are rendered here, in this process (copier is imported once), with
StrictUndefined, side by side in threads. Each rendered project is then booted in its
own fresh interpreter (``boot_probe.py``), so variants never share ``sys.modules``; up
to *jobs* of them at once. A probe process is started before its variant is rendered,
so that the framework import in the child overlaps the rendering in the parent.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

from thibaud_cli.checks.boot import RenderedVariant, boot_variant
from thibaud_cli.checks.results import (
    CHECK_NAMES,
    SERVER_CHECK,
    CheckResult,
    ValidationReport,
    VariantResult,
    skipped_checks,
)
from thibaud_cli.checks.variants import Variant, default_variants, load_matrix
from thibaud_cli.errors import TemplateError, ThibaudCliError, UsageError
from thibaud_cli.template.messages import quiet_warnings
from thibaud_cli.template.source import TemplateSource

#: The project name used when neither the template nor the answers give one.
DEFAULT_PROJECT_NAME = "mysite"


def _without_location(check: CheckResult) -> CheckResult:
    """The check without the ``file:line: `` its message starts with (reports add it)."""
    prefix = f"{check.location}: "
    if check.location is None or not check.message.startswith(prefix):
        return check
    return replace(check, message=check.message.removeprefix(prefix))


def _render(
    variant: Variant,
    source: TemplateSource,
    destination: Path,
    *,
    config: Mapping[str, Any],
    trust: bool,
) -> RenderedVariant:
    from thibaud_cli.checks.static import check_compiles, check_entry_points, check_leftovers
    from thibaud_cli.template.data import generate_secret_key, render_data
    from thibaud_cli.template.render import render_template

    answers = dict(variant.answers)
    name = answers.pop("project_name", None)
    project_question = config.get("project_name")
    if name is None and not (
        isinstance(project_question, Mapping) and "default" in project_question
    ):
        name = DEFAULT_PROJECT_NAME
    data = render_data(answers, project_name=name, secret_key=generate_secret_key())
    started = time.perf_counter()
    try:
        rendered = render_template(
            source, destination, data=data, trust=trust, strict_undefined=True
        )
    except ThibaudCliError as error:
        failed = _without_location(
            CheckResult(
                "render",
                "failed",
                str(error),
                file=getattr(error, "template_file", None),
                line=getattr(error, "line", None),
                duration=time.perf_counter() - started,
            )
        )
        return RenderedVariant(
            (failed, *skipped_checks(CHECK_NAMES[1:], "the template did not render"))
        )
    project_name = str(rendered.answers.get("project_name", name))
    render = CheckResult(
        "render", "passed", f"rendered as {project_name}", duration=time.perf_counter() - started
    )
    suffix = str(config.get("_templates_suffix", ".jinja"))
    checks = (
        render,
        check_leftovers(destination, suffix),
        check_compiles(destination),
        check_entry_points(destination, project_name),
    )
    return RenderedVariant(checks, destination, project_name)


# The run -------------------------------------------------------------------------


def _plan(
    template: str | None, data: Mapping[str, Any], matrix: Path | None
) -> tuple[TemplateSource, dict[str, Any], list[Variant], list[str], CheckResult | None]:
    """(the template, its config, variants, notes, a config problem if any)."""
    from thibaud_cli.template.config import read_template_config
    from thibaud_cli.template.source import resolve_template

    config: dict[str, Any] = {}
    problem = None
    try:
        # A template with a broken copier.yml is still a template: what is wrong with
        # it belongs in the report.
        source = resolve_template(template, read_config=False)
    except TemplateError as error:
        # TEMPLATE names nothing usable: a usage error, not a broken template.
        raise UsageError(str(error)) from error
    if source.local_path is not None:
        try:
            config = read_template_config(source.local_path)
        except TemplateError as error:
            problem = CheckResult(
                "render", "failed", str(error), file=error.template_file, line=error.line
            )
    if matrix is not None:
        return source, config, load_matrix(matrix, data), [], problem
    variants, notes = default_variants(config, data)
    if source.local_path is None:
        notes.append("A remote template's choices are not read: only its defaults were run.")
    return source, config, variants, notes, problem


def _renders_without_git(source: TemplateSource) -> bool:
    from thibaud_cli.template.walk import is_git_checkout

    return source.local_path is not None and not is_git_checkout(source.local_path)


def validate_template(
    template: str | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    matrix: Path | None = None,
    server: str | None = None,
    jobs: int | None = None,
    trust: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Render every variant of *template* (default: the bundled one) and check it.

    Variants are the answer sets of *matrix* (a YAML or JSON file), or else the
    defaults plus one per choice; *data* applies to all of them. A broken template
    is not an error: its failures are in the report. Usage errors (a template or
    matrix that does not exist, a server that is not installed) raise
    :class:`~thibaud_cli.errors.UsageError`. *on_progress(done, total)* is called
    in this thread with 0 variants done, then as each variant finishes.
    """
    if server is not None:
        from thibaud_cli.checks.server import require_server

        require_server(server)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give at least 1.")
    source, config, variants, notes, config_problem = _plan(template, dict(data or {}), matrix)
    if config_problem is not None:
        later = (*CHECK_NAMES[1:], *((SERVER_CHECK,) if server else ()))
        checks = (config_problem, *skipped_checks(later, "the template's copier.yml is invalid"))
        result = VariantResult("defaults", dict(data or {}), checks)
        return ValidationReport(source.copier_source, (result,), tuple(notes))
    workers = jobs or os.cpu_count() or 1
    progress = on_progress or (lambda done, total: None)
    progress(0, len(variants))
    results: dict[int, VariantResult] = {}
    # Renders share nothing, each has its own deadline: they run side by side, beside
    # the boots. A git template is cloned by copier, which changes the process's
    # working directory for git: those render one at a time.
    renderers = workers if _renders_without_git(source) else 1
    with (
        tempfile.TemporaryDirectory(prefix="thibaud-validate-") as tmp,
        quiet_warnings(),
        ThreadPoolExecutor(max_workers=workers) as boot_pool,
        ThreadPoolExecutor(max_workers=renderers) as render_pool,
    ):
        root = Path(tmp)
        boots = {}
        for index, variant in enumerate(variants):
            workdir = root / f"variant-{index}"
            workdir.mkdir()
            render = render_pool.submit(
                _render, variant, source, workdir / "project", config=config, trust=trust
            )
            boots[boot_pool.submit(boot_variant, variant, render, workdir, server=server)] = index
        for future in as_completed(boots):
            results[boots[future]] = future.result()
            progress(len(results), len(variants))
    ordered = tuple(results[index] for index in range(len(variants)))
    return ValidationReport(source.copier_source, ordered, tuple(notes))
