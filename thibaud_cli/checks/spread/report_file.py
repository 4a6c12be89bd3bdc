"""A JSON report of ``validate-template`` read back, for ``merge-reports``.

The inverse of ``checks/reports.json_report``: anything that is not such a report, in
the layout this version writes, is refused with one line naming the file, never
half-read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from thibaud_cli.checks.reports import JSON_REPORT_KIND, JSON_REPORT_VERSION
from thibaud_cli.checks.results import CheckResult, Status, ValidationReport, VariantResult
from thibaud_cli.errors import ReportFileError
from thibaud_cli.fs.regular import read_regular_bytes

#: The largest report read: a report of hundreds of variants is well under it.
MAX_REPORT_BYTES = 64 * 1024 * 1024
_STATUSES: tuple[str, ...] = get_args(Status)
_HOW = "write it with `validate-template --format json > FILE`"


@dataclass(frozen=True)
class ReportFile:
    """One report read back: where it came from, what wrote it, what it says."""

    path: Path
    tool_version: str
    report: ValidationReport


class _Malformed(Exception):
    """What is wrong inside the document (turned into one line with the file's name)."""


def read_report(path: Path) -> ReportFile:
    """The report in *path*, or :class:`ReportFileError` saying what is wrong with it."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise ReportFileError(f"{path}: more than {MAX_REPORT_BYTES} bytes: not a report.")
        text = read_regular_bytes(path).decode("utf-8")  # never a FIFO, never a device
    except FileNotFoundError as error:
        raise ReportFileError(f"{path}: no such file (did the job that writes it run?).") from error
    except OSError as error:
        raise ReportFileError(f"{path}: cannot be read: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise ReportFileError(f"{path}: not UTF-8 text: {_HOW}.") from error
    if not text.strip():
        raise ReportFileError(f"{path}: is empty (the job stopped before its report?).")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportFileError(
            f"{path}: not JSON (line {error.lineno}: {error.msg}): {_HOW}."
        ) from error
    except RecursionError as error:
        raise ReportFileError(f"{path}: nested too deeply to be a report: {_HOW}.") from error
    if not isinstance(document, dict) or document.get("report") != JSON_REPORT_KIND:
        raise ReportFileError(f"{path}: not a validate-template JSON report: {_HOW}.")
    version = document.get("report_version")
    if version != JSON_REPORT_VERSION:
        raise ReportFileError(
            f"{path}: a report of layout {version!r}, this thibaud-admin reads layout "
            f"{JSON_REPORT_VERSION}: merge with the thibaud-cli version that wrote it."
        )
    try:
        return ReportFile(path, _text(document, "thibaud_cli"), _report(document))
    except _Malformed as error:
        raise ReportFileError(f"{path}: malformed report: {error}.") from error


def _report(document: dict[str, Any]) -> ValidationReport:
    plan = _field(document, "plan", dict)
    variants = tuple(_variant(each) for each in _field(document, "variants", list))
    return ValidationReport(
        _text(document, "template"),
        variants,
        notes=_texts(document, "run_notes"),
        planned=_texts(plan, "variants"),
        plan_notes=_texts(plan, "notes"),
    )


def _variant(data: object) -> VariantResult:
    if not isinstance(data, dict):
        raise _Malformed("a variant is not an object")
    return VariantResult(
        _text(data, "name"),
        _field(data, "answers", dict),
        tuple(_check(each) for each in _field(data, "checks", list)),
    )


def _check(data: object) -> CheckResult:
    if not isinstance(data, dict):
        raise _Malformed("a check is not an object")
    status = data.get("status")
    if status not in _STATUSES:
        raise _Malformed(f"a check's status is {status!r}, not one of {', '.join(_STATUSES)}")
    file, line, duration = data.get("file"), data.get("line"), data.get("duration", 0.0)
    if not (file is None or isinstance(file, str)) or not (line is None or type(line) is int):
        raise _Malformed("a check's file is not a string or its line not a number")
    if type(duration) not in (int, float):
        raise _Malformed("a check's duration is not a number")
    return CheckResult(
        _text(data, "name"), status, _text(data, "message"), file, line, float(duration)
    )


def _field(data: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise _Malformed(f"{key!r} is missing or not a JSON {kind.__name__}")
    return value


def _text(data: dict[str, Any], key: str) -> str:
    value: str = _field(data, key, str)
    return value


def _texts(data: dict[str, Any], key: str) -> tuple[str, ...]:
    values = _field(data, key, list)
    if not all(isinstance(value, str) for value in values):
        raise _Malformed(f"{key!r} is not a list of strings")
    return tuple(values)
