"""One variant's upgrade path: generated at the older release, committed, updated.

The project is generated and updated by thibaud-admin's own ``startproject`` and
``update``, each in a process of its own, exactly as the template's users run them;
only their outcome is read here (the exit status, the one line that says why).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thibaud_cli.checks.results import UPDATE_CHECK, CheckResult, Status
from thibaud_cli.checks.upgrade.compare import compare_trees
from thibaud_cli.checks.variants import Variant
from thibaud_cli.errors import UsageError
from thibaud_cli.vcs.git import run_git

#: The longest a startproject or update of one variant may take (tasks included).
COMMAND_TIMEOUT = 300.0
#: The name a variant's project gets, as validate-template renders it.
PROJECT_NAME = "mysite"


@dataclass(frozen=True)
class UpgradeFrom:
    """What --update-from asks: the template (a local git checkout), the older release,
    and the version to update to (None: the working tree under test)."""

    template: Path
    ref: str
    to: str | None
    trust: bool
    skip_tasks: bool
    #: The older release's questions (None: its copier.yml is not plain YAML).
    questions_then: frozenset[str] | None
    #: The questions new since then that have a default: a user may answer them when
    #: updating. A new question without one is left unanswered, as a user who does not
    #: know of it leaves it: the update must then say so.
    new_with_default: frozenset[str]


def new_questions_with_default(
    config: Mapping[str, Any], then: frozenset[str] | None
) -> frozenset[str]:
    """The questions of *config* that have a default and are not among *then*."""
    return frozenset(
        str(name)
        for name, spec in config.items()
        if not str(name).startswith("_")
        and isinstance(spec, Mapping)
        and "default" in spec
        and then is not None
        and name not in then
    )


def refuse_unusable(template: Path | None, ref: str) -> frozenset[str] | None:
    """The questions of the template at *ref* (None if its copier.yml is not plain YAML),
    or a usage error when *ref* cannot be updated from."""
    if template is None or not (template / ".git").exists():
        raise UsageError(
            f"--update-from {ref}: the template must be a local git checkout (clone it first)."
        )
    found = run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=template)
    if found.returncode != 0:
        raise UsageError(f"--update-from {ref}: no such tag or commit in {template}.")
    from thibaud_cli.formats.yaml import YamlError, load

    for name in ("copier.yml", "copier.yaml"):
        shown = run_git(["show", f"{ref}:{name}"], cwd=template)
        if shown.returncode == 0:
            try:
                config = load(shown.stdout)
            except YamlError:
                return None  # !include and friends: every answer is given
            if isinstance(config, dict):
                return frozenset(str(key) for key in config if not str(key).startswith("_"))
    return None


def _data(answers: Mapping[str, Any], questions: frozenset[str] | None) -> list[str]:
    """``--data`` for the *answers* to *questions* (None: to all)."""
    arguments = []
    for key, value in answers.items():
        if questions is not None and key not in questions:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        arguments += ["--data", f"{key}={text}"]
    return arguments


def _thibaud_admin(*args: str, cwd: Path) -> tuple[bool, str]:
    """Run our own command line; whether it succeeded, and its last words if not."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE")
    }
    from thibaud_cli.template.sandbox.memory import ceiling_lifted

    # Started while other variants render: not under the renders' memory ceiling.
    with ceiling_lifted():
        process = subprocess.Popen(
            [sys.executable, "-m", "thibaud_cli", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
    try:
        _, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return False, f"did not finish in {COMMAND_TIMEOUT:.0f} s"
    if process.returncode == 0:
        return True, ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    said = lines[-1].removeprefix("Error: ").strip() if lines else ""
    return False, said or f"exited with {process.returncode}"


def _commit(project: Path) -> str | None:
    """The generated project committed, as its user would before updating; else why not."""
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        [
            "-c",
            "user.name=validate-template",
            "-c",
            "user.email=validate@localhost",
            # A throwaway commit: the user's signing set-up is not asked for.
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "generated",
        ],
    ):
        done = run_git(args, cwd=project)
        if done.returncode != 0:
            return f"git {args[0]}: {done.stderr.strip()}"
    return None


def upgrade_variant(
    variant: Variant,
    upgrade: UpgradeFrom,
    workdir: Path,
    fresh: Path,
    fresh_key: str,
) -> tuple[CheckResult, Path | None]:
    """The update check of *variant*: generated at the older release in *workdir*, then
    updated; compared with *fresh* (the same answers rendered at the new version with
    *fresh_key*). Returns the check and the updated project (None if it did not update)."""
    started = time.monotonic()
    project = workdir / "upgraded"
    ref = upgrade.ref
    code = (["--trust"] if upgrade.trust else []) + (["--skip-tasks"] if upgrade.skip_tasks else [])

    def result(status: Status, message: str, path: Path | None) -> tuple[CheckResult, Path | None]:
        check = CheckResult(
            UPDATE_CHECK,
            status,
            message,
            duration=time.monotonic() - started,
        )
        return check, path

    made, why = _thibaud_admin(
        "startproject",
        PROJECT_NAME,
        str(project),
        "--template",
        str(upgrade.template),
        "--vcs-ref",
        ref,
        "--defaults",
        *_data(variant.answers, upgrade.questions_then),
        *code,
        cwd=workdir,
    )
    if not made:
        return result("failed", f"the project could not be generated at {ref}: {why}", None)
    problem = _commit(project)
    if problem is not None:
        return result(
            "failed", f"the project generated at {ref} could not be committed: {problem}", None
        )
    to = ["--to", upgrade.to] if upgrade.to else []
    # The answers given at generation are recorded: only new questions are answered.
    answers = _data(variant.answers, upgrade.new_with_default)
    updated, why = _thibaud_admin(
        "update", "--project-dir", str(project), *to, *answers, *code, cwd=workdir
    )
    if not updated:
        return result("failed", f"the update from {ref} did not run: {why}", None)
    difference = compare_trees(project, fresh, fresh_key)
    if not difference.same:
        return result(
            "failed",
            f"updated from {ref}, unlike a fresh project: {difference.describe()}",
            project,
        )
    return result("passed", f"updated from {ref}: the same files as a fresh project", project)
