"""validate-template boots each variant in a fork of one zygote process: each boot is as
isolated as a fresh interpreter, and one that hangs or dies is reported on its own.

Each template here is the bundled one with a ``mode`` question; the settings module
misbehaves as its mode says, and the variants of a matrix run one after the other
(``--jobs 1``), so the later ones boot after what the earlier ones did.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.checks.test_validate_template import PACKAGE, append, checks_by_name, validate
from tests.support.trees import copy_bundled_template

BOOT_CHECKS = ("settings", "asgi", "wsgi", "manage-check")

#: Global state a settings module can change: the framework's registry of system
#: checks (imported by the zygote before any variant), and the environment.
POISON = """
import os

from thibaud.core import checks


@checks.register
def poisoned(app_configs, **kwargs):
    return [checks.Error("poisoned by another variant", id="poison.E001")]


os.environ["THIBAUD_SETTINGS_MODULE"] = "nowhere.settings"
"""
HANG = """
import time

print("about to hang", flush=True)
time.sleep(600)
"""
CRASH = """
import os
import resource
import signal

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
print("about to crash", flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
"""
KILL_PARENT = """
import os
import signal

os.kill(os.getppid(), signal.SIGKILL)
"""


def run_modes(
    runner: CliRunner, tmp_path: Path, code: dict[str, str], modes: list[str]
) -> dict[str, object]:
    """Validate a template whose settings run ``code[mode]``, one variant per mode."""
    template = copy_bundled_template(tmp_path / "template")
    append(template, "copier.yml", "\nmode:\n  type: str\n  default: clean\n")
    append(
        template,
        f"{PACKAGE}/settings.py.jinja",
        "".join(f"\n{{% if mode == {mode!r} %}}{text}{{% endif %}}" for mode, text in code.items()),
    )
    matrix = tmp_path / "matrix.yml"
    matrix.write_text(yaml.safe_dump([{"mode": mode} for mode in modes]), "utf-8")
    result = validate(runner, template, "--matrix", matrix, "--format", "json", "--jobs", "1")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    assert isinstance(report, dict)
    return report


def statuses(report: dict[str, object], variant: int) -> dict[str, object]:
    return {name: check["status"] for name, check in checks_by_name(report, variant).items()}


def test_global_state_a_variant_changes_never_reaches_the_next(
    runner: CliRunner, tmp_path: Path
) -> None:
    report = run_modes(runner, tmp_path, {"poison": POISON}, ["poison", "clean", "poison"])
    poisoned = checks_by_name(report, 0)["manage-check"]
    assert poisoned["status"] == "failed"
    assert "poison.E001" in str(poisoned["message"])
    # Had the registry or the environment leaked, the clean variant would fail its
    # system check, or import nowhere.settings.
    assert set(statuses(report, 1).values()) == {"passed"}
    # Nor is a check registered twice by the second poisoned variant.
    assert str(checks_by_name(report, 2)["manage-check"]["message"]).count("poison.E001") == 1


def test_a_hung_variant_is_killed_and_the_others_still_boot(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thibaud_cli.checks.boot.BOOT_TIMEOUT", 5.0)
    report = run_modes(runner, tmp_path, {"hang": HANG}, ["hang", "clean"])
    hung = checks_by_name(report, 0)
    for name in BOOT_CHECKS:
        assert hung[name]["status"] == "failed"
        assert hung[name]["message"] == "the boot process did not finish in 5 s: about to hang"
    assert set(statuses(report, 1).values()) == {"passed"}


def test_a_variant_that_crashes_its_process_is_reported_and_the_others_pass(
    runner: CliRunner, tmp_path: Path
) -> None:
    report = run_modes(runner, tmp_path, {"crash": CRASH}, ["clean", "crash", "clean"])
    crashed = checks_by_name(report, 1)
    for name in BOOT_CHECKS:
        assert crashed[name]["status"] == "failed"
        assert crashed[name]["message"] == "the boot process exited with -11: about to crash"
    assert set(statuses(report, 0).values()) == {"passed"}
    assert set(statuses(report, 2).values()) == {"passed"}


def test_a_variant_that_kills_the_zygote_fails_the_boots_left_without_hanging(
    runner: CliRunner, tmp_path: Path
) -> None:
    report = run_modes(runner, tmp_path, {"kill": KILL_PARENT}, ["clean", "kill", "clean"])
    assert set(statuses(report, 0).values()) == {"passed"}
    for variant in (1, 2):
        for name in BOOT_CHECKS:
            check = checks_by_name(report, variant)[name]
            assert check["status"] == "failed"
            assert str(check["message"]).startswith("the boot process exited with -9")


def test_the_zygote_imports_its_modules_without_settings_and_starts_no_thread() -> None:
    """Every module the zygote imports before the variants does import without settings
    (a failed one would quietly cost each variant its import), configures nothing, and
    leaves the zygote with one thread, so that its forks start sane."""
    import subprocess
    import sys

    from thibaud_cli.checks import probe_zygote
    from thibaud_cli.checks.boot import boot_environment

    script = f"""
import importlib, importlib.util, threading
spec = importlib.util.spec_from_file_location("zygote", {str(probe_zygote.__file__)!r})
zygote = importlib.util.module_from_spec(spec)
spec.loader.exec_module(zygote)
zygote._load_probe().preload_framework()
for name in zygote._WARM_MODULES:
    importlib.import_module(name)
from thibaud.conf import settings
print(settings.configured, threading.active_count())
"""
    completed = subprocess.run(
        [sys.executable, "-P", "-c", script],
        env=boot_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["False", "1"]


def test_an_interpreter_without_thibaud_fails_each_variant_with_the_import_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The zygote's own framework import fails: each variant's process tries again and
    says why in its own log, as a fresh interpreter would."""
    import venv

    venv.create(tmp_path / "bare", with_pip=False)
    matrix = tmp_path / "matrix.json"
    matrix.write_text(json.dumps([{}, {"description": "Another"}]), "utf-8")
    python = tmp_path / "bare" / "bin" / "python"
    result = validate(runner, "--matrix", matrix, "--python", python, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    for variant in (0, 1):
        for name in BOOT_CHECKS:
            assert checks_by_name(report, variant)[name]["message"] == (
                "the boot process exited with 1: ModuleNotFoundError: No module named 'thibaud'"
            )
