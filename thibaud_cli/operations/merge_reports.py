"""``merge-reports``: the JSON reports of a validation's parts merged into one report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from thibaud_cli.checks.results import ValidationReport
from thibaud_cli.checks.spread.merge import merge_reports as merge
from thibaud_cli.checks.spread.report_file import read_report


def merge_reports(paths: Sequence[Path]) -> ValidationReport:
    """The report a single ``validate-template`` run of every variant would have given,
    from the JSON reports *paths* of runs of some of them (CI jobs with ``--variant``).

    Raises :class:`~thibaud_cli.errors.ReportFileError` (a usage error) when a file is
    not such a report, or the files are not the parts of one whole.
    """
    return merge([read_report(path) for path in paths])
