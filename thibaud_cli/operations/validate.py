"""``validate-template``: render a template's variants and boot each result.

Variants are rendered here, in this process (copier is imported once, Jinja compiles
each template file once), as copier renders them (undefined names recorded for their own
check), side by side in threads. Each rendered project is then booted in its own
process, a fork of one zygote that imported the framework once (``checks/zygote.py``),
so variants never share ``sys.modules``; up to *jobs* of them at once. The zygote is
started before the first render, so that its framework import overlaps the renders.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from thibaud_cli.checks.boot import (
    BOOT_CHECKS,
    WSGI_ONLY,
    RenderedVariant,
    boot_environment,
    boot_variant,
)
from thibaud_cli.checks.environments.cache import InstallOptions
from thibaud_cli.checks.environments.variant import (
    check_installed_framework,
    failed_on_declared,
    install_variant,
)
from thibaud_cli.checks.rendering import NOT_THIBAUD, render_variant
from thibaud_cli.checks.results import (
    CHECK_NAMES,
    SERVER_CHECK,
    CheckResult,
    ValidationReport,
    VariantResult,
    skipped_checks,
)
from thibaud_cli.checks.upgrade.path import (
    UpgradeFrom,
    new_questions_with_default,
    refuse_unusable,
    upgrade_variant,
)
from thibaud_cli.checks.variants import (
    Variant,
    default_variants,
    load_matrix,
    mask_result,
    select_shard,
    select_variant,
)
from thibaud_cli.checks.zygote import ZygotePool
from thibaud_cli.errors import TemplateError, UsageError
from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.template.data import generate_secret_key
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.messages import quiet_warnings
from thibaud_cli.template.secrets import (
    MIN_MASKED_LENGTH,
    SECRET_KEY_ANSWER,
    mask_text,
    secret_defaults,
    secret_questions,
)
from thibaud_cli.template.source import TemplateSource, refuse_vcs_ref_without_git

#: Why the boot checks were not run with ``boot=False``.
NOT_BOOTED = "--no-boot: the template's code was not run"
#: How the boot probe says an import is missing from its interpreter (boot_probe.py).
_MISSING = "not installed for"


@dataclass(frozen=True)
class ValidationRun:
    """What one validate-template run was asked (see :func:`validate_template`)."""

    template: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    matrix: Path | None = None
    server: str | None = None
    jobs: int | None = None
    trust: bool = False
    boot: bool = True
    vcs_ref: str | None = None
    variant: str | None = None
    #: (K, N): the Kth of N shares of the variants (--shard K/N).
    shard: tuple[int, int] | None = None
    python: str | None = None
    skip_tasks: bool = False
    #: Each variant's declared dependencies installed into an environment of their own.
    install: bool = False
    install_options: InstallOptions = field(default_factory=InstallOptions)
    #: The older release each variant is generated at, then updated from.
    update_from: str | None = None
    strict_undefined: bool = False


@dataclass(frozen=True)
class ValidationPlan:
    """What a run will render: the template, its config, the variants."""

    source: TemplateSource
    config: Mapping[str, Any]
    variants: tuple[Variant, ...]
    #: How the template's whole set of variants was chosen.
    notes: tuple[str, ...]
    #: The template's copier.yml does not read: the one result of the run.
    config_problem: CheckResult | None
    #: The names of the whole set, of which --variant runs one.
    planned: tuple[str, ...] = ()
    #: The variant of the defaults and the answers given (None with --matrix): the
    #: others are combinations validate-template chose, which the template may refuse.
    first: str | None = None
    #: The answers of each entry of the --matrix file, all of them (--variant aside).
    matrix_answers: tuple[Mapping[str, Any], ...] = ()


def _plan(run: ValidationRun) -> ValidationPlan:
    """The template, its config, the variants and how they were chosen."""
    from thibaud_cli.template.engine.config import read_template_config
    from thibaud_cli.template.source import resolve_template

    config: dict[str, Any] = {}
    problem = None
    try:
        # A template with a broken copier.yml is still a template: what is wrong with
        # it belongs in the report.
        source = resolve_template(run.template, read_config=False)
    except TemplateError as error:
        # TEMPLATE names nothing usable: a usage error, not a broken template.
        raise UsageError(str(error)) from error
    if source.is_classic:
        # Rendered with the framework's engine: no questions, one variant.
        _refuse_data_for_classic(source, run.data)
    elif source.local_path is not None:
        try:
            config = read_template_config(source.local_path)
        except TemplateError as error:
            problem = CheckResult(
                "render", "failed", str(error), file=error.template_file, line=error.line
            )
    notes: list[str] = []
    # A remote template's secret questions are known only once it renders: until then
    # every --data answer may be one, and is masked in the variants' names.
    named_secrets = secret_questions(config) if source.local_path else frozenset(run.data)
    if run.matrix is not None:
        variants = load_matrix(run.matrix, run.data, named_secrets)
    else:
        variants, notes = default_variants(config, run.data, named_secrets)
        if source.is_classic:
            notes.append("A Django-style template asks no questions: one variant was run.")
        elif source.local_path is None:
            notes.append("A remote template's choices are not read: only its defaults were run.")
    planned = tuple(variant.name for variant in variants)
    first = variants[0].name if run.matrix is None and variants else None
    entries = tuple(variant.answers for variant in variants) if run.matrix is not None else ()
    if run.variant is not None:
        variants = select_variant(variants, run.variant)
    if run.shard is not None:
        variants = select_shard(variants, run.shard)
    return ValidationPlan(
        source, config, tuple(variants), tuple(notes), problem, planned, first, entries
    )


def _refuse_data_for_classic(source: TemplateSource, data: Mapping[str, Any]) -> None:
    from thibaud_cli.template.classic.fetch import check_classic_options
    from thibaud_cli.template.classic.render import ClassicOptions

    check_classic_options(source, ClassicOptions(), {key: str(v) for key, v in data.items()})


def list_variants(
    template: str | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    matrix: Path | None = None,
) -> list[Variant]:
    """The variants :func:`validate_template` would run, without rendering any. A key
    a local template does not ask is refused as the run refuses it (a CI job per variant
    would each be refused)."""
    from thibaud_cli.template.naming import split_config

    run = ValidationRun(template=template, data=dict(data or {}), matrix=matrix)
    plan = _plan(run)
    if plan.source.local_path is not None and not plan.source.is_classic and plan.config:
        _refuse_unknown_keys(run, plan, frozenset(split_config(plan.config)[1]))
    return list(plan.variants)


def _default_vcs_ref(source: TemplateSource, vcs_ref: str | None) -> str | None:
    """What is in front of the author: a local git checkout's working tree, uncommitted
    changes included (copier renders a dirty HEAD so), not its newest tag."""
    if vcs_ref is None and source.local_path is not None:
        if (source.local_path / ".git").exists():
            return "HEAD"
    return vcs_ref


def _renders_without_git(source: TemplateSource) -> bool:
    from thibaud_cli.template.engine.walk import is_git_checkout

    return source.local_path is not None and not is_git_checkout(source.local_path)


def validate_template(
    template: str | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    matrix: Path | None = None,
    server: str | None = None,
    jobs: int | None = None,
    trust: bool = False,
    boot: bool = True,
    on_progress: Callable[[int, int, VariantResult | None], None] | None = None,
    vcs_ref: str | None = None,
    variant: str | None = None,
    shard: tuple[int, int] | None = None,
    python: str | None = None,
    skip_tasks: bool = False,
    install: bool = False,
    find_links: tuple[str, ...] = (),
    no_index: bool = False,
    update_from: str | None = None,
    strict_undefined: bool = False,
) -> ValidationReport:
    """Render every variant of *template* (default: the bundled one) and check it.

    Variants are the answer sets of *matrix* (a YAML or JSON file), or else the
    defaults plus one per choice; *data* applies to all of them. A broken template
    is not an error: its failures are in the report. Usage errors (a template or
    matrix that does not exist, a server that is not installed) raise
    :class:`~thibaud_cli.errors.UsageError`. *on_progress(done, total, result)* is
    called in this thread with 0 variants done (and no result), then with each
    variant's result as it finishes.

    Booting runs the template's code (its settings, views, ASGI and WSGI
    applications) as the current user. With *boot* false only the static checks
    run (render, undefined, leftovers, compile, framework, entry points): for untrusted
    templates.

    A local template is rendered as its working tree stands (a git checkout at
    ``HEAD`` with its uncommitted changes) unless *vcs_ref* names a tag or commit.
    *variant* runs only the variant of that name; *shard* ``(K, N)`` only every Nth
    variant from the Kth (one of N CI jobs that share the variants). *python* boots the
    variants with that interpreter (the project's own environment) instead of this one.
    *skip_tasks* renders without the template's tasks (and needs no *trust* for them).

    With *install*, each variant's declared dependencies (``pyproject.toml``'s
    ``[project].dependencies``, else ``requirements.txt``) and the framework are
    installed with uv into an environment cached by the exact set, and the variant boots
    there; *find_links* and *no_index* go to uv (installs from a local wheel directory).

    With *update_from* (a tag or commit of a local git template), each variant is also
    generated at that release, committed, and updated to the template under test by
    ``startproject`` and ``update``; the ``update`` check says whether it ran and how the
    result differs from the fresh render, and the later checks run on the updated project.
    An undefined name the template uses (copier renders it as ``""``) is a warning of the
    ``undefined`` check, a failure with *strict_undefined*.
    """
    run = ValidationRun(
        template=template,
        data=dict(data or {}),
        matrix=matrix,
        server=server,
        jobs=jobs,
        trust=trust,
        boot=boot,
        vcs_ref=vcs_ref,
        variant=variant,
        shard=shard,
        python=python,
        skip_tasks=skip_tasks,
        install=install,
        install_options=InstallOptions(tuple(find_links), no_index),
        update_from=update_from,
        strict_undefined=strict_undefined,
    )
    _refuse_usage_errors(run)
    with scratch_directory("validate") as root, _zygotes(run, root) as zygotes:
        return _validate(run, root=root, zygotes=zygotes, on_progress=on_progress)


def _refuse_usage_errors(run: ValidationRun) -> None:
    if run.server is not None and not run.boot:
        raise UsageError("--server serves the project, which runs its code: not with --no-boot.")
    if run.server is not None:
        from thibaud_cli.checks.server import require_server

        require_server(run.server, run.python)
    if run.variant is not None and run.shard is not None:
        raise UsageError("--variant and --shard both choose the variants: give one.")
    if run.jobs is not None and run.jobs < 1:
        raise UsageError(f"--jobs {run.jobs}: give at least 1.")
    python = run.python
    if python is not None and not (Path(python).is_file() and os.access(python, os.X_OK)):
        raise UsageError(f"--python {python}: not an executable file.")
    if run.install and python is not None:
        raise UsageError("--install makes each variant's environment: not with --python.")
    if run.install and not run.boot:
        raise UsageError("--install installs what the boot needs: not with --no-boot.")
    options = run.install_options
    if run.update_from is not None and not run.boot:
        raise UsageError("--update-from checks the updated project booted: not with --no-boot.")
    if (options.find_links or options.no_index) and not run.install:
        raise UsageError("--find-links and --no-index say where --install installs from: add it.")


@contextlib.contextmanager
def _zygotes(run: ValidationRun, root: Path) -> Iterator[ZygotePool | None]:
    """The run's boot zygotes. Without --install, the one zygote is started first: its
    framework import overlaps the planning (copier's import) and the first renders."""
    if not run.boot:
        yield None
        return
    with ZygotePool(run.python, boot_environment(), root, eager=not run.install) as zygotes:
        yield zygotes


def _validate(
    run: ValidationRun,
    *,
    root: Path,
    zygotes: ZygotePool | None,
    on_progress: Callable[[int, int, VariantResult | None], None] | None,
) -> ValidationReport:
    """validate_template's run, in *root*; the variants boot in *zygotes* (None: no boot)."""
    plan = _plan(run)
    refuse_vcs_ref_without_git(plan.source, run.vcs_ref)
    vcs_ref = _default_vcs_ref(plan.source, run.vcs_ref)
    _refuse_unusable_answers(run, plan, vcs_ref, root)
    variants = plan.variants
    notes: list[str] = []
    # Secret answers never reach a report: not the template's secret questions' answers,
    # nor the SECRET_KEY each variant is given, wherever they would appear.
    secrets = set(secret_questions(plan.config)) | {SECRET_KEY_ANSWER}
    secret_keys = [generate_secret_key() for _ in variants]
    # The answers the renders had: defaults and those generated at render time too.
    rendered_values: set[str] = set(secret_defaults(plan.config))

    def masked(results: tuple[VariantResult, ...]) -> ValidationReport:
        values = {
            str(value) for each in variants for key, value in each.answers.items() if key in secrets
        }
        values.update(secret_keys, rendered_values)
        return _masked_report(plan, results, notes, secrets=secrets, values=values)

    if plan.config_problem is not None:
        later = (*CHECK_NAMES[1:], *((SERVER_CHECK,) if run.server else ()))
        checks = (
            plan.config_problem,
            *skipped_checks(later, "the template's copier.yml is invalid"),
        )
        return masked((VariantResult("defaults", dict(run.data), checks),))
    upgrade = _upgrade(run, plan, vcs_ref, root, secret_keys)
    progress = on_progress or (lambda done, total, variant: None)
    progress(0, len(variants), None)
    # Every variant renders the same template files with the same options: Jinja
    # compiles each once for the run.
    compiled = CompiledCache()

    def render(index: int) -> RenderedVariant:
        workdir = root / f"variant-{index}"
        workdir.mkdir()  # the render's; then the boot's logs and results
        return render_variant(
            variants[index],
            plan.source,
            workdir / "project",
            trust=run.trust,
            secret_key=secret_keys[index],
            secrets_seen=secrets,
            secret_values_seen=rendered_values,
            vcs_ref=vcs_ref,
            run_tasks=not run.skip_tasks,
            compiled=compiled,
            # A combination validate-template chose may be one the template refuses; the
            # defaults with the answers a user gave, or a --matrix entry, must be accepted.
            chosen=plan.first not in (None, variants[index].name),
            strict_undefined=run.strict_undefined,
        )

    if zygotes is None:
        return masked(_render_only(variants, render, progress))
    ordered = _render_and_boot(run, plan, render, progress, root, zygotes, upgrade)
    notes += _booted_notes(run, ordered, root)
    return masked(ordered)


def _refuse_unusable_answers(
    run: ValidationRun, plan: ValidationPlan, vcs_ref: str | None, root: Path
) -> None:
    """What every variant would fail on alike, refused once before any renders, as
    startproject refuses it: a --data answer the template refuses (a choice it does not
    offer, a failed validator), a version it does not have (usage errors, raised by
    copier's own questions, asked without rendering), a --data or --matrix key it does
    not ask."""
    from thibaud_cli.checks.rendering import DEFAULT_PROJECT_NAME
    from thibaud_cli.errors import InvalidDataError, MissingAnswerError
    from thibaud_cli.template.engine.render import check_answers
    from thibaud_cli.template.naming import split_config

    if plan.source.is_classic or plan.config_problem is not None:
        return  # no questions; or a copier.yml whose problem is the report's
    if not run.data and run.matrix is None and run.vcs_ref is None:
        return  # nothing given that could be wrong
    questions = None
    secrets: set[str] = set()
    try:
        questions = check_answers(
            plan.source,
            root,
            data=run.data,
            trust=run.trust,
            vcs_ref=vcs_ref,
            name=DEFAULT_PROJECT_NAME,
            secrets_seen=secrets,
        )
    except MissingAnswerError:
        pass  # a --matrix entry may answer it; the variants that do not are told
    except InvalidDataError as error:
        # What the template said of a secret answer (its validator may repeat it) is
        # masked, as in the reports.
        values = [str(value) for key, value in run.data.items() if key in secrets]
        raise InvalidDataError(mask_text(str(error), values)) from error
    except TemplateError as error:
        if isinstance(error, UsageError):
            raise  # a version the template does not have
        # The template's own failure (or code it runs without --trust): each variant
        # reports it.
    if questions is None and plan.source.local_path is not None:
        questions = frozenset(split_config(plan.config)[1])
    if questions is not None:
        _refuse_unknown_keys(run, plan, questions)


def _refuse_unknown_keys(
    run: ValidationRun, plan: ValidationPlan, questions: frozenset[str]
) -> None:
    """A --data key, or a key of a --matrix entry, that is none of the template's
    *questions*: refused as startproject refuses it (copier would ignore it)."""
    from thibaud_cli.template.data import refuse_unknown_questions

    refuse_unknown_questions(run.data, questions)
    for number, answers in enumerate(plan.matrix_answers, start=1):
        refuse_unknown_questions(
            answers, questions, given_as=f"--matrix {run.matrix}: entry {number}:"
        )


def _booted_notes(run: ValidationRun, results: tuple[VariantResult, ...], root: Path) -> list[str]:
    """What the report notes of the variants' boots (the variants rendered in *root*)."""
    messages = [check.message for result in results for check in result.checks]
    notes = []
    if WSGI_ONLY in messages:
        notes.append(
            "WSGI-only variants (a WSGI module, no ASGI one) passed on their WSGI checks: "
            "there is nothing to serve over ASGI."
        )
    if any(_MISSING in message for message in messages) or (
        # A package the variant declares, missing here: the one --install gives it.
        not run.install
        and any(
            failed_on_declared(root / f"variant-{index}" / "project", result.checks)
            for index, result in enumerate(results)
        )
    ):
        notes.append(_missing_imports_note(run))
    return notes


def _missing_imports_note(run: ValidationRun) -> str:
    """What a variant's import missing from its interpreter says, and what to do."""
    if run.install:
        # Its environment holds what it declares: the template forgot to declare it.
        return (
            "Some of the template's imports are not installed in their variant's "
            "environment, which --install built from what the variant declares (its "
            "pyproject.toml or requirements.txt, where its manage.py is), the framework "
            "and the server: declare them there."
        )
    other = "" if run.python else " or --python PATH (the project's own interpreter)"
    return (
        "Some of the template's imports are not installed for "
        f"{run.python or sys.executable}: the failures naming them may be the "
        "environment's, not the template's. Pass --install (each variant's declared "
        f"dependencies, such as its database and cache drivers, installed for it){other} "
        "to validate with its packages."
    )


def _masked_report(
    plan: ValidationPlan,
    results: tuple[VariantResult, ...],
    notes: list[str],
    *,
    secrets: set[str],
    values: set[str],
) -> ValidationReport:
    """The report of *results*, every secret *value* masked wherever it could show."""
    shown = tuple(mask_result(result, secrets, values) for result in results)
    # The notes name the variants: a remote template's secrets are known only now.
    shown_notes = [mask_text(note, values) for note in notes]
    if any(len(value) < MIN_MASKED_LENGTH for value in values if value):
        shown_notes.append(
            f"A secret answer is shorter than {MIN_MASKED_LENGTH} characters: it is masked "
            "in answers and variant names, not inside messages, where masking it would "
            "garble every word that holds it."
        )
    return ValidationReport(
        plan.source.copier_source,
        shown,
        tuple(shown_notes),
        planned=tuple(mask_text(name, values) for name in plan.planned),
        plan_notes=tuple(mask_text(note, values) for note in plan.notes),
    )


def _render_only(
    variants: tuple[Variant, ...],
    render: Callable[[int], RenderedVariant],
    progress: Callable[[int, int, VariantResult | None], None],
) -> tuple[VariantResult, ...]:
    """--no-boot: each variant rendered and checked statically, the boots reported skipped."""
    results = []
    for index, each in enumerate(variants):
        rendered = render(index)
        unbooted = skipped_checks(CHECK_NAMES[len(rendered.checks) :], NOT_BOOTED)
        results.append(VariantResult(each.name, each.answers, rendered.checks + unbooted))
        progress(len(results), len(variants), results[-1])
    return tuple(results)


def _render_and_boot(
    run: ValidationRun,
    plan: ValidationPlan,
    render: Callable[[int], RenderedVariant],
    progress: Callable[[int, int, VariantResult | None], None],
    root: Path,
    zygotes: ZygotePool,
    upgrade: Upgrade | None,
) -> tuple[VariantResult, ...]:
    """Each variant rendered (and updated, with *upgrade*), then booted in a fork of a
    zygote, side by side."""
    workers = run.jobs or os.cpu_count() or 1
    # Renders share nothing, each has its own deadline: they run side by side, beside
    # the boots. A git template is cloned by copier, which changes the process's
    # working directory for git: those render one at a time.
    renderers = workers if _renders_without_git(plan.source) else 1
    results: dict[int, VariantResult] = {}
    with (
        quiet_warnings(),
        ThreadPoolExecutor(max_workers=workers) as boot_pool,
        ThreadPoolExecutor(max_workers=renderers) as render_pool,
    ):
        boots = {}
        for index, each in enumerate(plan.variants):
            rendering = render_pool.submit(render, index)
            booted = boot_pool.submit(
                _boot, run, each, rendering, root / f"variant-{index}", zygotes, upgrade
            )
            boots[booted] = index
        for future in as_completed(boots):
            results[boots[future]] = future.result()
            progress(len(results), len(plan.variants), results[boots[future]])
    return tuple(results[index] for index in range(len(plan.variants)))


def _boot(
    run: ValidationRun,
    variant: Variant,
    rendering: Future[RenderedVariant],
    workdir: Path,
    zygotes: ZygotePool,
    upgrade: Upgrade | None,
) -> VariantResult:
    """One variant, once rendered: with --install, its environment first; then booted in
    a fork of that environment's zygote."""
    rendered = rendering.result()
    if upgrade is not None:
        rendered = _upgraded(variant, rendered, upgrade, workdir)
    python = run.python
    installed: tuple[CheckResult, ...] = ()
    if run.install and rendered.project_dir is not None and rendered.entry_points is not None:
        install, environment = install_variant(
            rendered.project_dir,
            run.install_options,
            root=rendered.entry_points.root,
            server=run.server,
        )
        installed = (install,)
        if environment is None:
            later = (*BOOT_CHECKS, *((SERVER_CHECK,) if run.server else ()))
            skipped = skipped_checks(later, "the dependencies did not install")
            return VariantResult(
                variant.name, variant.answers, rendered.checks + installed + skipped
            )
        framework = check_installed_framework(
            rendered.project_dir, environment, root=rendered.entry_points.root
        )
        if framework is not None:
            # Not booted, as a project whose code imports django is not: with Django
            # installed, the boot would stop on Django's settings variable, not say why.
            checks = tuple(framework if c.name == "framework" else c for c in rendered.checks)
            later = (*BOOT_CHECKS, *((SERVER_CHECK,) if run.server else ()))
            return VariantResult(
                variant.name,
                variant.answers,
                checks + installed + skipped_checks(later, NOT_THIBAUD),
            )
        python = str(environment)
    return boot_variant(
        variant,
        rendered,
        workdir,
        zygote=zygotes.get(python),
        server=run.server,
        python=python,
        installed=installed,
    )


def _upgrade(
    run: ValidationRun, plan: ValidationPlan, to: str | None, root: Path, keys: list[str]
) -> Upgrade | None:
    """--update-from made ready (its usage errors raised before any render)."""
    if run.update_from is None:
        return None
    then = refuse_unusable(plan.source.local_path, run.update_from)
    assert plan.source.local_path is not None  # refuse_unusable refuses anything else
    path = UpgradeFrom(
        plan.source.local_path,
        run.update_from,
        to,
        run.trust,
        run.skip_tasks,
        questions_then=then,
        new_with_default=new_questions_with_default(plan.config, then),
    )
    return Upgrade(path, {root / f"variant-{i}": key for i, key in enumerate(keys)})


@dataclass(frozen=True)
class Upgrade:
    """--update-from, resolved: what to update, and the older release's questions."""

    path: UpgradeFrom
    #: Each variant's fresh render's SECRET_KEY, by its work directory.
    secret_keys: Mapping[Path, str]


def _upgraded(
    variant: Variant, rendered: RenderedVariant, upgrade: Upgrade, workdir: Path
) -> RenderedVariant:
    """*rendered* with the update check after its render, and the later checks on the
    updated project (skipped if the update did not run)."""
    if rendered.project_dir is None or rendered.static_checks is None:
        return rendered
    check, project = upgrade_variant(
        variant,
        upgrade.path,
        workdir,
        rendered.project_dir,
        upgrade.secret_keys[workdir],
    )
    rendering = rendered.checks[:2]  # the render and its undefined check
    if project is None:
        later = skipped_checks(CHECK_NAMES[2:], "the update did not run")
        return RenderedVariant((*rendering, check, *later))
    return replace(
        rendered,
        checks=(*rendering, check, *rendered.static_checks(project)),
        project_dir=project,
    )
