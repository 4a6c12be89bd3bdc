"""copier's own machinery beyond rendering: its reader of ``copier.yml``, and the
task runner that runs an update's tasks and migrations as ``copier update`` does.

Like :mod:`thibaud_cli.template.engine.render`, this module may import copier.

``update`` renders both template versions into scratch directories with tasks off
and merges the files itself; what copier would run on the project (``_migrations``
before and after the files change, then ``_tasks``) is run here, in the project
directory, by copier's own task runner: the same conditions, variables
(``_stage``, ``_version_from``, ``_copier_operation`` = ``update``...) and
environment.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from thibaud_cli.errors import TemplateError

Stage = Literal["before", "after"]


@dataclass
class UpdateTasks:
    """The code the target version runs on an update, ready to run."""

    worker: Any
    from_template: Any

    def migrations(self, stage: Stage) -> list[Any]:
        return list(self.worker.template.migration_tasks(stage, self.from_template))

    @property
    def runs_code(self) -> bool:
        """Whether the update runs anything (tasks, or migrations that apply)."""
        return bool(
            self.worker.template.tasks or self.migrations("before") or self.migrations("after")
        )

    def run_migrations(self, stage: Stage) -> None:
        from copier._types import Phase

        self._run(self.migrations(stage), Phase.MIGRATE)

    def run_tasks(self) -> None:
        from copier._types import Phase

        self._run(list(self.worker.template.tasks), Phase.TASKS)

    def _run(self, tasks: list[Any], phase: Any) -> None:
        from copier._main import _operation
        from copier._types import Phase
        from copier.errors import TaskError

        token = _operation.set("update")
        try:
            with Phase.use(phase):
                self.worker._execute_tasks(tasks)
        except TaskError as error:
            raise TemplateError(
                f"A task of the template failed during the update: {error}. The files were "
                "updated; review them with 'git diff'."
            ) from error
        finally:
            _operation.reset(token)


@contextmanager
def update_tasks(
    template: str,
    project_dir: Path,
    *,
    from_ref: str,
    to_ref: str | None,
    answers: Mapping[str, Any],
) -> Iterator[UpdateTasks]:
    """The tasks and migrations of *template* at *to_ref*, for a project at *from_ref*."""
    from copier._main import Worker
    from copier._settings import SettingsModel
    from copier._template import Template

    source = f"git+{template}" if template.startswith("file://") else template
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_template = Template(url=source, ref=from_ref)
        try:
            with Worker(
                src_path=source,
                dst_path=project_dir,
                data=dict(answers),
                vcs_ref=to_ref,
                settings=SettingsModel(),
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=True,  # the caller asked the user (--trust) first
            ) as worker:
                yield UpdateTasks(worker, from_template)
        finally:
            from_template._cleanup()


def load_copier_yml(path: Path) -> dict[str, Any]:
    """``copier.yml`` as copier itself reads it: ``!include`` (globs, relative to the
    template), multiple documents, merged ``_exclude``-like lists."""
    from copier._template import load_template_config
    from copier.errors import CopierError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(load_template_config(path, quiet=True))
    except CopierError as error:
        cause = error.__cause__
        if cause is None:
            raise TemplateError(f"{path}: {' '.join(str(error).split())}") from error
        from thibaud_cli.formats.yaml import describe_error

        problem, line = describe_error(cause)
        raise TemplateError(
            f"{path} is not valid YAML: {problem}", template_file=path.name, line=line
        ) from error
    except (TypeError, AttributeError) as error:
        # copier merges documents as mappings: a list or a scalar breaks it
        raise TemplateError(
            f"{path} must be a mapping of questions and settings.", template_file=path.name
        ) from error
    except (ValueError, OSError) as error:
        # e.g. an absolute !include path, or an include that cannot be read
        raise TemplateError(
            f"{path}: {' '.join(str(error).split())}", template_file=path.name
        ) from error
