"""A variant's ``install`` check: its declared dependencies, the framework and what the
checks need, in the cached environment of that set (``cache.py``)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from thibaud_cli.checks.environments.cache import InstallOptions, ensure_environment
from thibaud_cli.checks.environments.declared import declared_dependencies, normalized
from thibaud_cli.checks.results import INSTALL_CHECK, CheckResult
from thibaud_cli.errors import DependencyFileError, InstallError
from thibaud_cli.project.contract import dependency_dir

#: Added to every set: the framework the checks boot (the boot probe needs nothing else).
FRAMEWORK = "thibaud"


def install_variant(
    project_dir: Path, options: InstallOptions, *, root: str = ".", server: str | None = None
) -> tuple[CheckResult, Path | None]:
    """The install check of the project in *project_dir*, and the interpreter of its
    environment (None when the install failed: the check says why). What it declares
    is read where it is: the directory of its ``manage.py`` (*root*) or above."""
    started = time.monotonic()
    declaring = dependency_dir(project_dir, root)

    def failed(why: object, file: str | None) -> tuple[CheckResult, None]:
        message = f"the dependencies did not install: {why}"
        return CheckResult(
            INSTALL_CHECK, "failed", message, file=file, duration=time.monotonic() - started
        ), None

    try:
        declared = declared_dependencies(declaring)
    except DependencyFileError as error:
        return failed(error, None)
    if declared.source is not None:  # named from the project's top, as the report names files
        declared = replace(declared, source=_shown(declaring, project_dir, declared.source))
    added = [FRAMEWORK, *([server] if server else [])]
    requirements = tuple(sorted({*declared.requirements, *normalized(added, "the checks")}))
    try:
        environment = ensure_environment(requirements, options)
    except InstallError as error:
        return failed(error, declared.source)
    source = (
        f"{len(declared.requirements)} requirement(s) from {declared.source}"
        if declared.source
        else "no requirements declared (pyproject.toml or requirements.txt)"
    )
    how = "built" if environment.built else "reused from the cache"
    message = f"{source}, with {', '.join(added)}: environment {how} ({environment.python})"
    return CheckResult(
        INSTALL_CHECK, "passed", message, duration=time.monotonic() - started
    ), environment.python


def _shown(directory: Path, project_dir: Path, name: str) -> str:
    return (directory.relative_to(project_dir) / name).as_posix()
