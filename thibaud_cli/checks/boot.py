"""Booting a rendered variant: a fresh process per variant, and the server check.

Each variant boots in a fork of the run's zygote (``zygote.py``), a process that has
imported the framework and nothing of any project: as isolated as a fresh
interpreter, without paying for one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.checks.results import SERVER_CHECK, CheckResult, VariantResult, skipped_checks
from thibaud_cli.checks.variants import Variant
from thibaud_cli.checks.zygote import Zygote
from thibaud_cli.project.contract import EntryPoints

#: How long one variant may take to boot before it counts as hung.
BOOT_TIMEOUT = 120.0
BOOT_CHECKS = ("settings", "asgi", "wsgi", "manage-check")
#: The asgi (and server) check of a project with a WSGI module and no ASGI one.
WSGI_ONLY = "a WSGI-only project (no ASGI module): nothing to serve over ASGI"


@dataclass(frozen=True)
class RenderedVariant:
    """A variant after rendering and the static checks."""

    checks: tuple[CheckResult, ...]
    project_dir: Path | None = None
    entry_points: EntryPoints | None = None
    #: The static checks (leftovers, compile, entry points) run again on another copy of
    #: the project: an updated one (--update-from).
    static_checks: Callable[[Path], tuple[CheckResult, ...]] | None = None


def boot_environment() -> dict[str, str]:
    """Our environment without a settings module, so the entry points' defaults count."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _probe_failure(log_path: Path, why: str) -> tuple[CheckResult, ...]:
    """Every boot check failed, when the probe itself died: its last words say why."""
    lines = [
        line for line in log_path.read_text("utf-8", errors="replace").splitlines() if line.strip()
    ]
    detail = f": {lines[-1].strip()}" if lines else ""
    return tuple(
        CheckResult(name, "failed", f"the boot process {why}{detail}") for name in BOOT_CHECKS
    )


def boot_variant(
    variant: Variant,
    rendered: RenderedVariant,
    workdir: Path,
    *,
    zygote: Zygote,
    server: str | None,
    python: str | None = None,
    installed: tuple[CheckResult, ...] = (),
) -> VariantResult:
    """Boot the rendered variant in a fork of *zygote*, add the server check. *installed*
    is the install check (--install), reported after the static checks."""
    server_names = (SERVER_CHECK,) if server else ()
    if rendered.project_dir is None or rendered.entry_points is None:
        skipped = skipped_checks(server_names, "the template did not render")
        return VariantResult(variant.name, variant.answers, rendered.checks + skipped)
    log_path = workdir / "boot.log"
    log_path.touch()
    results_path = workdir / "results.json"
    job = {
        "project_dir": str(rendered.entry_points.root_dir(rendered.project_dir)),
        "entry_points": rendered.entry_points.to_data(),
        "results": str(results_path),
    }
    ended = zygote.boot(job, log_path, timeout=BOOT_TIMEOUT)
    if ended.timed_out:
        boot_checks = _probe_failure(log_path, f"did not finish in {BOOT_TIMEOUT:.0f} s")
    elif results_path.is_file():
        root = rendered.entry_points.root
        boot_checks = tuple(
            # The probe ran in the Python root: files are named from the project's.
            CheckResult(**{**result, "file": f"{root}/{result['file']}"})
            if root != "." and result.get("file")
            else CheckResult(**result)
            for result in json.loads(results_path.read_text("utf-8"))
        )
    elif ended.code is None:  # the zygote died: its own last words say why
        boot_checks = _probe_failure(zygote.log_path, f"exited with {zygote.exit_status()}")
    else:
        boot_checks = _probe_failure(log_path, f"exited with {ended.code}")
    if rendered.entry_points.asgi is None and rendered.entry_points.wsgi is not None:
        # A WSGI-only project: its WSGI checks are its verdict; the probe found no ASGI
        # module to call, which is no fault.
        boot_checks = tuple(
            CheckResult("asgi", "skipped", WSGI_ONLY)
            if check.name == "asgi" and check.message.endswith("has no ASGI module")
            else check
            for check in boot_checks
        )
    server_checks: tuple[CheckResult, ...] = ()
    if server:
        from thibaud_cli.checks.server import check_server

        if boot_checks[0].status == "passed" and rendered.entry_points.asgi is not None:
            server_checks = (
                check_server(
                    server,
                    rendered.entry_points.root_dir(rendered.project_dir),
                    rendered.entry_points.asgi,
                    boot_environment(),
                    workdir / "server.log",
                    python,
                ),
            )
        elif rendered.entry_points.asgi is None:
            server_checks = (CheckResult(SERVER_CHECK, "skipped", WSGI_ONLY),)
        else:
            server_checks = skipped_checks(server_names, "the settings module does not import")
    return VariantResult(
        variant.name, variant.answers, rendered.checks + installed + boot_checks + server_checks
    )
