"""``thibaud-admin validate-template``: check a project template, for CI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from thibaud_cli.cli import common, output
from thibaud_cli.cli.common import ThibaudCommand
from thibaud_cli.cli.options import (
    data_option,
    format_option,
    list_variants_option,
    python_option,
    server_option,
    skip_tasks_option,
    trust_option,
    variant_option,
    vcs_ref_option,
)

if TYPE_CHECKING:
    from thibaud_cli.checks.results import ValidationReport


def _report_path(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    # Refused before the run, not after minutes of validation.
    if value is not None and not value.absolute().parent.is_dir():
        raise click.BadParameter(
            f"the directory '{value.absolute().parent}' does not exist: create it first."
        )
    return value


junit_xml_option = click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=_report_path,
    help="Also write a JUnit XML report (a testcase per check per variant) to this file.",
)


def _shard(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    number, slash, count = value.partition("/")
    if not (slash and number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise click.BadParameter(f"{value!r}: give K/N, with 1 <= K <= N (e.g. 2/4).")
    return int(number), int(count)


@click.command("validate-template", cls=ThibaudCommand)
@click.argument("template", required=False, metavar="[TEMPLATE]")
@data_option(others="it applies to every variant")
@click.option(
    "--matrix",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML or JSON list of answer sets, one variant each (default: every combination "
    "of the choice and boolean questions, or a pairwise set past 12).",
)
@server_option()
@format_option(
    of="the report on standard output",
    more=["github-matrix"],
    also=" (github-matrix: the variants, with --list-variants)",
)
@junit_xml_option
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="How many variants to boot at once (default: the number of CPUs).",
)
@trust_option()
@click.option(
    "--no-boot",
    is_flag=True,
    help="Static checks only (render, undefined, leftovers, compile, framework, entry points): "
    "run none of the template's code. Use it for templates you have not read.",
)
@vcs_ref_option
@list_variants_option
@variant_option
@click.option(
    "--shard",
    metavar="K/N",
    callback=_shard,
    help="Validate only every Nth variant from the Kth: one of N CI jobs that share the "
    "variants (merge their JSON reports with merge-reports).",
)
@python_option
@skip_tasks_option
@click.option(
    "--install",
    is_flag=True,
    help="Install each variant's declared dependencies (pyproject.toml's "
    "[project].dependencies, else requirements.txt) and the framework with uv into an "
    "environment cached by the exact set, and boot the variant there.",
)
@click.option(
    "--find-links",
    multiple=True,
    metavar="DIR",
    help="With --install: also look for packages in this directory of wheels (repeatable).",
)
@click.option(
    "--no-index",
    is_flag=True,
    help="With --install: no package index, only --find-links (offline).",
)
@click.option(
    "--update-from",
    metavar="REF",
    help="Also generate each variant at this older release (a tag or commit of the local "
    "git template), commit it, update it to the template under test, and report whether "
    "the update ran and how it differs from a fresh project; the checks then run on the "
    "updated project. Migrations and tasks run with --trust.",
)
@click.option(
    "--strict-undefined",
    is_flag=True,
    help="Fail the undefined check when the template uses an undefined variable (copier "
    "renders it as an empty string; by default a warning).",
)
@click.option("--verbose", is_flag=True, help="List every check, not only failures (as -v 2 does).")
@click.pass_context
def validate_template(
    ctx: click.Context,
    template: str | None,
    data_pairs: tuple[str, ...],
    matrix: Path | None,
    server: str | None,
    output_format: str,
    junit_xml: Path | None,
    jobs: int | None,
    trust: bool,
    no_boot: bool,
    vcs_ref: str | None,
    list_variants: bool,
    variant: str | None,
    shard: tuple[int, int] | None,
    python: Path | None,
    skip_tasks: bool,
    install: bool,
    find_links: tuple[str, ...],
    no_index: bool,
    update_from: str | None,
    strict_undefined: bool,
    verbose: bool,
) -> None:
    """Render TEMPLATE (default: the bundled one) for each variant and boot the result.

    Each variant is rendered as copier renders it (an undefined variable is a warning,
    a failure with --strict-undefined), compiled, and booted in a fresh
    interpreter through ASGI and WSGI (GET /) and manage.py check. Exit status 0 when
    every check passes, 1 when one fails.

    Booting RUNS THE TEMPLATE'S CODE (its settings, views, applications) as you, with
    your environment: validate only templates you trust, or pass --no-boot for the
    static checks alone (e.g. on pull requests from forks).
    """
    from thibaud_cli.operations.validate import validate_template as validate
    from thibaud_cli.template.data import parse_data

    data = parse_data(data_pairs)
    verbosity = max(common.current(ctx).verbosity, 2 if verbose else 0)
    if list_variants:
        from thibaud_cli.operations.validate import list_variants as variants_of

        variants = variants_of(template, data=data, matrix=matrix)
        output.show_variants(variants, output_format=output_format)
        return
    if output_format == "github-matrix":
        raise click.BadParameter(
            "github-matrix lists the variants: add --list-variants, or choose text or json.",
            param_hint="'--format'",
        )
    with output.variant_progress(output_format=output_format, verbosity=verbosity) as on_progress:
        report = validate(
            template,
            data=data,
            matrix=matrix,
            server=server,
            jobs=jobs,
            trust=trust,
            boot=not no_boot,
            vcs_ref=vcs_ref,
            variant=variant,
            shard=shard,
            python=str(python) if python is not None else None,
            skip_tasks=skip_tasks,
            install=install,
            find_links=find_links,
            no_index=no_index,
            update_from=update_from,
            strict_undefined=strict_undefined,
            on_progress=on_progress,
        )
    _show(ctx, report, output_format=output_format, junit_xml=junit_xml, verbosity=verbosity)


def _show(
    ctx: click.Context,
    report: ValidationReport,
    *,
    output_format: str,
    junit_xml: Path | None,
    verbosity: int,
) -> None:
    """The report on standard output (and in *junit_xml*); exit 1 if a check failed."""
    from thibaud_cli.checks.reports import junit_xml as junit_report
    from thibaud_cli.fs.atomic import write_text_where_named

    if junit_xml is not None:
        write_text_where_named(junit_xml, junit_report(report))
    output.show_validation(report, output_format=output_format, verbosity=verbosity)
    ctx.exit(0 if report.ok else 1)


@click.command("merge-reports", cls=ThibaudCommand)
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option(of="the merged report on standard output", more=["junit"])
@junit_xml_option
@click.option("--verbose", is_flag=True, help="List every check, not only failures (as -v 2 does).")
@click.pass_context
def merge_reports(
    ctx: click.Context,
    reports: tuple[Path, ...],
    output_format: str,
    junit_xml: Path | None,
    verbose: bool,
) -> None:
    """Merge the JSON reports of validate-template runs into one report.

    REPORTS are the `--format json` reports of jobs that each validated some of a
    template's variants (`--variant NAME`, one CI job each). The merged report, and the
    exit status (0 when every check passed, 1 when one failed), are those of a single
    run of all the variants. A report that is missing, unreadable, of another template
    or thibaud-cli version, or a variant no report has, exits 2.
    """
    from thibaud_cli.operations.merge_reports import merge_reports as merge

    verbosity = max(common.current(ctx).verbosity, 2 if verbose else 0)
    report = merge(list(reports))
    _show(ctx, report, output_format=output_format, junit_xml=junit_xml, verbosity=verbosity)
