"""The template's own commands, run as copier runs them: ``_tasks`` after the files are
written, an update's ``_migrations`` before and after.

Each command's condition, its words, its working directory and its variables
(``_copier_operation``, ``_stage``, ``_version_from``...; in the environment too,
upper-cased) are copier's. What differs is the point of running them here rather than
inside copier's render:

- they run where the project is for good (a new project's directory once it has
  appeared, the project itself on update), never in a staging directory, so that a
  tool that writes absolute paths (``python -m venv``, ``uv sync``) writes the right
  ones, and with the project's real answers;
- they run outside the render's limits: a task is code the user chose to trust
  (``--trust``), not template text from a stranger, so no memory ceiling, no
  deadline, and the user's own git configuration (``pre-commit install`` refuses a
  ``core.hooksPath`` such as the one renders run git with);
- a task that fails, or whose program is missing, is named: which task, its command,
  and what went wrong.

Like :mod:`~thibaud_cli.template.engine.render`, this module may import copier.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from thibaud_cli.errors import TaskError
from thibaud_cli.template.engine.strictness import tasks_output_to
from thibaud_cli.vcs.git import unhardened_environment

Operation = Literal["copy", "update"]
Phase = Literal["tasks", "migrate"]


def run_template_code(
    worker: Any,
    tasks: Sequence[Any],
    *,
    directory: Path,
    operation: Operation,
    phase: Phase = "tasks",
    log: Path | None = None,
) -> None:
    """Run copier *tasks* (``Task`` objects) of *worker*'s template in *directory*.

    *worker* has rendered (its answers are the project's). With *log*, what the
    commands print goes to that file. A command that fails or cannot start raises
    :class:`TaskError`, and the ones after it do not run.
    """
    from copier._tools import cast_to_bool
    from copier._types import Phase as CopierPhase

    kind = "task" if phase == "tasks" else "migration"
    with CopierPhase.use(CopierPhase(phase)), tasks_output_to(log):
        for number, task in enumerate(tasks, 1):
            context = {f"_{key}": value for key, value in task.extra_vars.items()}
            context["_copier_operation"] = operation
            if not cast_to_bool(worker._render_value(task.condition, context)):
                continue
            command: str | list[str]
            if isinstance(task.cmd, str):
                command = worker._render_string(task.cmd, context)
            else:
                command = [worker._render_string(str(part), context) for part in task.cmd]
            where = directory / Path(worker._render_string(str(task.working_directory), context))
            environment = {
                **unhardened_environment(),
                **{key[1:].upper(): str(value) for key, value in context.items()},
            }
            _run(command, where.absolute(), environment, f"{kind} {number} of {len(tasks)}")


def _run(command: str | list[str], cwd: Path, environment: dict[str, str], which: str) -> None:
    shown = command if isinstance(command, str) else shlex.join(command)
    failed = f"A {which.split()[0]} of the template failed: {which} ({shown})"
    try:
        completed = subprocess.run(
            command, shell=isinstance(command, str), cwd=cwd, env=environment, check=False
        )
    except FileNotFoundError as error:
        if not cwd.is_dir():
            raise TaskError(
                f"{failed} could not start: its directory {cwd} does not exist"
            ) from error
        program = command[0] if isinstance(command, list) else command
        raise TaskError(
            f"{failed} could not start: the program '{program}' is not installed (or not on PATH)"
        ) from error
    except PermissionError as error:
        raise TaskError(f"{failed} could not start: {error.strerror} ({error.filename})") from error
    except OSError as error:
        raise TaskError(f"{failed} could not start: {error}") from error
    if completed.returncode:
        # sh says "not found" in what it printed above, and exits 127.
        missing = " (no such program: is it installed?)" if completed.returncode == 127 else ""
        raise TaskError(
            f"{failed} exited with status {completed.returncode}{missing}; what it printed is "
            "above (or in the report)"
        )
