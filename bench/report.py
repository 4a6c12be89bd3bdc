"""The results: rows of figures, the targets they are judged against, and RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Row:
    name: str
    figure: str
    #: The figure relative to the section's reference, e.g. "1.00x" or "+0.12 s".
    relative: str = ""
    extra: str = ""
    more: tuple[str, ...] = ()

    def cells(self) -> tuple[str, ...]:
        return (self.name, self.figure, self.relative, self.extra, *self.more)


@dataclass
class Section:
    title: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    met: bool | None  # None: could not be measured in this run


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {system}, Python {python}"


def table(section: Section) -> list[str]:
    rule = "|---|" + "---:|" * (len(section.columns) - 1)
    lines = [f"| {' | '.join(section.columns)} |", rule]
    for row in section.rows:
        lines.append(f"| {' | '.join(row.cells()[: len(section.columns)])} |")
    return lines


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def markdown(sections: list[Section], targets: list[Target], settings: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {now} on {machine()}, by `nox -s bench` ({settings}).",
        "Figures move from run to run and machine to machine: compare the ratios, which",
        "are taken within this one run.",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {t.what} | {t.measured} | {_verdict(t.met)} |" for t in targets]
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        if section.rows:
            lines += table(section)
    return "\n".join(lines) + "\n"


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
