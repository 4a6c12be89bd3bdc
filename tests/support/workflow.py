"""A GitHub Actions workflow run here: its jobs as processes, its steps as the runner
runs them, for the examples we publish (``examples/*.yml``).

Only what the examples use is known: `run:` steps (bash -e, `$GITHUB_OUTPUT`, step and
workflow `env:`), `actions/checkout` (a copy of the repository, at the same path
relative to each job's workspace, as every runner checks out), `setup-python` and
`pip install` of thibaud-cli (this environment already is one), upload and download
of artifacts (a directory per artifact), `needs`, a matrix from a job's output, and
the expressions in `KNOWN_EXPRESSIONS`. Anything else fails loudly, so that an edit of
the example is not silently skipped. The jobs of a matrix run side by side, each a
process of its own, as machines would.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.cli import BIN_DIR, cli_environment

_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class StepRun:
    """One `run:` step as it ran."""

    job: str
    script: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class WorkflowRun:
    """What a workflow run left: each job's outcome, its steps, the artifacts."""

    root: Path
    jobs: dict[str, bool] = field(default_factory=dict)  # job (with matrix index) -> passed
    steps: list[StepRun] = field(default_factory=list)

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"


def _evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    if expression == "!cancelled()":
        return True
    call = re.fullmatch(r"fromJSON\((.+)\)", expression)
    if call:
        return json.loads(_evaluate(call[1], context))
    value: Any = context
    for part in expression.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise AssertionError(f"expression not known to this runner: {expression!r}")
        value = value[part]
    return value


def _substitute(text: str, context: Mapping[str, Any]) -> Any:
    whole = _EXPRESSION.fullmatch(text.strip())
    if whole:
        return _evaluate(whole[1], context)
    return _EXPRESSION.sub(lambda found: str(_evaluate(found[1], context)), text)


def run_workflow(
    workflow: Path,
    repository: Path,
    root: Path,
    *,
    on_job: Callable[[str], None] | None = None,
) -> WorkflowRun:
    """Run *workflow* for *repository* (its checkout), in *root*."""
    document = yaml.safe_load(workflow.read_text("utf-8"))
    jobs: dict[str, Any] = document["jobs"]
    run = WorkflowRun(root)
    run.artifacts.mkdir(parents=True)
    outputs: dict[str, dict[str, str]] = {}
    results: dict[str, str] = {}
    done: set[str] = set()
    while len(done) < len(jobs):
        ready = [
            name for name, job in jobs.items() if name not in done and set(_needs(job)) <= done
        ]
        assert ready, f"jobs wait for each other: {set(jobs) - done}"
        for name in ready:
            job = jobs[name]
            needs = {
                need: {"outputs": outputs.get(need, {}), "result": results[need]}
                for need in _needs(job)
            }
            context = {"env": document.get("env", {}), "needs": needs}
            if "if" in job:
                proceed = _substitute(str(job["if"]), context)
            else:
                proceed = all(results[need] == "success" for need in _needs(job))
            if not proceed:
                results[name] = "skipped"
                done.add(name)
                continue
            passed, outputs[name] = _run_matrix(name, jobs[name], context, repository, run, on_job)
            results[name] = "success" if passed else "failure"
            done.add(name)
    return run


