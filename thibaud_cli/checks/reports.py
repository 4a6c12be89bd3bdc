"""The reports of ``validate-template``: text for people, JSON and JUnit XML for machines."""

from __future__ import annotations

import json
import re
from typing import Any

from thibaud_cli.checks.results import CheckResult, ValidationReport, VariantResult

_MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
#: What a JSON report says it is, and the version of its layout: ``merge-reports`` reads
#: back only reports it knows how to (``checks/spread/report_file.py``).
JSON_REPORT_KIND = "thibaud-admin validate-template report"
JSON_REPORT_VERSION = 1


def _summary(report: ValidationReport) -> dict[str, int]:
    return {
        "variants": len(report.variants),
        "passed": report.count("passed"),
        "failed": report.count("failed"),
        "skipped": report.count("skipped"),
    }


def _check_line(check: CheckResult) -> str:
    where = f"{check.location}: " if check.location else ""
    return f"  {_MARKS[check.status]} {check.name}: {where}{check.message}"


def variant_text(variant: VariantResult, *, verbose: bool = False) -> str:
    """One variant: a headline, then its failures (every check when *verbose*)."""
    failed = len(variant.failed)
    passed = sum(1 for check in variant.checks if check.status == "passed")
    headline = f"{'FAIL' if failed else 'ok  '} {variant.name}: {passed} passed" + (
        f", {failed} failed" if failed else ""
    )
    shown = [check for check in variant.checks if verbose or check.status == "failed"]
    return "\n".join([headline, *(_check_line(check) for check in shown)])


def variant_progress_line(variant: VariantResult) -> str:
    """One line for a variant that just finished: its verdict, the checks that failed."""
    seconds = sum(check.duration for check in variant.checks)
    failed = ", ".join(check.name for check in variant.failed)
    verdict = f"FAIL {variant.name} ({failed})" if failed else f"ok   {variant.name}"
    return f"{verdict} in {seconds:.1f} s"


def text_report(report: ValidationReport, *, verbose: bool = False) -> str:
    """The report for a terminal or a CI log."""
    lines = [f"Template {report.template}"]
    lines += [variant_text(variant, verbose=verbose) for variant in report.variants]
    lines += [f"Note: {note}" for note in report.shown_notes]
    counts = _summary(report)
    lines.append(
        f"{'Passed' if report.ok else 'Failed'}: {counts['variants']} variant(s), "
        f"{counts['passed']} checks passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped."
    )
    return "\n".join(lines) + "\n"


def _check_data(check: CheckResult) -> dict[str, Any]:
    return {
        "name": check.name,
        "status": check.status,
        "file": check.file,
        "line": check.line,
        "message": check.message,
        "duration": round(check.duration, 4),
    }


def json_report(report: ValidationReport) -> str:
    """One JSON object: the outcome, a summary, and every check of every variant."""
    from thibaud_cli.project.installed import thibaud_cli_version

    document = {
        "report": JSON_REPORT_KIND,
        "report_version": JSON_REPORT_VERSION,
        "thibaud_cli": thibaud_cli_version(),
        "template": report.template,
        "ok": report.ok,
        "summary": _summary(report),
        "notes": list(report.shown_notes),
        # What merge-reports needs to put the reports of parts together again.
        "plan": {
            "variants": list(report.planned or (v.name for v in report.variants)),
            "notes": list(report.plan_notes),
        },
        "run_notes": list(report.notes),
        "variants": [
            {
                "name": variant.name,
                "answers": variant.answers,
                "ok": not variant.failed,
                "checks": [_check_data(check) for check in variant.checks],
            }
            for variant in report.variants
        ],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


#: What XML 1.0 cannot hold, escaped or not (NUL, most control characters, lone
#: surrogates, U+FFFE and U+FFFF): a message holding one would make the file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """*text* as XML can carry it: each character XML forbids written as ``\\xNN``."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def junit_xml(report: ValidationReport) -> str:
    """JUnit XML: a testsuite per variant, a testcase per check (what CI systems display)."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.Element(
        "testsuites",
        name="thibaud-admin validate-template",
        tests=str(sum(len(variant.checks) for variant in report.variants)),
        failures=str(report.count("failed")),
        skipped=str(report.count("skipped")),
        errors="0",
    )
    for variant in report.variants:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=_xml_text(variant.name),
            tests=str(len(variant.checks)),
            failures=str(len(variant.failed)),
            skipped=str(sum(1 for check in variant.checks if check.status == "skipped")),
            errors="0",
            time=f"{sum(check.duration for check in variant.checks):.3f}",
        )
        for check in variant.checks:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=_xml_text(f"validate-template.{variant.name}"),
                name=_xml_text(check.name),
                time=f"{check.duration:.3f}",
            )
            if check.file is not None:
                case.set("file", _xml_text(check.file))
            if check.line is not None:
                case.set("line", str(check.line))
            if check.status == "failed":
                failure = ElementTree.SubElement(case, "failure", message=_xml_text(check.message))
                failure.text = _xml_text(
                    f"{check.location}: {check.message}" if check.location else check.message
                )
            elif check.status == "skipped":
                ElementTree.SubElement(case, "skipped", message=_xml_text(check.message))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
