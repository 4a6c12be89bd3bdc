"""What template validation found: check results, per variant and for the whole run.

Plain data, shared by the checks, the orchestration (``validation.py``) and the
reports (``reports.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: A warning passes (the run's verdict stays ok) but is shown as a failure is.
Status = Literal["passed", "failed", "skipped", "warning"]

#: Every variant reports these checks, in this order (``server`` only with --server).
CHECK_NAMES = (
    "render",
    "undefined",
    "leftovers",
    "compile",
    "framework",
    "entry-points",
    "settings",
    "asgi",
    "wsgi",
    "manage-check",
)
SERVER_CHECK = "server"
#: With --install, after the static checks: the variant's dependencies installed.
INSTALL_CHECK = "install"
#: With --update-from, after the render: the variant generated at the older release
#: updated to this one, and compared with the fresh render.
UPDATE_CHECK = "update"


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
    """Everything ``validate-template`` found; ``ok`` when no check failed.

    A run may validate some of the template's variants (``--variant``, one CI job of a
    matrix): *planned* names all of them, so that reports of parts can be merged
    (``merge-reports``) into the report of the whole.
    """

    template: str
    variants: tuple[VariantResult, ...]
    #: What the run found beside the checks (e.g. imports missing from its interpreter).
    notes: tuple[str, ...] = field(default=())
    #: Every variant of the template's set, in order (empty: the variants run).
    planned: tuple[str, ...] = field(default=())
    #: How that set was chosen (e.g. pairwise): true of the whole set, not of a part.
    plan_notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every planned variant was run."""
        return not self.planned or len(self.variants) == len(self.planned)

    @property
    def shown_notes(self) -> tuple[str, ...]:
        """The notes a report shows: the variants run, how they were chosen, the rest."""
        names = [variant.name for variant in self.variants]
        shown = [f"Variants run: {'; '.join(names)}."]
        if self.complete:
            shown += self.plan_notes
        else:
            # The note on how the whole set was chosen would claim runs this one did not make.
            part = "one" if len(names) == 1 else str(len(names))
            shown.append(
                f"A part of the run (--variant, --shard): {part} of the {len(self.planned)} "
                "variants; merge-reports puts the parts together."
            )
        return (*shown, *self.notes)

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
