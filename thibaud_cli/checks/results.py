"""What template validation found: check results, per variant and for the whole run.

Plain data, shared by the checks, the orchestration (``validation.py``) and the
reports (``reports.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped"]

#: Every variant reports these checks, in this order (``server`` only with --server).
CHECK_NAMES = (
    "render",
    "leftovers",
    "compile",
    "entry-points",
    "settings",
    "asgi",
    "wsgi",
    "manage-check",
)
SERVER_CHECK = "server"


@dataclass(frozen=True)
class CheckResult:
    """One check of one variant. *file* is relative to the rendered project, or to the
    template for the ``render`` check."""

    name: str
    status: Status
    message: str = ""
    file: str | None = None
    line: int | None = None
    duration: float = 0.0

    @property
    def location(self) -> str | None:
        if self.file is None:
            return None
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class VariantResult:
    """The checks of one answer set."""

    name: str
    answers: dict[str, Any]
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if check.status == "failed")


@dataclass(frozen=True)
class ValidationReport:
    """Everything ``validate-template`` found; ``ok`` when no check failed."""

    template: str
    variants: tuple[VariantResult, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(variant.failed for variant in self.variants)

    def count(self, status: Status) -> int:
        return sum(
            1 for variant in self.variants for check in variant.checks if check.status == status
        )


def skipped_checks(names: Sequence[str], why: str) -> tuple[CheckResult, ...]:
    """The checks *names*, each skipped because of *why*."""
    return tuple(CheckResult(name, "skipped", f"not run: {why}") for name in names)
