"""copier's own machinery beyond rendering: its reader of ``copier.yml``, and what an
update runs in the project as ``copier update`` does.

Like :mod:`thibaud_cli.template.engine.render`, this module may import copier.

``update`` renders both template versions into scratch directories with tasks off
and merges the files itself; what copier would run on the project (``_migrations``
before and after the files change, then ``_tasks``) is run here, in the project
directory, by :mod:`~thibaud_cli.template.engine.tasks`: the same conditions,
variables (``_stage``, ``_version_from``, ``_copier_operation`` = ``update``...),
environment, and the project's answers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from thibaud_cli.errors import TemplateError
from thibaud_cli.template.engine.tasks import run_template_code
from thibaud_cli.template.engine.translate import RenderSite, translated_errors

Stage = Literal["before", "after"]


@dataclass
class UpdateTasks:
    """The code the target version runs on an update, ready to run: the template
    checked out, the project's answers known, the Jinja environment (the template's
    extensions) built, so that none of it can fail once files change."""

    worker: Any
    from_template: Any
    project_dir: Path
    location: RenderSite

    def migrations(self, stage: Stage) -> list[Any]:
        return list(self.worker.template.migration_tasks(stage, self.from_template))

    @property
    def runs_code(self) -> bool:
        """Whether the update runs anything (tasks, or migrations that apply)."""
        return bool(
            self.worker.template.tasks or self.migrations("before") or self.migrations("after")
        )

    def run_migrations(self, stage: Stage) -> None:
        with translated_errors(self.location):
            run_template_code(
                self.worker,
                self.migrations(stage),
                directory=self.project_dir,
                operation="update",
                phase="migrate",
            )

    def run_tasks(self) -> None:
        with translated_errors(self.location):
            run_template_code(
                self.worker,
                list(self.worker.template.tasks),
                directory=self.project_dir,
                operation="update",
            )


@contextmanager
def update_tasks(
    template: str,
    project_dir: Path,
    *,
    from_ref: str,
    to_ref: str | None,
    answers: Mapping[str, Any],
) -> Iterator[UpdateTasks]:
    """The tasks and migrations of *template* at *to_ref*, for a project at *from_ref*
    whose answers are *answers*. The caller asked the user (--trust) first."""
    from copier._main import Worker
    from copier._settings import SettingsModel
    from copier._template import Template
    from copier._types import Phase
    from plumbum import local

    from thibaud_cli.vcs.git import hardened_git_environment

    location = RenderSite(template)
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
                unsafe=True,
            ) as worker:
                with translated_errors(location):
                    with hardened_git_environment() as git_env, local.env(**git_env):
                        location.root = str(worker.template.local_abspath)
                        from_template.local_abspath  # noqa: B018 - its checkout, now
                    # The answers the commands are rendered with (copier asks them as
                    # it updates), and the environment: the extensions load here.
                    with Phase.use(Phase.PROMPT):
                        worker._ask()
                    worker.jinja_env  # noqa: B018
                yield UpdateTasks(worker, from_template, project_dir, location)
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
