"""``validate-template``: render a template's variants and boot each result.

Variants are rendered here, in this process (copier is imported once), with
StrictUndefined. Each rendered project is then booted in its own fresh interpreter
(``boot_probe.py``), so variants never share ``sys.modules``; up to *jobs* of them at
once. A probe process is started before its variant is rendered, so that the
framework import in the child overlaps the rendering in the parent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from thibaud_cli.checks.results import (
    CHECK_NAMES,
    SERVER_CHECK,
    CheckResult,
    ValidationReport,
    VariantResult,
)
from thibaud_cli.errors import MatrixFileError, TemplateError, ThibaudCliError, UsageError

#: Without --matrix: the defaults plus one variant per other choice, at most this many.
MAX_DEFAULT_VARIANTS = 12
#: The project name used when neither the template nor the answers give one.
DEFAULT_PROJECT_NAME = "mysite"
#: How long one variant may take to boot before it counts as hung.
BOOT_TIMEOUT = 120.0
_BOOT_CHECKS = ("settings", "asgi", "wsgi", "manage-check")
_PROBE = Path(__file__).parents[1] / "checks" / "boot_probe.py"


@dataclass(frozen=True)
class Variant:
    """One answer set to render: a name for reports, and the answers given."""

    name: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class _Rendered:
    """A variant after rendering and the static checks."""

    checks: tuple[CheckResult, ...]
    project_dir: Path | None = None
    project_name: str | None = None


# Variants ------------------------------------------------------------------------


def _choice_values(choices: object) -> list[Any]:
    """The values of a copier ``choices`` list or mapping ({label: value} or [label, value])."""
    if isinstance(choices, Mapping):
        raw = list(choices.values())
    elif isinstance(choices, list):
        raw = [
            item[1] if isinstance(item, list | tuple) and len(item) == 2 else item
            for item in choices
        ]
    else:
        return []  # a Jinja expression: only copier can evaluate it
    return [
        item["value"] if isinstance(item, Mapping) and "value" in item else item for item in raw
    ]


def _variant_name(answers: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in answers.items()) or "defaults"


def default_variants(
    config: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[list[Variant], list[str]]:
    """The defaults, then one variant per other choice of each question with ``choices``
    (questions answered by *data* stay fixed), capped at :data:`MAX_DEFAULT_VARIANTS`.

    Returns the variants and notes for the report (what the cap left out)."""
    variants = [Variant(_variant_name(data) if data else "defaults", dict(data))]
    for question, spec in config.items():
        if question.startswith("_") or question in data or not isinstance(spec, Mapping):
            continue
        if spec.get("when") is False or "choices" not in spec:
            continue
        for value in _choice_values(spec["choices"]):
            if value == spec.get("default"):
                continue
            answers = {**data, question: value}
            variants.append(Variant(_variant_name({question: value}), answers))
    notes = []
    if len(variants) > MAX_DEFAULT_VARIANTS:
        left_out = len(variants) - MAX_DEFAULT_VARIANTS
        notes.append(
            f"{left_out} more variant(s) not run: without --matrix at most "
            f"{MAX_DEFAULT_VARIANTS} are; list the answer sets you need in a --matrix file."
        )
        variants = variants[:MAX_DEFAULT_VARIANTS]
    return variants, notes


def load_matrix(path: Path, data: Mapping[str, Any]) -> list[Variant]:
    """The answer sets of a ``--matrix`` file (YAML or JSON: a list of mappings), each
    over *data*."""
    import yaml

    from thibaud_cli.template.render import describe_yaml_error

    try:
        entries = yaml.safe_load(path.read_text("utf-8"))
    except OSError as error:
        raise MatrixFileError(f"--matrix {path}: cannot be read: {error.strerror}") from error
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        problem, _ = describe_yaml_error(error)
        raise MatrixFileError(f"--matrix {path}: is not valid YAML or JSON: {problem}") from error
    example = 'e.g. [{"python_version": "3.12"}, {"python_version": "3.13"}]'
    if not isinstance(entries, list) or not entries:
        raise MatrixFileError(
            f"--matrix {path}: expected a non-empty list of answer sets, {example}."
        )
    variants: list[Variant] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not all(isinstance(key, str) for key in entry):
            raise MatrixFileError(
                f"--matrix {path}: entry {number} is not a mapping of question names to "
                f"answers, {example}."
            )
        name = _variant_name(entry)
        if name in seen:
            name = f"{name} (#{number})"
        seen.add(name)
        variants.append(Variant(name, {**data, **entry}))
    return variants


# Rendering and static checks (this process) -----------------------------------------


def _skipped(names: Sequence[str], why: str) -> tuple[CheckResult, ...]:
    return tuple(CheckResult(name, "skipped", f"not run: {why}") for name in names)


def _without_location(check: CheckResult) -> CheckResult:
    """The check without the ``file:line: `` its message starts with (reports add it)."""
    prefix = f"{check.location}: "
    if check.location is None or not check.message.startswith(prefix):
        return check
    return replace(check, message=check.message.removeprefix(prefix))


def _render(
    variant: Variant,
    source: str,
    destination: Path,
    *,
    config: Mapping[str, Any],
    trust: bool,
) -> _Rendered:
    from thibaud_cli.asgi.spec import template_data
    from thibaud_cli.checks.static import check_compiles, check_entry_points, check_leftovers
    from thibaud_cli.operations.startproject import generate_secret_key
    from thibaud_cli.template.render import render_template

    answers = dict(variant.answers)
    project_question = config.get("project_name")
    if "project_name" not in answers and not (
        isinstance(project_question, Mapping) and "default" in project_question
    ):
        answers["project_name"] = DEFAULT_PROJECT_NAME
    render_data = {"secret_key": generate_secret_key(), **template_data(()), **answers}
    started = time.perf_counter()
    try:
        rendered = render_template(
            source, destination, data=render_data, trust=trust, strict_undefined=True
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
        return _Rendered((failed, *_skipped(CHECK_NAMES[1:], "the template did not render")))
    project_name = str(rendered.answers.get("project_name", render_data.get("project_name")))
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
    return _Rendered(checks, destination, project_name)


# Booting (a subprocess per variant) -------------------------------------------------


def _boot_environment() -> dict[str, str]:
    """Our environment without a settings module, so the entry points' defaults count."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _probe_failure(log_path: Path, why: str) -> tuple[CheckResult, ...]:
    """Every boot check failed, when the probe itself died: its last words say why."""
    lines = [
        line for line in log_path.read_text("utf-8", errors="replace").splitlines() if line.strip()
    ]
    detail = f": {lines[-1].strip()}" if lines else ""
    return tuple(
        CheckResult(name, "failed", f"the boot process {why}{detail}") for name in _BOOT_CHECKS
    )


