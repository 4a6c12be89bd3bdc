"""A variant's ``install`` check: its declared dependencies, the framework and what the
checks need, in the cached environment of that set (``cache.py``)."""

from __future__ import annotations

import time
from pathlib import Path

from thibaud_cli.checks.environments.cache import InstallOptions, ensure_environment
from thibaud_cli.checks.environments.declared import declared_dependencies, normalized
from thibaud_cli.checks.results import INSTALL_CHECK, CheckResult
from thibaud_cli.errors import DependencyFileError, InstallError

#: Added to every set: the framework the checks boot (the boot probe needs nothing else).
FRAMEWORK = "thibaud"


def install_variant(
    project_dir: Path, options: InstallOptions, *, server: str | None = None
) -> tuple[CheckResult, Path | None]:
    """The install check of the project in *project_dir*, and the interpreter of its
    environment (None when the install failed: the check says why)."""
    started = time.monotonic()

    def failed(why: object, file: str | None) -> tuple[CheckResult, None]:
        message = f"the dependencies did not install: {why}"
        return CheckResult(
            INSTALL_CHECK, "failed", message, file=file, duration=time.monotonic() - started
        ), None

    try:
        declared = declared_dependencies(project_dir)
    except DependencyFileError as error:
        return failed(error, None)
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
