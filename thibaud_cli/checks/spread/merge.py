"""Reports of parts of one validation (CI jobs, a variant each) merged into the whole.

The merged report is the one a single run of every variant would have given: the
same variants in the same order, the same checks, so the same verdict and exit
status. Reports that cannot make that whole are refused, with what to do: reports of
another template, of another set of variants or of another thibaud-cli version (whose
checks differ), a variant reported twice, or one reported by no file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from thibaud_cli.checks.results import ValidationReport, VariantResult
from thibaud_cli.checks.spread.report_file import ReportFile
from thibaud_cli.errors import ReportFileError


def merge_reports(files: Sequence[ReportFile]) -> ValidationReport:
    """The report of the whole validation that *files* are the parts of."""
    if not files:
        raise ReportFileError("no reports given: name the JSON reports of the jobs.")
    first = files[0]
    whole = first.report.planned or tuple(v.name for v in first.report.variants)
    for other in files[1:]:
        _refuse_incompatible(first, other, whole)
    found: dict[str, tuple[VariantResult, ReportFile]] = {}
    for file in files:
        for variant in file.report.variants:
            if variant.name not in whole:
                raise ReportFileError(
                    f"{file.path}: variant {variant.name!r} is not one of the template's "
                    "variants the other reports list."
                )
            if variant.name in found:
                raise ReportFileError(
                    f"variant {variant.name!r} is reported twice, in {found[variant.name][1].path} "
                    f"and {file.path}: give each job's report once."
                )
            found[variant.name] = (variant, file)
    missing = [name for name in whole if name not in found]
    if missing:
        raise ReportFileError(
            f"no report has variant(s) {'; '.join(missing)}: their jobs' reports are "
            f"missing (of {len(whole)} variants, {len(found)} were reported)."
        )
    notes: dict[str, None] = {}  # each note once, in the order met
    for file in files:
        notes.update(dict.fromkeys(file.report.notes))
    return ValidationReport(
        first.report.template,
        tuple(found[name][0] for name in whole),
        tuple(notes),
        planned=whole,
        plan_notes=first.report.plan_notes,
    )


def _refuse_incompatible(first: ReportFile, other: ReportFile, whole: tuple[str, ...]) -> None:
    """*other* is a part of the same validation as *first*, or the reason it is not."""
    pair = f"{first.path} and {other.path}"
    if other.tool_version != first.tool_version:
        raise ReportFileError(
            f"{pair} were written by thibaud-cli {first.tool_version} and "
            f"{other.tool_version}: run every job with the same version."
        )
    if not _same_template(first.report.template, other.report.template):
        raise ReportFileError(
            f"{pair} validate different templates ({first.report.template!r} and "
            f"{other.report.template!r}): merge the reports of one template."
        )
    planned = other.report.planned or tuple(v.name for v in other.report.variants)
    if planned != whole:
        raise ReportFileError(
            f"{pair} come from different sets of variants (another template version, "
            "--matrix or --data?): merge the reports of one run's jobs."
        )


def _same_template(one: str, other: str) -> bool:
    """A local template is known by its directory's name: each machine checks the
    repository out where its runner works (the same path on GitHub's, not on all)."""
    if Path(one).is_absolute() and Path(other).is_absolute():
        return Path(one).name == Path(other).name
    return one == other