def _run_matrix(
    name: str,
    job: Mapping[str, Any],
    context: dict[str, Any],
    repository: Path,
    run: WorkflowRun,
    on_job: Callable[[str], None] | None,
) -> tuple[bool, dict[str, str]]:
    """The job *name*, once or once per entry of its matrix, side by side; whether every
    one passed, and the outputs of a job without a matrix."""
    matrix = job.get("strategy", {}).get("matrix")
    entries: list[dict[str, Any] | None] = [None]
    if matrix is not None:
        resolved = _substitute(matrix, context) if isinstance(matrix, str) else matrix
        entries = list(resolved["include"])

    def one(index: int, entry: dict[str, Any] | None) -> tuple[bool, dict[str, str]]:
        job_context = {**context, "matrix": entry or {}, "strategy": {"job-index": index}}
        label = name if entry is None else f"{name} ({index}: {entry})"
        if on_job is not None:
            on_job(label)
        workspace = run.root / "jobs" / f"{name}-{index}"
        passed, job_outputs = _run_job(job, job_context, repository, workspace, run, name)
        run.jobs[label] = passed
        return passed, job_outputs

    with ThreadPoolExecutor(max_workers=len(entries)) as pool:
        ran = list(pool.map(one, range(len(entries)), entries))
    return all(passed for passed, _ in ran), (ran[0][1] if matrix is None else {})


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _run_job(
    job: Mapping[str, Any],
    context: dict[str, Any],
    repository: Path,
    workspace: Path,
    run: WorkflowRun,
    name: str,
) -> tuple[bool, dict[str, str]]:
    # Every runner checks the repository out at the same path under its workspace.
    checkout = workspace / repository.name
    workspace.mkdir(parents=True)
    output_file = workspace / "github_output"
    output_file.touch()
    steps_context: dict[str, Any] = {}
    context = {**context, "steps": steps_context}
    failed = False
    for step in job["steps"]:
        condition = step.get("if")
        if condition is None:
            if failed:
                continue
        elif not _substitute(str(condition), context):
            continue
        ok = _run_step(step, context, repository, checkout, output_file, run, name)
        if "id" in step:
            steps_context[step["id"]] = {"outputs": _read_outputs(output_file)}
        failed = failed or not ok
    job_outputs = {
        key: str(_substitute(value, context)) for key, value in job.get("outputs", {}).items()
    }
    return not failed, job_outputs


def _read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text("utf-8").splitlines() if "=" in line)


def _run_step(
    step: Mapping[str, Any],
    context: Mapping[str, Any],
    repository: Path,
    checkout: Path,
    output_file: Path,
    run: WorkflowRun,
    job: str,
) -> bool:
    uses = step.get("uses")
    if uses is not None:
        return _use_action(str(uses), step.get("with", {}), context, repository, checkout, run)
    script = str(step["run"])
    if script.startswith("pip install "):
        return True  # this environment is the one the step installs
    env = {
        **{key: str(_substitute(str(v), context)) for key, v in context["env"].items()},
        **{key: str(_substitute(str(v), context)) for key, v in step.get("env", {}).items()},
        "GITHUB_OUTPUT": str(output_file),
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}",
    }
    assert not _EXPRESSION.search(script), f"an expression in a script: {script!r}"
    cwd = checkout if checkout.exists() else checkout.parent
    with tempfile.NamedTemporaryFile("w", suffix=".sh", dir=checkout.parent) as file:
        file.write(script)
        file.flush()
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", file.name],
            cwd=cwd,
            env=cli_environment(env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
    run.steps.append(StepRun(job, script, completed.returncode, completed.stdout, completed.stderr))
    return completed.returncode == 0


def _use_action(
    uses: str,
    inputs: Mapping[str, Any],
    context: Mapping[str, Any],
    repository: Path,
    checkout: Path,
    run: WorkflowRun,
) -> bool:
    action = uses.split("@")[0]
    workspace = checkout.parent
    if action == "actions/checkout":
        shutil.copytree(repository, checkout, symlinks=True)
    elif action == "actions/setup-python":
        pass  # this interpreter
    elif action == "actions/upload-artifact":
        name = str(_substitute(str(inputs["name"]), context))
        source = (checkout if checkout.exists() else workspace) / str(inputs["path"])
        if not source.exists():
            return True  # the runner warns, and the step passes
        target = run.artifacts / name
        assert not target.exists(), f"artifact {name} uploaded twice"
        target.mkdir()
        shutil.copy2(source, target / source.name)
    elif action == "actions/download-artifact":
        destination = workspace / str(inputs["path"])
        destination.mkdir(parents=True, exist_ok=True)
        for artifact in sorted(run.artifacts.iterdir()):
            if fnmatch.fnmatch(artifact.name, str(inputs["pattern"])):
                shutil.copytree(artifact, destination / artifact.name)
    else:
        raise AssertionError(f"action not known to this runner: {uses}")
    return True
