"""The reports of ``validate-template``: text for people, JSON and JUnit XML for machines."""

from __future__ import annotations

import json
import re
from typing import Any

from thibaud_cli.checks.results import CheckResult, ValidationReport, VariantResult

_MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip", "warning": "warn"}
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
        "warnings": report.count("warning"),
    }


def _check_line(check: CheckResult) -> str:
    # A message that names its place already (the framework check's) is not prefixed again.
    named = check.location is not None and f" at {check.location}" in check.message
    where = f"{check.location}: " if check.location and not named else ""
    return f"  {_MARKS[check.status]} {check.name}: {where}{check.message}"


Finding = tuple[str, str, str | None, str]


def _finding(check: CheckResult) -> Finding:
    return (check.name, check.status, check.location, check.message)


def variant_text(
    variant: VariantResult,
    *,
    verbose: bool = False,
    hits: dict[Finding, list[str]] | None = None,
) -> str:
    """One variant: a headline, then its failures and warnings (every check when
    *verbose*). With *hits* (each finding: the variants that have it), a finding is
    shown once, under the first variant that has it, naming the others."""
    if variant.checks and variant.checks[0].status == "skipped":
        # Not rendered at all (a combination the template refuses): say why in one line.
        return f"skip {variant.name}: {variant.checks[0].message}"
    failed = len(variant.failed)
    passed = sum(1 for check in variant.checks if check.status == "passed")
    warned = sum(1 for check in variant.checks if check.status == "warning")
    headline = (
        f"{'FAIL' if failed else 'ok  '} {variant.name}: {passed} passed"
        + (f", {failed} failed" if failed else "")
        + (f", {warned} warning(s)" if warned else "")
    )
    shown = [check for check in variant.checks if verbose or check.status in ("failed", "warning")]
    lines = [headline]
    for check in shown:
        names = (hits or {}).get(_finding(check), [variant.name])
        if names[0] != variant.name:
            continue  # shown under the first variant that has it
        also = f" (also in {len(names) - 1} more: {'; '.join(names[1:])})" if names[1:] else ""
        lines.append(_check_line(check) + also)
    return "\n".join(lines)


def variant_progress_line(variant: VariantResult) -> str:
    """One line for a variant that just finished: its verdict, the checks that failed."""
    seconds = sum(check.duration for check in variant.checks)
    failed = ", ".join(check.name for check in variant.failed)
    verdict = f"FAIL {variant.name} ({failed})" if failed else f"ok   {variant.name}"
    return f"{verdict} in {seconds:.1f} s"


def text_report(report: ValidationReport, *, verbose: bool = False) -> str:
    """The report for a terminal or a CI log."""
    lines = [f"Template {report.template}"]
    # A fault of the template (a syntax error at its file and line) is the same in every
    # variant that renders it: said once, with the variants that have it.
    hits: dict[Finding, list[str]] = {}
    for variant in report.variants:
        for check in variant.checks:
            if check.status in ("failed", "warning"):
                hits.setdefault(_finding(check), []).append(variant.name)
    lines += [
        variant_text(variant, verbose=verbose, hits=None if verbose else hits)
        for variant in report.variants
    ]
    lines += [f"Note: {note}" for note in report.shown_notes]
    counts = _summary(report)
    failed = sum(1 for variant in report.variants if variant.failed)
    # "Failed: 7 variant(s)" read as all seven failing: say how many did.
    variants = f"{failed} of {counts['variants']}" if failed else str(counts["variants"])
    lines.append(
        f"{'Passed' if report.ok else 'Failed'}: {variants} variant(s), "
        f"{counts['passed']} checks passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped"
        + (f", {counts['warnings']} warning(s)." if counts["warnings"] else ".")
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
            elif check.status == "warning":  # JUnit has no warnings: a pass that says so
                text = f"warning: {check.message}"
                ElementTree.SubElement(case, "system-out").text = _xml_text(text)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
