"""Booting a rendered variant: a fresh interpreter per variant, and the server check.

The probe (``boot_probe.py``) is started before its variant is rendered, so that the
framework import in the child overlaps the rendering in the parent; it then reads
the project to boot from standard input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.checks.results import SERVER_CHECK, CheckResult, VariantResult, skipped_checks
from thibaud_cli.checks.variants import Variant
from thibaud_cli.project.contract import EntryPoints

#: How long one variant may take to boot before it counts as hung.
BOOT_TIMEOUT = 120.0
_BOOT_CHECKS = ("settings", "asgi", "wsgi", "manage-check")
_PROBE = Path(__file__).with_name("boot_probe.py")


@dataclass(frozen=True)
class RenderedVariant:
    """A variant after rendering and the static checks."""

    checks: tuple[CheckResult, ...]
    project_dir: Path | None = None
    entry_points: EntryPoints | None = None


def _boot_environment() -> dict[str, str]:
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
        CheckResult(name, "failed", f"the boot process {why}{detail}") for name in _BOOT_CHECKS
    )


def boot_variant(
    variant: Variant,
    rendered_future: Future[RenderedVariant],
    workdir: Path,
    *,
    server: str | None,
    python: str | None = None,
) -> VariantResult:
    """Start a probe, wait for the variant's render, boot it, and add the server check."""
    env = _boot_environment()
    log_path = workdir / "boot.log"
    with open(log_path, "w", encoding="utf-8") as log:
        # -P: the probe's own directory (our package) must not shadow the project's modules.
        process = subprocess.Popen(
            [python or sys.executable, "-P", str(_PROBE)],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        rendered = rendered_future.result()
    except BaseException:
        process.kill()
        process.wait()
        raise
    server_names = (SERVER_CHECK,) if server else ()
    if rendered.project_dir is None or rendered.entry_points is None:
        process.communicate("")  # nothing to boot: the probe exits on end of input
        skipped = skipped_checks(server_names, "the template did not render")
        return VariantResult(variant.name, variant.answers, rendered.checks + skipped)
    results_path = workdir / "results.json"
    job = {
        "project_dir": str(rendered.entry_points.root_dir(rendered.project_dir)),
        "entry_points": rendered.entry_points.to_data(),
        "results": str(results_path),
    }
    try:
        process.communicate(json.dumps(job) + "\n", timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        boot_checks = _probe_failure(log_path, f"did not finish in {BOOT_TIMEOUT:.0f} s")
    else:
        if results_path.is_file():
            root = rendered.entry_points.root
            boot_checks = tuple(
                # The probe ran in the Python root: files are named from the project's.
                CheckResult(**{**result, "file": f"{root}/{result['file']}"})
                if root != "." and result.get("file")
                else CheckResult(**result)
                for result in json.loads(results_path.read_text("utf-8"))
            )
        else:
            boot_checks = _probe_failure(log_path, f"exited with {process.returncode}")
    server_checks: tuple[CheckResult, ...] = ()
    if server:
        from thibaud_cli.checks.server import check_server

        if boot_checks[0].status == "passed" and rendered.entry_points.asgi is not None:
            server_checks = (
                check_server(
                    server,
                    rendered.entry_points.root_dir(rendered.project_dir),
                    rendered.entry_points.asgi,
                    env,
                    workdir / "server.log",
                    python,
                ),
            )
        else:
            server_checks = skipped_checks(server_names, "the settings module does not import")
    return VariantResult(
        variant.name, variant.answers, rendered.checks + boot_checks + server_checks
    )