def _boot(
    variant: Variant,
    rendered_future: Future[_Rendered],
    workdir: Path,
    *,
    server: str | None,
) -> VariantResult:
    """Start a probe, wait for the variant's render, boot it, and add the server check."""
    env = _boot_environment()
    log_path = workdir / "boot.log"
    with open(log_path, "w", encoding="utf-8") as log:
        # -P: the probe's own directory (our package) must not shadow the project's modules.
        process = subprocess.Popen(
            [sys.executable, "-P", str(_PROBE)],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        rendered = rendered_future.result()
    except BaseException:
        process.kill()
        process.wait()
        raise
    server_names = (SERVER_CHECK,) if server else ()
    if rendered.project_dir is None or rendered.project_name is None:
        process.communicate("")  # nothing to boot: the probe exits on end of input
        skipped = _skipped(server_names, "the template did not render")
        return VariantResult(variant.name, variant.answers, rendered.checks + skipped)
    results_path = workdir / "results.json"
    job = {
        "project_dir": str(rendered.project_dir),
        "project_name": rendered.project_name,
        "results": str(results_path),
    }
    try:
        process.communicate(json.dumps(job) + "\n", timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        boot_checks = _probe_failure(log_path, f"did not finish in {BOOT_TIMEOUT:.0f} s")
    else:
        if results_path.is_file():
            boot_checks = tuple(
                CheckResult(**result) for result in json.loads(results_path.read_text("utf-8"))
            )
        else:
            boot_checks = _probe_failure(log_path, f"exited with {process.returncode}")
    server_checks: tuple[CheckResult, ...] = ()
    if server:
        from thibaud_cli.checks.server import check_server

        if boot_checks[0].status == "passed":
            server_checks = (
                check_server(
                    server,
                    rendered.project_dir,
                    rendered.project_name,
                    env,
                    workdir / "server.log",
                ),
            )
        else:
            server_checks = _skipped(server_names, "the settings module does not import")
    return VariantResult(
        variant.name, variant.answers, rendered.checks + boot_checks + server_checks
    )


# The run -------------------------------------------------------------------------


def _plan(
    template: str | None, data: Mapping[str, Any], matrix: Path | None
) -> tuple[str, dict[str, Any], list[Variant], list[str], CheckResult | None]:
    """(copier source, template config, variants, notes, a config problem if any)."""
    from thibaud_cli.template.render import (
        BUNDLED_TEMPLATE,
        read_template_config,
        resolve_template_source,
    )

    config: dict[str, Any] = {}
    problem = None
    candidate = Path(template).expanduser() if template not in (None, BUNDLED_TEMPLATE) else None
    if candidate is not None and any(
        (candidate / name).is_file() for name in ("copier.yml", "copier.yaml")
    ):
        # A template, maybe a broken one: what is wrong with it belongs in the report.
        local: Path | None = candidate.resolve()
        source = str(local)
    else:
        try:
            source, local = resolve_template_source(template)
        except TemplateError as error:
            # TEMPLATE names nothing usable: a usage error, not a broken template.
            raise UsageError(str(error)) from error
    if local is not None:
        try:
            config = read_template_config(local)
        except TemplateError as error:
            problem = CheckResult(
                "render", "failed", str(error), file=error.template_file, line=error.line
            )
    if matrix is not None:
        return source, config, load_matrix(matrix, data), [], problem
    variants, notes = default_variants(config, data)
    if local is None:
        notes.append("A remote template's choices are not read: only its defaults were run.")
    return source, config, variants, notes, problem


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
        checks = (config_problem, *_skipped(later, "the template's copier.yml is invalid"))
        result = VariantResult("defaults", dict(data or {}), checks)
        return ValidationReport(source, (result,), tuple(notes))
    workers = jobs or os.cpu_count() or 1
    progress = on_progress or (lambda done, total: None)
    progress(0, len(variants))
    results: dict[int, VariantResult] = {}
    with tempfile.TemporaryDirectory(prefix="thibaud-validate-") as tmp:
        root = Path(tmp)
        renders: list[Future[_Rendered]] = [Future() for _ in variants]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            boots = {}
            for index, variant in enumerate(variants):
                workdir = root / f"variant-{index}"
                workdir.mkdir()
                boots[pool.submit(_boot, variant, renders[index], workdir, server=server)] = index
            try:
                for index, variant in enumerate(variants):
                    renders[index].set_result(
                        _render(
                            variant,
                            source,
                            root / f"variant-{index}" / "project",
                            config=config,
                            trust=trust,
                        )
                    )
            except BaseException as error:
                for pending in renders:
                    if not pending.done():
                        pending.set_exception(error)
                raise
            for future in as_completed(boots):
                results[boots[future]] = future.result()
                progress(len(results), len(variants))
    ordered = tuple(results[index] for index in range(len(variants)))
    return ValidationReport(source, ordered, tuple(notes))
